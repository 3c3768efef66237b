//! Security headers on every answer. The Content-Security-Policy of pages carries the
//! per-response nonce and is set where the page is rendered (`app::shell`).
use axum::{
    http::{header, HeaderValue},
    response::Response,
    Router,
};
use tower_http::set_header::SetResponseHeaderLayer;

/// Pages and API answers (some carry a secret, all may carry personal data) are never
/// stored by a browser or a proxy; static assets keep their own caching.
fn no_store<B>(response: &Response<B>) -> Option<HeaderValue> {
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    (content_type.starts_with("text/html") || content_type.starts_with("application/json"))
        .then(|| HeaderValue::from_static("no-store"))
}

pub fn add(router: Router, https: bool) -> Router {
    let router = router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            no_store,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    if https {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ))
    } else {
        router
    }
}

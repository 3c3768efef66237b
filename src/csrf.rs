//! Cross-site request forgery: a server function (every one, sign-in included) runs only
//! for a request that the browser says comes from this site. The session cookie's SameSite
//! alone would still let a sibling site or an old browser sign a user in or out.
use app::server::audit_log::{self as audit, Refusal};
use app::server::client_ip::ClientIp;
use app::server::state::AppState;
use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// Where leptos_axum mounts the server functions.
const SERVER_FUNCTIONS: &str = "/sfn/";

/// Whether the browser vouches that the request comes from `origin`: `Sec-Fetch-Site:
/// same-origin`, or else an `Origin` (or, lacking one, a `Referer`) on that origin.
pub fn same_origin(headers: &HeaderMap, origin: &str) -> bool {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header(header::HeaderName::from_static("sec-fetch-site")) {
        return site == "same-origin";
    }
    if let Some(from) = header(header::ORIGIN) {
        return from.eq_ignore_ascii_case(origin);
    }
    header(header::REFERER).is_some_and(|referer| {
        referer
            .get(..origin.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(origin))
            && matches!(referer.as_bytes().get(origin.len()), None | Some(b'/'))
    })
}

pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with(SERVER_FUNCTIONS)
        || same_origin(request.headers(), &state.sessions.public_origin)
    {
        return next.run(request).await;
    }
    let ip = request
        .extensions()
        .get::<ClientIp>()
        .map(|ClientIp(ip)| ip.to_string());
    let refusal = Refusal {
        credential: "cross-site request",
        known: true,
        actor: None,
        ip: ip.as_deref(),
        reason: "cross_site",
    };
    let details = serde_json::json!({ "path": request.uri().path() });
    audit::access_refused(&state.db, &state.auth.refusals, refusal, Some(details)).await;
    (
        StatusCode::FORBIDDEN,
        "Cross-site request refused: this action must come from Tessera's own pages",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    const SITE: &str = "https://tessera.example.com";

    #[test]
    fn only_the_sites_own_pages_may_call() {
        assert!(same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            SITE
        ));
        assert!(same_origin(
            &headers(&[("origin", "https://tessera.example.com")]),
            SITE
        ));
        assert!(same_origin(
            &headers(&[("referer", "https://tessera.example.com/admin/tokens")]),
            SITE
        ));
        // Another site, a sibling subdomain, a look-alike prefix, or nothing at all.
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site"), ("origin", SITE)]),
            SITE
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            SITE
        ));
        assert!(!same_origin(
            &headers(&[("origin", "https://evil.example")]),
            SITE
        ));
        assert!(!same_origin(&headers(&[("origin", "null")]), SITE));
        assert!(!same_origin(
            &headers(&[("referer", "https://tessera.example.com.evil.example/")]),
            SITE
        ));
        assert!(!same_origin(&HeaderMap::new(), SITE));
    }
}

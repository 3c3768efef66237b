//! Headers an answer carries about the token that authorized it: where it stands against
//! its rate limit (`RateLimit-Limit`, `-Remaining`, `-Reset`), on success and on 429 alike.
use std::sync::{Arc, OnceLock};

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

use app::server::rate_limits::RateInfo;

/// Filled by the [`Caller`](super::extract::Caller) extractor once it knows the token.
#[derive(Clone, Debug, Default)]
pub struct TokenAnswer(Arc<OnceLock<RateInfo>>);

impl TokenAnswer {
    pub fn rate(&self, rate: RateInfo) {
        let _ = self.0.set(rate);
    }
}

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

pub async fn add(mut request: Request, next: Next) -> Response {
    let answer = TokenAnswer::default();
    request.extensions_mut().insert(answer.clone());
    let mut response = next.run(request).await;
    if let Some(rate) = answer.0.get() {
        let headers = response.headers_mut();
        headers.insert(LIMIT, HeaderValue::from(rate.limit));
        headers.insert(REMAINING, HeaderValue::from(rate.remaining));
        headers.insert(RESET, HeaderValue::from(rate.reset));
    }
    response
}

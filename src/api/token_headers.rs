//! Headers an answer carries about the token that authorized it: where it stands against
//! its rate limit (`RateLimit-Limit`, `-Remaining`, `-Reset`, on success and on 429 alike),
//! and the last day it works (`Tessera-Token-Expires`), so an integration can warn before
//! its token stops.
use std::sync::{Arc, OnceLock};

use axum::{
    extract::Request,
    http::{HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use chrono::NaiveDate;

use app::server::rate_limits::{OverLimit, RateInfo};

/// Filled by the [`Caller`](super::extract::Caller) extractor once it knows the token.
#[derive(Clone, Debug, Default)]
pub struct TokenAnswer(Arc<OnceLock<Known>>);

#[derive(Clone, Copy, Debug)]
struct Known {
    rate: Option<RateInfo>,
    expires: Option<NaiveDate>,
}

impl TokenAnswer {
    /// The token verified: its rate and last day, when it has them.
    pub fn token(&self, rate: Option<RateInfo>, expires: Option<NaiveDate>) {
        let _ = self.0.set(Known { rate, expires });
    }

    /// The token verified, but was over its limit.
    pub fn over_limit(&self, over: &OverLimit) {
        self.token(Some(over.rate), over.expires);
    }
}

const LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("ratelimit-reset");
const EXPIRES: HeaderName = HeaderName::from_static("tessera-token-expires");

pub async fn add(mut request: Request, next: Next) -> Response {
    let answer = TokenAnswer::default();
    request.extensions_mut().insert(answer.clone());
    let mut response = next.run(request).await;
    let Some(known) = answer.0.get() else {
        return response;
    };
    let headers = response.headers_mut();
    if let Some(rate) = known.rate {
        headers.insert(LIMIT, HeaderValue::from(rate.limit));
        headers.insert(REMAINING, HeaderValue::from(rate.remaining));
        headers.insert(RESET, HeaderValue::from(rate.reset));
    }
    if let Some(expires) = known.expires {
        if let Ok(value) = HeaderValue::from_str(&expires.format("%Y-%m-%d").to_string()) {
            headers.insert(EXPIRES, value);
        }
    }
    response
}

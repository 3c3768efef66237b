//! Access tokens as clients see them: the token object of DESIGN section 5.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: i64,
    /// `AT-000001`: assigned once, never reused.
    pub number: String,
    pub name: String,
    pub description: String,
    /// The owner's username.
    pub owner: String,
    pub scopes: Vec<String>,
    /// The first and last characters of the secret, e.g. `tsr_Ab12…x9Qz`.
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// The last day the token works; null when it never expires.
    pub expires_at: Option<NaiveDate>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Up to the last 5 distinct client addresses, most recent first.
    pub last_used_ips: Vec<String>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// `effective` or `not_effective`.
    pub state: String,
    /// Why it is not effective: `revoked`, `expired`, `owner_locked`, `owner_inactive`,
    /// `tokens_disabled`.
    pub reason: Option<String>,
}

/// The answer to creating or regenerating a token: the only time the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    pub token: TokenView,
    pub secret: String,
}

pub fn number(id: i64) -> String {
    format!("AT-{id:06}")
}

/// `AT-000012` (any case, leading zeros optional) to 12.
pub fn parse_number(text: &str) -> Option<i64> {
    let digits = text.trim().to_ascii_uppercase();
    digits.strip_prefix("AT-")?.parse().ok()
}

//! The settings that govern tokens.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenSettings {
    /// The feature flag "API tokens": off, every token is refused.
    pub api_tokens_enabled: bool,
    /// Token definitions.
    pub identifier_mandatory: bool,
    pub pass_code_mandatory: bool,
    /// Token policy. A maximum of 0 means "no limit", and only then may a token never expire.
    pub default_lifetime_days: u32,
    pub max_lifetime_days: u32,
    pub admin_issued_only_for_technical_users: bool,
    /// Endpoint records and the request log are kept this many days, then purged.
    pub retention_days: u32,
    /// Audit events are kept this many days, then purged.
    pub audit_retention_days: u32,
    /// A token unused this many days is flagged "Idle" (0: never).
    pub idle_after_days: u32,
    /// A token unused this many days is revoked by the hourly job (0: never).
    pub revoke_idle_after_days: u32,
    /// Requests a minute a token without a limit of its own may make (0: no limit).
    pub default_rate_limit_per_minute: u32,
    /// Days before a token's last day on which `token.expiring` is sent (and mailed).
    pub expiry_notice_days: Vec<u32>,
    /// What a leak report that matches a secret does to its token.
    pub leak_response: LeakResponse,
}

/// What a reported leak does to the token it matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeakResponse {
    /// The token stops at once (as GitHub does with reported tokens).
    #[default]
    Revoke,
    /// The owner and the webhooks are told; the token keeps working.
    Flag,
}

impl LeakResponse {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoke => "revoke",
            Self::Flag => "flag",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Revoke, Self::Flag]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            api_tokens_enabled: true,
            identifier_mandatory: false,
            pass_code_mandatory: false,
            default_lifetime_days: 90,
            max_lifetime_days: 365,
            admin_issued_only_for_technical_users: false,
            retention_days: 90,
            audit_retention_days: 365,
            idle_after_days: 90,
            revoke_idle_after_days: 0,
            default_rate_limit_per_minute: 0,
            expiry_notice_days: vec![30, 7, 1],
            leak_response: LeakResponse::Revoke,
        }
    }
}

impl TokenSettings {
    /// Tokens neither used nor issued (created or regenerated) since this moment are idle;
    /// `None` when the policy flags none. Counted in whole days from the start of `today`, so a list and a
    /// token's page agree all day.
    pub fn idle_since(&self, today: NaiveDate) -> Option<DateTime<Utc>> {
        days_before(self.idle_after_days, today)
    }

    /// Tokens unused since this moment are revoked by the idle job; `None` when it is off.
    pub fn revoke_idle_since(&self, today: NaiveDate) -> Option<DateTime<Utc>> {
        days_before(self.revoke_idle_after_days, today)
    }
}

impl TokenSettings {
    /// The limit a token with its own `limit` (or none) works under: `None` for no limit.
    pub fn rate_limit(&self, own: Option<u32>) -> Option<std::num::NonZeroU32> {
        std::num::NonZeroU32::new(own.unwrap_or(self.default_rate_limit_per_minute))
    }
}

fn days_before(days: u32, today: NaiveDate) -> Option<DateTime<Utc>> {
    (days > 0).then(|| {
        today.and_time(chrono::NaiveTime::MIN).and_utc() - chrono::Duration::days(i64::from(days))
    })
}

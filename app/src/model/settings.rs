//! The settings that govern tokens.
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
        }
    }
}

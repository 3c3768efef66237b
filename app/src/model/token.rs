//! Access tokens as clients see them: the token object of DESIGN section 5, and the forms
//! and filters of the token pages.
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
    pub state: TokenState,
    /// Why it is not effective.
    pub reason: Option<Reason>,
    /// Effective, but unused for the policy's idle period.
    #[serde(default)]
    pub idle: bool,
    /// CIDR ranges the token may be used from; empty for anywhere.
    #[serde(default)]
    pub allowed_ips: Vec<String>,
    /// What a call from outside `allowed_ips` gets.
    #[serde(default)]
    pub ip_policy: IpPolicy,
    /// Until when the secret replaced by the last rotation still works; null when none does.
    #[serde(default)]
    pub previous_valid_until: Option<DateTime<Utc>>,
    /// When that previous secret was last used.
    #[serde(default)]
    pub previous_used_at: Option<DateTime<Utc>>,
    /// The token's scopes exercised in the last 30 days.
    #[serde(default)]
    pub scopes_used: Vec<String>,
    /// Requests a minute this token may make; null leaves it to the policy default.
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
    /// Its secret was given by an administrator, not generated.
    #[serde(default)]
    pub imported: bool,
    /// While suspended: `"indefinite"` or the time it resumes by itself; null otherwise.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, example = "indefinite"))]
    pub suspended_until: Option<SuspendUntil>,
    /// Who suspended it, while it is suspended.
    #[serde(default)]
    pub suspended_by: Option<String>,
    /// Suspended by an administrator or officer: its owner may not lift it.
    #[serde(default)]
    pub suspended_above_owner: bool,
}

/// Until when a token is suspended: `"indefinite"` or an RFC 3339 time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuspendUntil {
    Indefinite,
    Until(DateTime<Utc>),
}

impl SuspendUntil {
    /// The time it ends by itself, if any.
    pub fn end(self) -> Option<DateTime<Utc>> {
        match self {
            Self::Indefinite => None,
            Self::Until(at) => Some(at),
        }
    }
}

impl Serialize for SuspendUntil {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Indefinite => serializer.serialize_str("indefinite"),
            Self::Until(at) => at.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for SuspendUntil {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "indefinite" {
            return Ok(Self::Indefinite);
        }
        DateTime::parse_from_rfc3339(&text)
            .map(|at| Self::Until(at.with_timezone(&Utc)))
            .map_err(|_| {
                serde::de::Error::custom(
                    "suspended_until must be \"indefinite\", an RFC 3339 time or null",
                )
            })
    }
}

/// What a kill switch does to the tokens it names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum KillMode {
    /// For good.
    #[default]
    Revoke,
    /// Until an administrator resumes them (with the same secrets).
    Suspend,
}

/// Who suspended a token: its owner may lift only their own suspension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuspensionSource {
    Owner,
    /// An administrator or a token officer, by hand or with a kill switch.
    Manager,
}

impl SuspensionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Manager => "manager",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Owner, Self::Manager]
            .into_iter()
            .find(|source| source.as_str() == text)
    }
}

/// How far back `scopes_used` looks.
pub const SCOPE_USE_DAYS: i64 = 30;

/// The longest overlap a rotation may give the old secret: 7 days.
pub const GRACE_SECONDS_MAX: i64 = 7 * 24 * 60 * 60;

/// What a call from outside a token's allowlist gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IpPolicy {
    /// Refused: 403 `ip_not_allowed`.
    #[default]
    Enforce,
    /// Accepted, and recorded in the audit log.
    Report,
}

impl IpPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforce => "enforce",
            Self::Report => "report",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Enforce, Self::Report]
            .into_iter()
            .find(|p| p.as_str() == text)
    }
}

/// A change to a token's settings; an absent field is left as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenEdit {
    /// Not blank; surrounding spaces are trimmed.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 1, max_length = 200, pattern = r"\S")
    )]
    pub name: Option<String>,
    #[cfg_attr(feature = "ssr", schema(max_length = 1000))]
    pub description: Option<String>,
    /// IP addresses and CIDR ranges (IPv4 and IPv6), at most 20; empty for anywhere.
    #[cfg_attr(feature = "ssr", schema(max_items = 20))]
    pub allowed_ips: Option<Vec<String>>,
    /// `enforce` (403 `ip_not_allowed` from elsewhere) or `report` (accepted and audited).
    pub ip_policy: Option<IpPolicy>,
    /// Requests a minute, 1 to 10000000, set only through the administrators' route (422 on
    /// the owner's). Left out: unchanged; `null`: the policy default; a number: the token's
    /// own limit.
    #[serde(
        default,
        deserialize_with = "super::explicit_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "ssr",
        schema(value_type = Option<u32>, minimum = 1, maximum = 10000000)
    )]
    pub rate_limit_per_minute: Option<Option<u32>>,
    /// Suspends (`"indefinite"` or a future RFC 3339 time, when it resumes by itself) or,
    /// with `null`, resumes the token with the same secret. An owner may not lift a
    /// suspension an administrator or officer set (403). Left out: unchanged.
    #[serde(
        default,
        deserialize_with = "super::explicit_null",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, example = "indefinite"))]
    pub suspended_until: Option<Option<SuspendUntil>>,
}

/// How many ranges an allowlist holds at most.
pub const ALLOWLIST_MAX: usize = 20;

/// The life cycle state, derived each time from the token, its owner and the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Effective,
    NotEffective,
}

/// Why a token is not effective.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Revoked,
    Expired,
    Suspended,
    OwnerLocked,
    OwnerInactive,
    TokensDisabled,
}

impl Reason {
    /// As a person reads it, e.g. in "Not effective (owner locked)".
    pub fn label(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Suspended => "suspended",
            Self::OwnerLocked => "owner locked",
            Self::OwnerInactive => "owner inactive",
            Self::TokensDisabled => "API tokens off",
        }
    }
}

/// The order of a token list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenSort {
    /// Newest first.
    #[default]
    Created,
    /// Soonest expiry first; tokens that never expire last.
    Expires,
    /// Most recently used first; never used last.
    LastUsed,
}

impl TokenSort {
    pub const ALL: [TokenSort; 3] = [Self::Created, Self::Expires, Self::LastUsed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Expires => "expires",
            Self::LastUsed => "last_used",
        }
    }

    /// An empty text is the default order; anything unknown is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        if text.is_empty() {
            return Some(Self::default());
        }
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// The answer to creating, regenerating or rotating a token: the only time the secret is
/// shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    pub token: TokenView,
    /// Absent for an imported secret: the administrator gave it, and it is never echoed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret: String,
    /// Until when the secret this one replaced still works; null when it stopped at once
    /// (and for a new token).
    #[serde(default)]
    pub previous_valid_until: Option<DateTime<Utc>>,
}

impl IssuedToken {
    pub fn new(token: TokenView, secret: String) -> Self {
        Self {
            previous_valid_until: token.previous_valid_until,
            token,
            secret,
        }
    }
}

pub fn number(id: i64) -> String {
    format!("AT-{id:06}")
}

/// `AT-000012` (any case, leading zeros optional) to 12.
pub fn parse_number(text: &str) -> Option<i64> {
    let digits = text.trim().to_ascii_uppercase();
    digits.strip_prefix("AT-")?.parse().ok()
}

/// One token's page: the token object and its history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenDetail {
    pub token: TokenView,
    /// Who issued it: the owner's own token when the same as the owner.
    pub issuer: Option<String>,
    pub created_by: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub updated_by: Option<String>,
    pub revoked_by: Option<String>,
    /// Whether calls must also send an identifier and a pass code.
    pub has_identifier: bool,
    pub has_pass_code: bool,
    /// The latest audit events about this token, newest first.
    #[serde(default)]
    pub events: Vec<crate::model::audit::AuditRow>,
    /// The policy's limit for tokens without one of their own (0: none).
    #[serde(default)]
    pub default_rate_limit_per_minute: u32,
    /// Calls on each of the last [`USAGE_DAYS`] days, oldest first, today last.
    #[serde(default)]
    pub requests_per_day: Vec<DayCount>,
}

/// How many days the requests-per-day chart covers, today included.
pub const USAGE_DAYS: i64 = 30;

/// The calls a token made on one day (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayCount {
    pub day: NaiveDate,
    pub requests: u64,
}

/// A status a token list can be narrowed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    Effective,
    /// Effective, and its last day is within the next 7 days.
    ExpiringSoon,
    /// Past its last day (and not revoked).
    Expired,
    Revoked,
    /// Neither revoked nor expired, but suspended now.
    Suspended,
    /// Neither revoked, expired nor suspended, but its owner is locked.
    OwnerLocked,
    /// Neither revoked, expired nor locked, but its owner's `active_until` has passed.
    OwnerInactive,
    /// Any reason at all.
    NotEffective,
    /// Effective, but unused for the policy's idle period.
    Idle,
}

impl StatusFilter {
    pub const ALL: [StatusFilter; 9] = [
        Self::Effective,
        Self::ExpiringSoon,
        Self::Expired,
        Self::Revoked,
        Self::Suspended,
        Self::OwnerLocked,
        Self::OwnerInactive,
        Self::NotEffective,
        Self::Idle,
    ];

    /// Days ahead that count as "expiring soon".
    pub const SOON_DAYS: i64 = 7;

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Effective => "effective",
            Self::ExpiringSoon => "expiring_soon",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
            Self::OwnerLocked => "owner_locked",
            Self::OwnerInactive => "owner_inactive",
            Self::NotEffective => "not_effective",
            Self::Idle => "idle",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Effective => "Effective",
            Self::ExpiringSoon => "Expiring soon (7 days)",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
            Self::Suspended => "Suspended",
            Self::OwnerLocked => "Owner locked",
            Self::OwnerInactive => "Owner inactive",
            Self::NotEffective => "Not effective (any reason)",
            Self::Idle => "Idle (unused for the policy's days)",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How far a token list counts its matches: past this many it says "More than 1,000",
/// so that a list over a million tokens does not read them all to show a number.
pub const TOTAL_COUNTED_MAX: u64 = 1_000;

/// One page of a token list, and how many tokens the filters match in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub items: Vec<TokenView>,
    pub next_cursor: Option<String>,
    /// Counted up to [`TOTAL_COUNTED_MAX`] + 1: more than the maximum means "more than".
    pub total: u64,
}

impl TokenList {
    /// "1 token", "25 tokens", "1,000 tokens", "More than 1,000 tokens".
    pub fn total_text(&self) -> String {
        match self.total {
            1 => "1 token".to_owned(),
            n if n > TOTAL_COUNTED_MAX => {
                format!("More than {} tokens", grouped(TOTAL_COUNTED_MAX))
            }
            n => format!("{} tokens", grouped(n)),
        }
    }
}

/// `n` with a comma between each group of three digits: "1,000".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// What the administrators' token list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFilter {
    /// Part of the owner's username or display name.
    pub user: Option<String>,
    pub state: Option<StatusFilter>,
    pub q: Option<String>,
    /// `created`, `expires` or `last_used`.
    pub sort: Option<String>,
    pub cursor: Option<String>,
}

/// The "Create token" form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTokenForm {
    pub user: String,
    pub name: String,
    pub description: String,
    /// `YYYY-MM-DD`; empty means "never" (allowed only without a maximum lifetime).
    pub expires_at: String,
    pub scopes: Vec<String>,
    pub identifier: String,
    pub pass_code: String,
    /// An existing secret to import; empty to generate one.
    #[serde(default)]
    pub secret: String,
}

/// Whether an administrator may issue a token to a user: one who can act now (`usable`), and
/// a technical user while the policy reserves administrator-issued tokens for them
/// (`technical_only`). "Create token" offers only these; the service refuses the others.
pub fn may_be_issued_a_token(usable: bool, technical: bool, technical_only: bool) -> bool {
    usable && (technical || !technical_only)
}

/// When a generated token stops working.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryChoice {
    /// This many days from today.
    Days(u32),
    /// `YYYY-MM-DD`.
    On(String),
    Never,
}

/// "Generate Access Token": what the owner chose before the token is made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateTokenForm {
    pub name: String,
    pub expiry: ExpiryChoice,
    pub scopes: Vec<String>,
    pub identifier: String,
    pub pass_code: String,
}

/// What a creation form needs to know in advance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPrefill {
    pub expires_at: Option<NaiveDate>,
    pub max_expires_at: Option<NaiveDate>,
    /// The policy's default lifetime, and its maximum (none: tokens may never expire).
    pub default_days: u32,
    pub max_days: Option<u32>,
    pub identifier_mandatory: bool,
    pub pass_code_mandatory: bool,
    /// Administrators may issue tokens for other users only when those are technical users.
    pub technical_users_only: bool,
    pub scopes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::{TokenList, TOTAL_COUNTED_MAX};

    #[test]
    fn a_total_past_the_count_says_more_than() {
        let list = |total| TokenList {
            items: Vec::new(),
            next_cursor: None,
            total,
        };
        assert_eq!(list(0).total_text(), "0 tokens");
        assert_eq!(list(1).total_text(), "1 token");
        assert_eq!(list(999).total_text(), "999 tokens");
        assert_eq!(list(TOTAL_COUNTED_MAX).total_text(), "1,000 tokens");
        assert_eq!(
            list(TOTAL_COUNTED_MAX + 1).total_text(),
            "More than 1,000 tokens"
        );
    }
}

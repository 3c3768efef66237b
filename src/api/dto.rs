//! Request and response bodies of the REST API.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use app::model::scope::Scope;
use app::model::token::{KillMode, StatusFilter, TokenSort};
use app::server::service::tokens::{Expiry, NewToken};

#[derive(Deserialize, ToSchema)]
pub struct CreateTokenRequest {
    /// Not blank; surrounding spaces are trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    /// At least one; a request gives only scopes it holds.
    #[schema(value_type = Vec<Scope>, min_items = 1)]
    pub scopes: Vec<String>,
    /// The last day the token works. Absent: the policy's default lifetime; null: never
    /// expires (only when the policy has no maximum).
    #[serde(default, deserialize_with = "app::model::explicit_null")]
    #[schema(value_type = Option<NaiveDate>)]
    pub expires_at: Option<Option<NaiveDate>>,
    /// Required when the token definitions make it mandatory.
    #[schema(max_length = 200)]
    pub identifier: Option<String>,
    /// Required when the token definitions make it mandatory.
    #[schema(min_length = 8, max_length = 256)]
    pub pass_code: Option<String>,
}

impl From<CreateTokenRequest> for NewToken {
    fn from(r: CreateTokenRequest) -> Self {
        NewToken {
            name: r.name,
            description: r.description,
            scopes: r.scopes,
            expires: match r.expires_at {
                None => Expiry::Default,
                Some(None) => Expiry::Never,
                Some(Some(day)) => Expiry::On(day),
            },
            identifier: r.identifier,
            pass_code: r.pass_code,
            secret: None,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct AdminCreateTokenRequest {
    /// The owner's username.
    #[schema(min_length = 1, max_length = 64, example = "admin")]
    pub user: String,
    /// An existing secret to import instead of generating one: 22 to 256 visible ASCII
    /// characters with at least 128 bits of entropy, used by no other credential. The answer
    /// then has no `secret`, and the token `"imported": true`.
    #[schema(pattern = r"^[!-~]{22,256}$")]
    pub secret: Option<String>,
    #[serde(flatten)]
    pub token: CreateTokenRequest,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// At most 200; 50 when absent.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `effective`, `expiring_soon` (effective, last day within 7 days), `expired`,
    /// `revoked`, `owner_locked`, `owner_inactive`, `not_effective` (any reason) or `idle`
    /// (effective, unused for the policy's idle days).
    #[param(value_type = Option<StatusFilter>)]
    pub state: Option<String>,
    /// Matches names, usernames and numbers (`AT-000012`).
    #[param(max_length = 200, pattern = r"^[^\x00-\x1F\x7F-\x9F]*$")]
    pub q: Option<String>,
    /// Only this user's tokens (administrators).
    pub user: Option<String>,
    /// `created` (newest first, the default), `expires` (soonest first, never last) or
    /// `last_used` (most recent first, never used last).
    #[param(value_type = Option<TokenSort>)]
    pub sort: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserObject,
    pub token: TokenInUse,
    /// The owner's groups, by name.
    pub groups: Vec<String>,
    /// What the owner's groups give them now (a token does no more than its scopes allow
    /// within these).
    pub rights: Vec<app::model::rights::Right>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenInUse {
    pub id: i64,
    pub number: String,
    pub name: String,
    /// What this request may do: the token's scopes within the owner's permissions now.
    pub scopes: Vec<String>,
    pub expires_at: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct UserObject {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub admin: bool,
    pub technical: bool,
    pub locked: bool,
    pub active_until: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Letters and digits of any script, and `. _ - @`; unique whatever the case.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[\w.@-]+$",
        example = "svc-billing"
    )]
    pub username: String,
    /// Refused when common or easy to guess, or built from the other fields.
    #[schema(
        min_length = 8,
        max_length = 256,
        example = "lantern meadow copper violin"
    )]
    pub password: String,
    #[schema(max_length = 200)]
    pub display_name: Option<String>,
    /// Empty, or an address with `@`.
    #[schema(max_length = 254, pattern = r"^$|@")]
    pub email: Option<String>,
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub technical: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(max_length = 200)]
    pub display_name: Option<String>,
    /// Empty, or an address with `@`.
    #[schema(max_length = 254, pattern = r"^$|@")]
    pub email: Option<String>,
    pub admin: Option<bool>,
    pub technical: Option<bool>,
    pub locked: Option<bool>,
    /// null clears it.
    #[serde(default, deserialize_with = "app::model::explicit_null")]
    #[schema(value_type = Option<NaiveDate>)]
    pub active_until: Option<Option<NaiveDate>>,
}

#[derive(Deserialize, ToSchema)]
pub struct IntrospectRequest {
    pub token: String,
}

/// RFC 7662: an inactive token says only `{"active": false}`.
#[derive(Serialize, ToSchema, Default)]
pub struct IntrospectResponse {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// Unix time at which the token stops working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

/// Filters of the audit log export; every one is optional.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// The exact actor (a username).
    pub actor: Option<String>,
    /// An action, or the start of one: `token.` matches every token action.
    pub action: Option<String>,
    /// The exact target: a username, a token number such as `AT-000012`, a token hint.
    pub target: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// At most 200; 50 when absent.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct RevokeIssuedBeforeRequest {
    /// Every token whose current secret was issued before this moment is revoked (up to now).
    pub before: DateTime<Utc>,
    /// `revoke` (the default) or `suspend`.
    #[serde(default)]
    pub mode: KillMode,
}

/// A kill switch's options; the body may be left out.
#[derive(Default, Deserialize, ToSchema)]
pub struct KillSwitchRequest {
    /// `revoke` (the default) or `suspend`.
    #[serde(default)]
    pub mode: KillMode,
}

/// What a kill switch did.
#[derive(Serialize, ToSchema)]
pub struct RevokedCount {
    /// How many tokens it revoked (those already revoked are not counted); 0 when it
    /// suspended.
    pub revoked: u64,
    /// With `mode: suspend`: how many tokens it suspended (those revoked or suspended
    /// already are not counted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suspended: Option<u64>,
}

impl RevokedCount {
    pub fn of(mode: KillMode, count: u64) -> Self {
        match mode {
            KillMode::Revoke => Self {
                revoked: count,
                suspended: None,
            },
            KillMode::Suspend => Self {
                revoked: 0,
                suspended: Some(count),
            },
        }
    }
}

/// A regeneration's options; the body may be left out.
#[derive(Default, Deserialize, ToSchema)]
pub struct RegenerateRequest {
    /// Seconds the old secret keeps working (0 to 604800, i.e. 7 days); 0 or absent: it
    /// stops at once.
    #[serde(default, deserialize_with = "whole_number")]
    #[schema(minimum = 0, maximum = 604800)]
    pub grace_seconds: i64,
}

/// An integer as JSON Schema counts one, which the document promises: `60.0` is 60, as
/// `60` is (serde alone refuses it).
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_i64()
        .or_else(|| {
            // Within ±2^53 a float holds every whole number exactly.
            let float = number.as_f64()?;
            (float.fract() == 0.0 && float.abs() < 9_007_199_254_740_992.0).then_some(float as i64)
        })
        .ok_or_else(|| serde::de::Error::custom(format!("{number} is not a whole number")))
}

impl RegenerateRequest {
    /// The overlap a regenerate asks for: 0 (the old secret stops at once) without a body.
    pub fn grace_seconds(body: Option<Self>) -> i64 {
        body.map_or(0, |body| body.grace_seconds)
    }
}

/// A token's calls per day (UTC) over the last 30 days, oldest first, today last.
#[derive(Serialize, ToSchema)]
pub struct UsageDays {
    pub days: Vec<app::model::token::DayCount>,
}

#[cfg(test)]
mod tests {
    use super::RegenerateRequest;

    fn grace(body: &str) -> Result<i64, serde_json::Error> {
        serde_json::from_str::<RegenerateRequest>(body).map(|r| r.grace_seconds)
    }

    #[test]
    fn grace_seconds_take_any_whole_number_json_schema_calls_an_integer() {
        assert_eq!(grace(r#"{"grace_seconds": 60}"#).unwrap(), 60);
        assert_eq!(grace(r#"{"grace_seconds": 60.0}"#).unwrap(), 60);
        assert_eq!(grace(r#"{"grace_seconds": -1}"#).unwrap(), -1);
        assert_eq!(grace("{}").unwrap(), 0);
        assert!(grace(r#"{"grace_seconds": 60.5}"#).is_err());
        assert!(grace(r#"{"grace_seconds": 1e300}"#).is_err());
        assert!(grace(r#"{"grace_seconds": "60"}"#).is_err());
        assert!(grace(r#"{"grace_seconds": null}"#).is_err());
    }
}

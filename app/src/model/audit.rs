//! The audit log as the page and the REST API show it.
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One event to append (server side; the log's own records are [`AuditRow`]). `target` is what the action was about (a username, a token number).
#[derive(Debug)]
pub struct Event<'a> {
    pub actor: Option<&'a str>,
    pub action: Action,
    pub target: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub details: Option<serde_json::Value>,
}

impl<'a> Event<'a> {
    pub fn new(action: Action) -> Self {
        Self {
            actor: None,
            action,
            target: None,
            ip: None,
            details: None,
        }
    }

    pub fn by(actor: &'a str, action: Action, target: &'a str) -> Self {
        Self {
            actor: Some(actor),
            target: Some(target),
            ..Self::new(action)
        }
    }

    pub fn details(self, details: serde_json::Value) -> Self {
        Self {
            details: Some(details),
            ..self
        }
    }
}

/// What happened. Stored as its name; the names are what the audit API filters on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignInRefused,
    SignOut,
    /// Sessions ended from the list of sessions (by their user or an administrator).
    SessionEnd,
    PasswordChanged,
    UserCreate,
    UserUpdate,
    SettingsUpdate,
    TokenCreate,
    TokenDescribe,
    /// Name, description, allowlist or IP policy changed.
    TokenUpdate,
    /// A call from outside a token's allowlist, accepted because the token only reports.
    TokenIpReported,
    TokenRevoke,
    /// Suspended by hand or by a kill switch, indefinitely or until a time.
    TokenSuspend,
    TokenResume,
    TokenDelete,
    TokenRegenerate,
    /// Every token of one user, at once.
    TokenRevokeAll,
    /// Every token whose secret was issued before a moment, across the instance.
    TokenRevokeIssuedBefore,
    /// The idle policy revoked tokens unused for its days.
    TokenRevokeIdle,
    /// A request asked for a token wider than what it holds.
    TokenEscalationRefused,
    EndpointCreate,
    EndpointUpdate,
    EndpointPrimaryRegenerate,
    EndpointTokenCreate,
    EndpointTokenUpdate,
    EndpointAssign,
    EndpointUnassign,
    /// A leak report matched a token's secret.
    TokenLeaked,
    /// An expiry notice was sent.
    TokenExpiring,
    /// A token's last day passed.
    TokenExpired,
    WebhookCreate,
    WebhookUpdate,
    WebhookDelete,
    /// Tessera turned a webhook off after its deliveries failed for a day.
    WebhookDisable,
    WebhookRedeliver,
    GroupCreate,
    /// Name, description or rights changed.
    GroupUpdate,
    GroupDelete,
    GroupMemberAdd,
    GroupMemberRemove,
    /// A request that did not authenticate (401) or was not allowed (403).
    AccessRefused,
}

impl Action {
    pub const ALL: [Action; 43] = [
        Self::SignIn,
        Self::SignInFailed,
        Self::SignInRefused,
        Self::SignOut,
        Self::SessionEnd,
        Self::PasswordChanged,
        Self::UserCreate,
        Self::UserUpdate,
        Self::SettingsUpdate,
        Self::TokenCreate,
        Self::TokenDescribe,
        Self::TokenUpdate,
        Self::TokenIpReported,
        Self::TokenRevoke,
        Self::TokenSuspend,
        Self::TokenResume,
        Self::TokenDelete,
        Self::TokenRegenerate,
        Self::TokenRevokeAll,
        Self::TokenRevokeIssuedBefore,
        Self::TokenRevokeIdle,
        Self::TokenEscalationRefused,
        Self::EndpointCreate,
        Self::EndpointUpdate,
        Self::EndpointPrimaryRegenerate,
        Self::EndpointTokenCreate,
        Self::EndpointTokenUpdate,
        Self::EndpointAssign,
        Self::EndpointUnassign,
        Self::TokenLeaked,
        Self::TokenExpiring,
        Self::TokenExpired,
        Self::WebhookCreate,
        Self::WebhookUpdate,
        Self::WebhookDelete,
        Self::WebhookDisable,
        Self::WebhookRedeliver,
        Self::GroupCreate,
        Self::GroupUpdate,
        Self::GroupDelete,
        Self::GroupMemberAdd,
        Self::GroupMemberRemove,
        Self::AccessRefused,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// As a person reads it in the log.
    pub fn label(self) -> &'static str {
        match self {
            Self::SignIn => "Signed in",
            Self::SignInFailed => "Sign-in failed",
            Self::SignInRefused => "Sign-in refused (too many attempts)",
            Self::SignOut => "Signed out",
            Self::SessionEnd => "Sessions signed out",
            Self::PasswordChanged => "Password changed",
            Self::UserCreate => "User created",
            Self::UserUpdate => "User changed",
            Self::SettingsUpdate => "Settings changed",
            Self::TokenCreate => "Token created",
            Self::TokenDescribe => "Token description changed",
            Self::TokenUpdate => "Token changed",
            Self::TokenIpReported => "Call from outside a token's allowlist (reported)",
            Self::TokenRevoke => "Token revoked",
            Self::TokenSuspend => "Token suspended",
            Self::TokenResume => "Token resumed",
            Self::TokenDelete => "Token deleted",
            Self::TokenRegenerate => "Token regenerated",
            Self::TokenRevokeAll => "All tokens of a user revoked",
            Self::TokenRevokeIssuedBefore => "Tokens issued before a time revoked",
            Self::TokenRevokeIdle => "Idle tokens revoked",
            Self::TokenEscalationRefused => "Token refused: wider than the request",
            Self::EndpointCreate => "Endpoint created",
            Self::EndpointUpdate => "Endpoint changed",
            Self::EndpointPrimaryRegenerate => "Primary token generated",
            Self::EndpointTokenCreate => "Endpoint token created",
            Self::EndpointTokenUpdate => "Endpoint token changed",
            Self::EndpointAssign => "Endpoint token assigned",
            Self::EndpointUnassign => "Endpoint token unassigned",
            Self::TokenLeaked => "Token reported leaked",
            Self::TokenExpiring => "Token expiry notice sent",
            Self::TokenExpired => "Token expired",
            Self::WebhookCreate => "Webhook created",
            Self::WebhookUpdate => "Webhook changed",
            Self::WebhookDelete => "Webhook deleted",
            Self::WebhookDisable => "Webhook turned off after failures",
            Self::WebhookRedeliver => "Webhook delivery sent again",
            Self::GroupCreate => "Group created",
            Self::GroupUpdate => "Group changed",
            Self::GroupDelete => "Group deleted",
            Self::GroupMemberAdd => "Member added to a group",
            Self::GroupMemberRemove => "Member removed from a group",
            Self::AccessRefused => "API call refused",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "auth.sign_in",
            Self::SignInFailed => "auth.sign_in_failed",
            Self::SignInRefused => "auth.sign_in_refused",
            Self::SignOut => "auth.sign_out",
            Self::SessionEnd => "auth.session_end",
            Self::PasswordChanged => "user.password_changed",
            Self::UserCreate => "user.create",
            Self::UserUpdate => "user.update",
            Self::SettingsUpdate => "settings.update",
            Self::TokenCreate => "token.create",
            Self::TokenDescribe => "token.describe",
            Self::TokenUpdate => "token.update",
            Self::TokenIpReported => "token.ip_reported",
            Self::TokenRevoke => "token.revoke",
            Self::TokenSuspend => "token.suspend",
            Self::TokenResume => "token.resume",
            Self::TokenDelete => "token.delete",
            Self::TokenRegenerate => "token.regenerate",
            Self::TokenRevokeAll => "token.revoke_all",
            Self::TokenRevokeIssuedBefore => "token.revoke_issued_before",
            Self::TokenRevokeIdle => "token.revoke_idle",
            Self::TokenEscalationRefused => "token.escalation_refused",
            Self::EndpointCreate => "endpoint.create",
            Self::EndpointUpdate => "endpoint.update",
            Self::EndpointPrimaryRegenerate => "endpoint.primary_regenerate",
            Self::EndpointTokenCreate => "endpoint_token.create",
            Self::EndpointTokenUpdate => "endpoint_token.update",
            Self::EndpointAssign => "endpoint.assign",
            Self::EndpointUnassign => "endpoint.unassign",
            Self::TokenLeaked => "token.leaked",
            Self::TokenExpiring => "token.expiring",
            Self::TokenExpired => "token.expired",
            Self::WebhookCreate => "webhook.create",
            Self::WebhookUpdate => "webhook.update",
            Self::WebhookDelete => "webhook.delete",
            Self::WebhookDisable => "webhook.disable",
            Self::WebhookRedeliver => "webhook.redeliver",
            Self::GroupCreate => "group.create",
            Self::GroupUpdate => "group.update",
            Self::GroupDelete => "group.delete",
            Self::GroupMemberAdd => "group.member_add",
            Self::GroupMemberRemove => "group.member_remove",
            Self::AccessRefused => "auth.refused",
        }
    }
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who acted: a username, or null for the system and anonymous callers.
    pub actor: Option<String>,
    /// e.g. `token.revoke`, `auth.refused`.
    pub action: String,
    /// What the action was about: a username, a token number, an endpoint path.
    pub target: Option<String>,
    pub ip: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub details: Option<serde_json::Value>,
    /// How many times it happened: refused requests of one kind from one address are one
    /// event a minute; every other event is 1.
    pub count: u64,
}

/// Which events to list, newest first. Empty strings and `None` filter nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// The exact actor.
    pub actor: String,
    /// An action or the start of one (`token.` matches every token action).
    pub action: String,
    /// The exact target.
    pub target: String,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// The id of the last event of the previous page.
    pub cursor: Option<i64>,
}

/// A details object in words: `{"method": "POST", "enabled": true}` reads
/// "method POST, enabled yes". Nested values are shown as compact JSON.
pub fn summarize(details: &serde_json::Value) -> String {
    use serde_json::Value;
    let word = |value: &Value| match value {
        Value::Null => "none".to_owned(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    };
    match details {
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| format!("{} {}", key.replace('_', " "), word(value)))
            .collect::<Vec<_>>()
            .join(", "),
        other => word(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_as_words_and_parses_back() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
            assert!(!action.label().contains('.'), "{}", action.label());
        }
        assert_eq!(Action::parse("token.unknown"), None);
    }

    #[test]
    fn details_are_summarized_in_words() {
        let details = serde_json::json!({
            "method": "POST", "enabled": true, "scopes": ["profile:read", "tokens:read"],
            "expires_at": null, "changes": {"locked": true}
        });
        assert_eq!(
            summarize(&details),
            "changes {\"locked\":true}, enabled yes, expires at none, method POST, \
             scopes profile:read tokens:read"
        );
    }
}

/// The audit log page's filter, as its URL keeps it: whole days, `to` included.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The id of the last event of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditList {
    pub items: Vec<AuditRow>,
    pub next_cursor: Option<i64>,
}

//! The audit log as the page and the REST API show it.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

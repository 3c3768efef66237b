//! Webhooks as the settings page and the REST API show them.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a webhook may ask to be told. Sent as its name, the payload's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum WebhookEvent {
    #[serde(rename = "token.created")]
    TokenCreated,
    #[serde(rename = "token.expiring")]
    TokenExpiring,
    #[serde(rename = "token.expired")]
    TokenExpired,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    #[serde(rename = "token.rotated")]
    TokenRotated,
    #[serde(rename = "token.leaked")]
    TokenLeaked,
    #[serde(rename = "token.ip_blocked")]
    TokenIpBlocked,
    #[serde(rename = "user.locked")]
    UserLocked,
    #[serde(rename = "endpoint_token.changed")]
    EndpointTokenChanged,
    /// Every audit event, each sent with the type `audit.event`.
    #[serde(rename = "audit.event")]
    AuditEvent,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 10] = [
        Self::TokenCreated,
        Self::TokenExpiring,
        Self::TokenExpired,
        Self::TokenRevoked,
        Self::TokenRotated,
        Self::TokenLeaked,
        Self::TokenIpBlocked,
        Self::UserLocked,
        Self::EndpointTokenChanged,
        Self::AuditEvent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenCreated => "token.created",
            Self::TokenExpiring => "token.expiring",
            Self::TokenExpired => "token.expired",
            Self::TokenRevoked => "token.revoked",
            Self::TokenRotated => "token.rotated",
            Self::TokenLeaked => "token.leaked",
            Self::TokenIpBlocked => "token.ip_blocked",
            Self::UserLocked => "user.locked",
            Self::EndpointTokenChanged => "endpoint_token.changed",
            Self::AuditEvent => "audit.event",
        }
    }

    /// As a person reads it on the settings page.
    pub fn label(self) -> &'static str {
        match self {
            Self::TokenCreated => "Token created",
            Self::TokenExpiring => "Token expiring",
            Self::TokenExpired => "Token expired",
            Self::TokenRevoked => "Token revoked",
            Self::TokenRotated => "Token rotated",
            Self::TokenLeaked => "Token leaked",
            Self::TokenIpBlocked => "Call blocked by an allowlist",
            Self::UserLocked => "User locked",
            Self::EndpointTokenChanged => "Endpoint token changed",
            Self::AuditEvent => "Every audit event",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub enabled: bool,
    /// Why Tessera turned it off, e.g. after failing deliveries for a day; null otherwise.
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new webhook, or a change to one (absent fields stay as they are).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDraft {
    /// http or https, without credentials, reaching a public address (unless the instance
    /// allows private ones).
    #[cfg_attr(
        feature = "ssr",
        schema(
            max_length = 2000,
            pattern = r"^https?://[^\s/?#@]+([/?#]\S*)?$",
            example = "https://hooks.example.com/tessera"
        )
    )]
    pub url: Option<String>,
    #[cfg_attr(feature = "ssr", schema(min_items = 1))]
    pub events: Option<Vec<WebhookEvent>>,
    pub enabled: Option<bool>,
}

/// A webhook just created: the only answer that carries its signing secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreatedWebhook {
    pub webhook: WebhookView,
    /// `whsec_` and the base64 key; shown once.
    pub secret: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Pending,
    Delivered,
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Delivered => "Delivered",
            Self::Failed => "Failed",
        }
    }
}

/// One event for one webhook, with every attempt at sending it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` header: the same on every attempt.
    pub message_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub state: DeliveryState,
    pub created_at: DateTime<Utc>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AttemptView {
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status; null when there was no answer.
    pub status: Option<u16>,
    /// Why there was no answer (timeout, refused address, connection error).
    pub error: Option<String>,
    pub duration_ms: u64,
}

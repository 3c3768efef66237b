//! The outbox: every audit event becomes a delivery row for each enabled webhook that wants
//! it, written by `audit_log::record` in the event's own transaction. A change that rolls back
//! therefore sends nothing, and one that commits cannot lose its events to a crash.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, Set,
};

use crate::model::audit::{Action, Event};
use crate::model::webhook::{DeliveryState, WebhookEvent};
use crate::server::entity::{webhook, webhook_delivery};
use crate::server::error::Result;
use crate::server::secrets;

/// The lifecycle events an audit event is: most are one or none; a leak report that
/// stopped a credential is also its revocation (or its change, for endpoint credentials).
fn lifecycle(action: Action, details: Option<&serde_json::Value>) -> Vec<WebhookEvent> {
    let detail = |key: &str| details.and_then(|d| d.get(key)).and_then(|v| v.as_str());
    if action == Action::TokenLeaked && detail("response") == Some("revoked") {
        let stopped = if detail("credential") == Some("access_token") {
            WebhookEvent::TokenRevoked
        } else {
            WebhookEvent::EndpointTokenChanged
        };
        return vec![WebhookEvent::TokenLeaked, stopped];
    }
    let single = match action {
        Action::TokenCreate => WebhookEvent::TokenCreated,
        Action::TokenExpiring => WebhookEvent::TokenExpiring,
        Action::TokenExpired => WebhookEvent::TokenExpired,
        Action::TokenRevoke
        | Action::TokenRevokeAll
        | Action::TokenRevokeIssuedBefore
        | Action::TokenRevokeIdle => WebhookEvent::TokenRevoked,
        Action::TokenRegenerate => WebhookEvent::TokenRotated,
        Action::TokenLeaked => WebhookEvent::TokenLeaked,
        Action::AccessRefused if detail("reason") == Some("ip_not_allowed") => {
            WebhookEvent::TokenIpBlocked
        }
        Action::UserUpdate
            if details
                .and_then(|d| d.get("locked"))
                .and_then(|l| l.as_bool())
                == Some(true) =>
        {
            WebhookEvent::UserLocked
        }
        Action::EndpointPrimaryRegenerate
        | Action::EndpointTokenCreate
        | Action::EndpointTokenUpdate
        | Action::EndpointAssign
        | Action::EndpointUnassign => WebhookEvent::EndpointTokenChanged,
        _ => return Vec::new(),
    };
    vec![single]
}

/// Writes `event`'s deliveries. Audit details never hold a secret, so neither does this.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    event: &Event<'_>,
    at: DateTime<Utc>,
) -> Result<()> {
    let typed = lifecycle(event.action, event.details.as_ref());
    let webhooks = webhook::Entity::find()
        .filter(webhook::Column::Enabled.eq(true))
        .all(db)
        .await?;
    if webhooks.is_empty() {
        return Ok(());
    }
    let data = serde_json::json!({
        "action": event.action.as_str(),
        "actor": event.actor,
        "target": event.target,
        "ip": event.ip,
        "details": event.details,
    });
    // Refused requests come in floods of made-up credentials: they stay in the audit log,
    // and reach webhooks only as `token.ip_blocked`.
    let forwarded = event.action != Action::AccessRefused;
    for hook in webhooks {
        let wants: Vec<WebhookEvent> = serde_json::from_str(&hook.events).unwrap_or_default();
        let types = typed.iter().copied().filter(|t| wants.contains(t)).chain(
            (forwarded && wants.contains(&WebhookEvent::AuditEvent))
                .then_some(WebhookEvent::AuditEvent),
        );
        for kind in types {
            let payload = serde_json::json!({
                "type": kind.as_str(),
                "timestamp": at,
                "data": data,
            });
            insert(db, hook.id, kind, payload.to_string(), at).await?;
        }
    }
    Ok(())
}

async fn insert(
    db: &impl ConnectionTrait,
    webhook_id: i64,
    kind: WebhookEvent,
    payload: String,
    at: DateTime<Utc>,
) -> Result<()> {
    webhook_delivery::ActiveModel {
        id: NotSet,
        webhook_id: Set(webhook_id),
        message_id: Set(format!("msg_{}", secrets::random_alphanumeric(24))),
        event_type: Set(kind.as_str().to_owned()),
        payload: Set(payload),
        state: Set(DeliveryState::Pending.as_str().to_owned()),
        attempts: Set(0),
        created_at: Set(at),
        next_attempt_at: Set(at),
        retry_until: Set(at + super::retry::RETRY_FOR),
        locked_until: Set(None),
        last_status: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

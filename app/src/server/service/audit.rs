//! The append-only audit log, and the record of refused requests.
use std::collections::HashMap;
use std::sync::Mutex;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::model::audit::{AuditQuery, AuditRow};
use crate::server::entity::audit_event;
use crate::server::error::Result;

/// What happened. Stored as its name; the names are what the audit API filters on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    SignIn,
    SignInFailed,
    SignInRefused,
    SignOut,
    PasswordChanged,
    UserCreate,
    UserUpdate,
    SettingsUpdate,
    TokenCreate,
    TokenDescribe,
    TokenRevoke,
    TokenDelete,
    TokenRegenerate,
    /// A request asked for a token wider than what it holds.
    TokenEscalationRefused,
    EndpointCreate,
    EndpointUpdate,
    EndpointPrimaryRegenerate,
    EndpointTokenCreate,
    EndpointTokenUpdate,
    EndpointAssign,
    EndpointUnassign,
    /// A request that did not authenticate (401) or was not allowed (403).
    AccessRefused,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "auth.sign_in",
            Self::SignInFailed => "auth.sign_in_failed",
            Self::SignInRefused => "auth.sign_in_refused",
            Self::SignOut => "auth.sign_out",
            Self::PasswordChanged => "user.password_changed",
            Self::UserCreate => "user.create",
            Self::UserUpdate => "user.update",
            Self::SettingsUpdate => "settings.update",
            Self::TokenCreate => "token.create",
            Self::TokenDescribe => "token.describe",
            Self::TokenRevoke => "token.revoke",
            Self::TokenDelete => "token.delete",
            Self::TokenRegenerate => "token.regenerate",
            Self::TokenEscalationRefused => "token.escalation_refused",
            Self::EndpointCreate => "endpoint.create",
            Self::EndpointUpdate => "endpoint.update",
            Self::EndpointPrimaryRegenerate => "endpoint.primary_regenerate",
            Self::EndpointTokenCreate => "endpoint_token.create",
            Self::EndpointTokenUpdate => "endpoint_token.update",
            Self::EndpointAssign => "endpoint.assign",
            Self::EndpointUnassign => "endpoint.unassign",
            Self::AccessRefused => "auth.refused",
        }
    }
}

/// One event to append. `target` is what the action was about (a username, a token number).
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

pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<()> {
    audit_event::ActiveModel {
        id: NotSet,
        at: Set(Utc::now()),
        actor: Set(event.actor.map(str::to_owned)),
        action: Set(event.action.as_str().to_owned()),
        target: Set(event.target.map(str::to_owned)),
        ip: Set(event.ip.map(str::to_owned)),
        details: Set(event.details.map(|d| d.to_string())),
    }
    .insert(db)
    .await?;
    Ok(())
}

pub const LIST_LIMIT_MAX: u64 = 200;

/// Newest first, filtered, in pages of `limit` after `query.cursor`.
pub async fn list(
    db: &impl ConnectionTrait,
    query: &AuditQuery,
    limit: u64,
) -> Result<(Vec<AuditRow>, Option<i64>)> {
    let limit = limit.clamp(1, LIST_LIMIT_MAX);
    let mut select = audit_event::Entity::find()
        .order_by_desc(audit_event::Column::Id)
        .limit(limit + 1);
    let actor = query.actor.trim();
    if !actor.is_empty() {
        select = select.filter(audit_event::Column::Actor.eq(actor));
    }
    let action = query.action.trim();
    if !action.is_empty() {
        select = select.filter(audit_event::Column::Action.starts_with(action));
    }
    let target = query.target.trim();
    if !target.is_empty() {
        select = select.filter(audit_event::Column::Target.eq(target));
    }
    if let Some(from) = query.from {
        select = select.filter(audit_event::Column::At.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(audit_event::Column::At.lt(to));
    }
    if let Some(cursor) = query.cursor {
        select = select.filter(audit_event::Column::Id.lt(cursor));
    }
    let mut events = select.all(db).await?;
    let next = if events.len() as u64 > limit {
        events.truncate(limit as usize);
        events.last().map(|e| e.id)
    } else {
        None
    };
    let rows = events
        .into_iter()
        .map(|e| AuditRow {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            target: e.target,
            // Written by `record` from a JSON value; anything else is shown as text.
            details: e
                .details
                .map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))),
            ip: e.ip,
        })
        .collect();
    Ok((rows, next))
}

/// A request that was turned away, as the log and the audit log keep it.
#[derive(Clone, Copy, Debug)]
pub struct Refusal<'a> {
    /// The token's number or hint, or the session's username: never a secret.
    pub credential: &'a str,
    /// The user behind the credential, when known.
    pub actor: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// The error code the caller was given, e.g. `token_revoked` or `forbidden`.
    pub reason: &'static str,
}

/// Keys seen in the current minute; a flood of refusals writes one event per key per minute
/// on each instance instead of one per request.
#[derive(Debug, Default)]
pub struct RefusalThrottle(Mutex<(i64, HashMap<String, ()>)>);

/// Distinct keys kept per minute; beyond it a flood of made-up credentials is logged but
/// no longer audited until the minute ends.
const THROTTLE_KEYS_MAX: usize = 10_000;

impl RefusalThrottle {
    fn admit(&self, refusal: &Refusal<'_>, minute: i64) -> bool {
        let Ok(mut guard) = self.0.lock() else {
            return false;
        };
        let (current, seen) = &mut *guard;
        if *current != minute {
            *current = minute;
            seen.clear();
        }
        if seen.len() >= THROTTLE_KEYS_MAX {
            return false;
        }
        let key = format!(
            "{}\0{}\0{}",
            refusal.credential,
            refusal.ip.unwrap_or_default(),
            refusal.reason
        );
        seen.insert(key, ()).is_none()
    }
}

/// Logs a refused request, and audits it unless the same refusal was audited this minute.
pub async fn refused(
    db: &impl ConnectionTrait,
    throttle: &RefusalThrottle,
    refusal: Refusal<'_>,
) -> Result<()> {
    tracing::info!(
        credential = refusal.credential,
        ip = refusal.ip,
        reason = refusal.reason,
        "request refused"
    );
    if !throttle.admit(&refusal, Utc::now().timestamp() / 60) {
        return Ok(());
    }
    record(
        db,
        Event {
            actor: refusal.actor,
            target: Some(refusal.credential),
            ip: refusal.ip,
            ..Event::new(Action::AccessRefused)
        }
        .details(serde_json::json!({ "reason": refusal.reason })),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_audited_once_per_minute() {
        let throttle = RefusalThrottle::default();
        let refusal = Refusal {
            credential: "tsr_Ab12…x9Qz",
            actor: None,
            ip: Some("192.0.2.1"),
            reason: "invalid_token",
        };
        assert!(throttle.admit(&refusal, 10));
        assert!(!throttle.admit(&refusal, 10));
        let other_ip = Refusal {
            ip: Some("192.0.2.2"),
            ..refusal
        };
        assert!(throttle.admit(&other_ip, 10));
        assert!(throttle.admit(&refusal, 11));
    }
}

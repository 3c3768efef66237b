//! The append-only audit log, and the record of refused requests.
use std::collections::HashSet;
use std::sync::Mutex;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::without_control;
pub use crate::model::audit::Action;
use crate::model::audit::{AuditQuery, AuditRow};
use crate::server::entity::audit_event;
use crate::server::error::Result;

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

/// Appends `event`, and its webhook deliveries, through `db`: in a change, its transaction.
pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<()> {
    let at = Utc::now();
    super::webhooks::outbox::enqueue(db, &event, at).await?;
    audit_event::ActiveModel {
        id: NotSet,
        at: Set(at),
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
    let actor = without_control(query.actor.trim(), "actor")?;
    if !actor.is_empty() {
        select = select.filter(audit_event::Column::Actor.eq(actor));
    }
    let action = without_control(query.action.trim(), "action")?;
    if !action.is_empty() {
        select = select.filter(audit_event::Column::Action.starts_with(action));
    }
    let target = without_control(query.target.trim(), "target")?;
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

/// Refusals audited in the current minute, per instance: one event per (credential, actor,
/// IP, reason) instead of one per request. Refusals of known users and of unknown
/// credentials have separate budgets, so a flood of made-up tokens cannot use up the
/// budget that a stolen token's refusals are audited from; the first refusal beyond a
/// budget writes one event saying so.
#[derive(Debug, Default)]
pub struct RefusalThrottle(Mutex<Minute>);

#[derive(Debug, Default)]
struct Minute {
    at: i64,
    known: HashSet<String>,
    unknown: HashSet<String>,
    overflowed: bool,
}

/// Distinct refusals audited per budget and minute.
const THROTTLE_KEYS_MAX: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admit {
    /// First of its kind this minute.
    Audit,
    /// Audited already this minute.
    Seen,
    /// The budget ran out this minute; said once.
    Overflow,
}

impl RefusalThrottle {
    fn admit(&self, refusal: &Refusal<'_>, minute: i64) -> Admit {
        let Ok(mut current) = self.0.lock() else {
            return Admit::Seen;
        };
        if current.at != minute {
            *current = Minute {
                at: minute,
                ..Minute::default()
            };
        }
        let key = format!(
            "{}\0{}\0{}\0{}",
            refusal.credential,
            refusal.actor.unwrap_or_default(),
            refusal.ip.unwrap_or_default(),
            refusal.reason
        );
        let Minute {
            known,
            unknown,
            overflowed,
            ..
        } = &mut *current;
        let budget = if refusal.actor.is_some() {
            known
        } else {
            unknown
        };
        if budget.contains(&key) {
            Admit::Seen
        } else if budget.len() < THROTTLE_KEYS_MAX {
            budget.insert(key);
            Admit::Audit
        } else if !*overflowed {
            *overflowed = true;
            Admit::Overflow
        } else {
            Admit::Seen
        }
    }
}

/// Logs and audits a refused request unless the same refusal was audited this minute;
/// `action` and `details` say what was refused beyond the reason.
pub async fn refused(
    db: &impl ConnectionTrait,
    throttle: &RefusalThrottle,
    refusal: Refusal<'_>,
    action: Action,
    details: Option<serde_json::Value>,
) -> Result<()> {
    let mut details = details.unwrap_or_else(|| serde_json::json!({}));
    details["reason"] = refusal.reason.into();
    let event = match throttle.admit(&refusal, Utc::now().timestamp() / 60) {
        Admit::Seen => {
            tracing::debug!(
                credential = refusal.credential,
                reason = refusal.reason,
                "refused again"
            );
            return Ok(());
        }
        Admit::Audit => {
            tracing::info!(
                credential = refusal.credential,
                actor = refusal.actor,
                ip = refusal.ip,
                reason = refusal.reason,
                action = action.as_str(),
                "request refused"
            );
            Event {
                actor: refusal.actor,
                target: Some(refusal.credential),
                ip: refusal.ip,
                ..Event::new(action)
            }
            .details(details)
        }
        Admit::Overflow => {
            tracing::warn!(
                ip = refusal.ip,
                "more distinct refusals than the audit budget this minute"
            );
            Event {
                target: Some("many credentials"),
                ip: refusal.ip,
                ..Event::new(action)
            }
            .details(serde_json::json!({
                "reason": "flood",
                "audited_this_minute": THROTTLE_KEYS_MAX,
            }))
        }
    };
    record(db, event).await
}

/// [`refused`] for a request turned away at the door (401, 403, a cross-site call): the
/// answer does not wait on the audit log, so a failure to write it is logged, not returned.
pub async fn access_refused(
    db: &impl ConnectionTrait,
    throttle: &RefusalThrottle,
    refusal: Refusal<'_>,
    details: Option<serde_json::Value>,
) {
    if let Err(err) = refused(db, throttle, refusal, Action::AccessRefused, details).await {
        tracing::error!(error = %err, "could not audit a refused request");
    }
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
        assert_eq!(throttle.admit(&refusal, 10), Admit::Audit);
        assert_eq!(throttle.admit(&refusal, 10), Admit::Seen);
        let other_ip = Refusal {
            ip: Some("192.0.2.2"),
            ..refusal
        };
        assert_eq!(throttle.admit(&other_ip, 10), Admit::Audit);
        assert_eq!(throttle.admit(&refusal, 11), Admit::Audit);
    }

    #[test]
    fn a_flood_of_made_up_tokens_leaves_known_users_audited() {
        let throttle = RefusalThrottle::default();
        let hints: Vec<String> = (0..THROTTLE_KEYS_MAX + 2)
            .map(|i| format!("tsr_{i}"))
            .collect();
        let outcomes: Vec<Admit> = hints
            .iter()
            .map(|hint| {
                let refusal = Refusal {
                    credential: hint,
                    actor: None,
                    ip: Some("192.0.2.9"),
                    reason: "invalid_token",
                };
                throttle.admit(&refusal, 7)
            })
            .collect();
        assert_eq!(
            outcomes.iter().filter(|o| **o == Admit::Audit).count(),
            THROTTLE_KEYS_MAX
        );
        assert_eq!(outcomes[THROTTLE_KEYS_MAX], Admit::Overflow);
        assert_eq!(outcomes[THROTTLE_KEYS_MAX + 1], Admit::Seen);
        let stolen = Refusal {
            credential: "AT-000012",
            actor: Some("uma"),
            ip: Some("192.0.2.9"),
            reason: "token_revoked",
        };
        assert_eq!(throttle.admit(&stolen, 7), Admit::Audit);
    }
}

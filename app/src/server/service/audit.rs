//! The append-only audit log.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::api::settings::AuditFilter;

use crate::server::entity::audit_event;
use crate::server::error::Result;

/// One event to append. `target` is what the action was about (a username, a token number).
#[derive(Debug, Default)]
pub struct Event<'a> {
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub details: Option<serde_json::Value>,
}

pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<()> {
    audit_event::ActiveModel {
        id: NotSet,
        at: Set(Utc::now()),
        actor: Set(event.actor.map(str::to_owned)),
        action: Set(event.action.to_owned()),
        target: Set(event.target.map(str::to_owned)),
        ip: Set(event.ip.map(str::to_owned)),
        details: Set(event.details.map(|d| d.to_string())),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Newest first, filtered, in pages of `limit` after `filter.cursor`.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    limit: u64,
) -> Result<(Vec<audit_event::Model>, Option<i64>)> {
    let mut select = audit_event::Entity::find()
        .order_by_desc(audit_event::Column::Id)
        .limit(limit + 1);
    let actor = filter.actor.trim();
    if !actor.is_empty() {
        select = select.filter(audit_event::Column::Actor.eq(actor));
    }
    let action = filter.action.trim();
    if !action.is_empty() {
        select = select.filter(audit_event::Column::Action.starts_with(action));
    }
    if let Some(from) = filter.from.and_then(|d| d.and_hms_opt(0, 0, 0)) {
        select = select.filter(audit_event::Column::At.gte(from.and_utc()));
    }
    if let Some(to) = filter
        .to
        .and_then(|d| d.succ_opt())
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        select = select.filter(audit_event::Column::At.lt(to.and_utc()));
    }
    if let Some(cursor) = filter.cursor {
        select = select.filter(audit_event::Column::Id.lt(cursor));
    }
    let mut events = select.all(db).await?;
    let next = if events.len() as u64 > limit {
        events.truncate(limit as usize);
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok((events, next))
}

//! Reading and pruning the audit log. Appending is [`crate::server::audit_log`]'s, below
//! the services that record their changes.
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{start_of_day, without_control};
use crate::model::audit::{AuditFilter, AuditQuery, AuditRow};
use crate::server::authz::Overseer;
use crate::server::entity::audit_event;
use crate::server::error::Result;

pub const LIST_LIMIT_MAX: u64 = 200;

/// Events on one page of the audit log page.
pub const PAGE_EVENTS: u64 = 50;

/// The audit log for an administrator: newest first, filtered, in pages of `limit` after
/// `query.cursor`.
#[tracing::instrument(skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
    query: &AuditQuery,
    limit: u64,
) -> Result<(Vec<AuditRow>, Option<i64>)> {
    events(db, query, limit).await
}

/// A page of the audit log page: its filter names whole days, `to` included.
#[tracing::instrument(skip_all)]
pub async fn page(
    db: &impl ConnectionTrait,
    overseer: &Overseer,
    filter: AuditFilter,
) -> Result<(Vec<AuditRow>, Option<i64>)> {
    let query = AuditQuery {
        actor: filter.actor,
        action: filter.action,
        target: String::new(),
        from: filter.from.map(start_of_day),
        to: filter.to.and_then(|day| day.succ_opt()).map(start_of_day),
        cursor: filter.cursor,
    };
    list(db, overseer, &query, PAGE_EVENTS).await
}

/// The events `query` finds, for whoever the caller has shown may see them (an
/// administrator, or a token's owner its own token's events).
#[tracing::instrument(skip_all)]
pub(crate) async fn events(
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
            count: u64::try_from(e.count).unwrap_or(1),
        })
        .collect();
    Ok((rows, next))
}

/// Audit events deleted per statement by [`purge`]: a large backlog goes in steps that
/// never hold the table for long.
pub const PURGE_BATCH: u64 = 1_000;

/// Deletes the events older than the retention of `audit_retention_days` before `now`, a
/// batch at a time; how many.
#[tracing::instrument(skip_all)]
pub async fn purge(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let days = super::settings::load(db).await?.audit_retention_days;
    let before = now - chrono::Duration::days(i64::from(days));
    let mut purged = 0;
    loop {
        let ids: Vec<i64> = audit_event::Entity::find()
            .select_only()
            .column(audit_event::Column::Id)
            .filter(audit_event::Column::At.lt(before))
            .order_by_asc(audit_event::Column::At)
            .limit(PURGE_BATCH)
            .into_tuple()
            .all(db)
            .await?;
        if ids.is_empty() {
            return Ok(purged);
        }
        purged += audit_event::Entity::delete_many()
            .filter(audit_event::Column::Id.is_in(ids))
            .exec(db)
            .await?
            .rows_affected;
    }
}

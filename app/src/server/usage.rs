//! Last use of each token (when, from where, with which scopes, how many calls a day),
//! gathered in memory and written in batches: verification itself never writes, and a busy
//! token costs at most one write per flush interval.
use std::collections::HashMap;
use std::net::IpAddr;

use rustc_hash::FxHashMap;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::authz::Secret;
use super::entity::{access_token, token_usage_day};
use super::error::Result;
use crate::model::scope::{Scope, Scopes};

pub const MAX_IPS: usize = 5;

#[derive(Debug, Default)]
struct Pending {
    at: Option<DateTime<Utc>>,
    /// The last use of the secret a rotation replaced, during its overlap.
    previous_at: Option<DateTime<Utc>>,
    /// The scopes the calls exercised.
    scopes: Scopes,
    /// Most recent first, distinct; text only when written.
    ips: Vec<IpAddr>,
    /// Calls per day (UTC), each day once: one entry, or two across midnight.
    calls: Vec<(NaiveDate, i64)>,
}

/// Requests on both workers record at once; one lock would make them queue (and sleep).
const SHARDS: usize = 16;

#[derive(Debug, Default)]
pub struct UsageLog {
    pending: [Mutex<FxHashMap<i64, Pending>>; SHARDS],
    /// Held for a whole flush, so that the flush at shutdown waits for a running one.
    flushing: tokio::sync::Mutex<()>,
}

/// Puts `ip` first in `ips`, keeping them distinct and at most [`MAX_IPS`].
pub fn merge_ip<T: PartialEq>(ips: &mut Vec<T>, ip: T) {
    ips.retain(|known| *known != ip);
    ips.insert(0, ip);
    ips.truncate(MAX_IPS);
}

impl UsageLog {
    pub fn record(&self, token_id: i64, ip: Option<IpAddr>, secret: Secret) {
        let now = Utc::now();
        let shard = &self.pending[token_id.unsigned_abs() as usize % SHARDS];
        if let Ok(mut pending) = shard.lock() {
            let entry = pending.entry(token_id).or_default();
            entry.at = Some(now);
            let today = now.date_naive();
            // Searched, not only the last: a clock set back across midnight must not list a
            // day twice (PostgreSQL refuses an upsert that touches one row twice).
            match entry.calls.iter_mut().find(|(day, _)| *day == today) {
                Some((_, calls)) => *calls += 1,
                None => entry.calls.push((today, 1)),
            }
            if secret == Secret::Previous {
                entry.previous_at = Some(now);
            }
            // The usual case, the same client again, changes nothing.
            if let Some(ip) = ip.filter(|ip| entry.ips.first() != Some(ip)) {
                merge_ip(&mut entry.ips, ip);
            }
        }
    }

    /// Notes that a call with the token exercised `scope` (it was checked and held); written
    /// with the next flush, so it costs no write of its own.
    pub fn record_scope(&self, token_id: i64, scope: Scope) {
        let shard = &self.pending[token_id.unsigned_abs() as usize % SHARDS];
        if let Ok(mut pending) = shard.lock() {
            let entry = pending.entry(token_id).or_default();
            entry.scopes = entry.scopes.with(scope);
        }
    }

    /// Writes what was gathered since the last flush: one update per token used, all in
    /// one transaction (one sync to disk however many tokens were used).
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<()> {
        let _flushing = self.flushing.lock().await;
        let mut batch: HashMap<i64, Pending> = HashMap::new();
        for shard in &self.pending {
            if let Ok(mut pending) = shard.lock() {
                batch.extend(pending.drain());
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = batch.keys().copied().collect();
        // Read before the transaction: on SQLite one that reads and then writes fails at once
        // (SQLITE_BUSY_SNAPSHOT) when another connection wrote in between, while one that
        // starts by writing waits its turn. A token deleted meanwhile is simply not found,
        // or not updated; there is nothing to record.
        let mut tokens = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(FLUSH_CHUNK) {
            tokens.extend(
                access_token::Entity::find()
                    .filter(access_token::Column::Id.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?,
            );
        }
        let mut days = Vec::new();
        let txn = db.begin().await?;
        for token in tokens {
            if let Some(usage) = batch.remove(&token.id) {
                days.extend(
                    usage
                        .calls
                        .iter()
                        .map(|&(day, calls)| token_usage_day::ActiveModel {
                            token_id: Set(token.id),
                            day: Set(day),
                            requests: Set(calls),
                        }),
                );
                record_use(&txn, token, usage).await?;
            }
        }
        add_calls(&txn, days).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Adds the calls to each (token, day), creating the days not seen yet: one statement per
/// [`FLUSH_CHUNK`] rows, on SQLite and PostgreSQL alike.
async fn add_calls(
    db: &impl ConnectionTrait,
    days: Vec<token_usage_day::ActiveModel>,
) -> Result<()> {
    let mut days = days.into_iter().peekable();
    while days.peek().is_some() {
        let chunk: Vec<_> = days.by_ref().take(FLUSH_CHUNK).collect();
        token_usage_day::Entity::insert_many(chunk)
            .on_conflict(
                OnConflict::columns([
                    token_usage_day::Column::TokenId,
                    token_usage_day::Column::Day,
                ])
                .value(
                    token_usage_day::Column::Requests,
                    Expr::col((token_usage_day::Entity, token_usage_day::Column::Requests)).add(
                        Expr::col((Alias::new("excluded"), token_usage_day::Column::Requests)),
                    ),
                )
                .to_owned(),
            )
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Forgets the calls of days before `day`: the chart looks back 30 days, no further.
pub async fn forget_days_before(db: &impl ConnectionTrait, day: NaiveDate) -> Result<u64> {
    Ok(token_usage_day::Entity::delete_many()
        .filter(token_usage_day::Column::Day.lt(day))
        .exec(db)
        .await?
        .rows_affected)
}

/// How many tokens one query of a flush reads.
const FLUSH_CHUNK: usize = 500;

async fn record_use(
    db: &impl ConnectionTrait,
    token: access_token::Model,
    usage: Pending,
) -> Result<()> {
    let mut ips: Vec<String> = token
        .last_used_ips
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    for ip in usage.ips.iter().rev() {
        merge_ip(&mut ips, ip.to_string());
    }
    let scopes_used = (usage.scopes != Scopes::NONE).then(|| {
        let mut used: std::collections::BTreeMap<String, chrono::NaiveDate> = token
            .scopes_used
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let today = usage.at.unwrap_or_else(Utc::now).date_naive();
        for scope in usage.scopes.iter() {
            used.insert(scope.as_str().to_owned(), today);
        }
        serde_json::to_string(&used).ok()
    });
    let mut update = access_token::Entity::update_many()
        .col_expr(
            access_token::Column::LastUsedIps,
            Expr::value(serde_json::to_string(&ips).ok()),
        )
        .filter(access_token::Column::Id.eq(token.id));
    if let Some(scopes_used) = scopes_used {
        update = update.col_expr(access_token::Column::ScopesUsed, Expr::value(scopes_used));
    }
    if let Some(at) = usage.at {
        update = update.col_expr(access_token::Column::LastUsedAt, Expr::value(at));
    }
    if let Some(at) = usage.previous_at {
        update = update.col_expr(access_token::Column::PreviousUsedAt, Expr::value(at));
    }
    update.exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::merge_ip;

    #[test]
    fn the_last_five_distinct_addresses_are_kept_newest_first() {
        let mut ips = Vec::new();
        for ip in ["a", "b", "c", "a", "d", "e", "f"] {
            merge_ip(&mut ips, ip);
        }
        assert_eq!(ips, ["f", "e", "d", "a", "c"]);
    }
}

//! The one path every state change takes: a transaction that first increments the change
//! counter, then holds the write and its audit event, and commits them together. The local
//! verification cache is reset when the change ends, committed or not, and the other
//! instances learn of it from the counter: on PostgreSQL at once through a notification
//! sent with the commit, elsewhere by polling it.
//!
//! Incrementing first takes the counter row's write lock, so changes are ordered one after
//! another across instances: a rule that reads before it writes (the last administrator)
//! sees every change committed before it.
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, ExprTrait, QueryFilter, TransactionTrait,
};

use super::audit_log as audit;
use super::cache::AuthCache;
use super::entity::change_counter;
use super::error::Result;

/// The PostgreSQL channel on which a committed change is announced.
pub const CHANNEL: &str = "tessera_changes";

/// Changes on someone's behalf begin with `Change::acting`, which the token service defines:
/// whether the actor's grant still holds is its rule.
pub struct Change<'a> {
    txn: DatabaseTransaction,
    counter: i64,
    reset: ResetOnDrop<'a>,
    /// The acting client's address, for the audit events that do not name one.
    ip: Option<String>,
}

/// Resets the cache however the change ends: after the commit, or on an error path where
/// the transaction rolls back (a reset too many costs one reload; one too few serves a
/// revoked token).
struct ResetOnDrop<'a>(&'a AuthCache);

impl Drop for ResetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.reset();
    }
}

impl<'a> Change<'a> {
    pub async fn begin(db: &DatabaseConnection, cache: &'a AuthCache) -> Result<Self> {
        let reset = ResetOnDrop(cache);
        let txn = db.begin().await?;
        change_counter::Entity::update_many()
            .col_expr(
                change_counter::Column::Value,
                Expr::col(change_counter::Column::Value).add(1),
            )
            .filter(change_counter::Column::Id.eq(1))
            .exec(&txn)
            .await?;
        let counter = change_counter::Entity::find_by_id(1)
            .one(&txn)
            .await?
            .map_or(0, |row| row.value);
        if txn.get_database_backend() == DbBackend::Postgres {
            // Delivered only if and when the transaction commits.
            txn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
        }
        Ok(Self {
            txn,
            counter,
            reset,
            ip: None,
        })
    }

    /// Ends the change without its writes.
    pub async fn rollback(self) -> Result<()> {
        Ok(self.txn.rollback().await?)
    }

    /// Names `ip` as the acting client's address on the change's audit events.
    pub fn from_ip(self, ip: Option<&str>) -> Self {
        Self {
            ip: ip.map(str::to_owned),
            ..self
        }
    }

    /// The transaction the change's writes go through.
    pub fn db(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// Appends `event` in this change's transaction, with the acting client's address
    /// unless the event names one.
    pub async fn audit(&self, event: audit::Event<'_>) -> Result<()> {
        let ip = event.ip.or(self.ip.as_deref());
        audit::record(&self.txn, audit::Event { ip, ..event }).await
    }

    pub async fn commit(self) -> Result<()> {
        let Self {
            txn,
            counter,
            reset,
            ..
        } = self;
        txn.commit().await?;
        let cache = reset.0;
        drop(reset);
        cache.caught_up(counter);
        Ok(())
    }
}

//! The endpoints' request log, gathered in memory and written in batches: logging never
//! holds up a call, and a clean shutdown writes what is pending.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, NotSet, Set, TransactionTrait};

use super::entity::endpoint_request;
use super::error::Result;
use super::service::traffic::Sender;

/// Rows per INSERT: ten values each stays far below every backend's parameter limit.
const INSERT_CHUNK: usize = 500;

/// Calls kept in memory between two writes. A flood beyond it (or a database that stays
/// away) is counted and reported instead of growing memory without bound.
pub const PENDING_MAX: usize = 100_000;

#[derive(Debug, Default)]
pub struct RequestLog {
    pending: Mutex<Vec<endpoint_request::ActiveModel>>,
    /// Calls not kept since the last write because the buffer was full.
    dropped: AtomicU64,
    /// Held for a whole flush: the flush at shutdown waits for one the timer started, which
    /// would otherwise be cut off mid-write with its batch already taken.
    flushing: tokio::sync::Mutex<()>,
}

/// One call, as the data viewer will show it.
pub struct Call<'a> {
    pub endpoint_id: i64,
    pub method: &'a str,
    pub sender: &'a Sender,
    pub status: u16,
    pub size: usize,
    pub ip: Option<String>,
    pub record_id: Option<i64>,
}

impl RequestLog {
    pub fn record(&self, call: Call<'_>) {
        let row = endpoint_request::ActiveModel {
            id: NotSet,
            endpoint_id: Set(call.endpoint_id),
            at: Set(Utc::now()),
            method: Set(call.method.to_owned()),
            sender: Set(call.sender.label()),
            endpoint_token_id: Set(call.sender.endpoint_token_id()),
            status: Set(i16::try_from(call.status).unwrap_or(i16::MAX)),
            size: Set(i64::try_from(call.size).unwrap_or(i64::MAX)),
            ip: Set(call.ip),
            record_id: Set(call.record_id),
        };
        if let Ok(mut pending) = self.pending.lock() {
            if pending.len() < PENDING_MAX {
                pending.push(row);
                return;
            }
        }
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// Calls not kept since the last call of this, because the buffer was full.
    pub fn take_dropped(&self) -> u64 {
        self.dropped.swap(0, Ordering::Relaxed)
    }

    /// Writes everything gathered so far in one transaction. On failure the batch is put
    /// back, so a database hiccup delays entries instead of losing them.
    pub async fn flush(&self, db: &DatabaseConnection) -> Result<()> {
        let _flushing = self.flushing.lock().await;
        let dropped = self.take_dropped();
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "endpoint calls were not logged: more arrived between two writes than the log keeps"
            );
        }
        let batch = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(()),
        };
        if batch.is_empty() {
            return Ok(());
        }
        let written = async {
            let txn = db.begin().await?;
            for chunk in batch.chunks(INSERT_CHUNK) {
                endpoint_request::Entity::insert_many(chunk.to_vec())
                    .exec(&txn)
                    .await?;
            }
            txn.commit().await
        }
        .await;
        if let Err(err) = written {
            if let Ok(mut pending) = self.pending.lock() {
                let newer = std::mem::replace(&mut *pending, batch);
                let room = PENDING_MAX.saturating_sub(pending.len());
                let kept = newer.len().min(room);
                self.dropped
                    .fetch_add((newer.len() - kept) as u64, Ordering::Relaxed);
                pending.extend(newer.into_iter().take(kept));
            }
            return Err(err.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flood_beyond_the_buffer_is_counted_not_kept() {
        let log = RequestLog::default();
        for _ in 0..PENDING_MAX + 5 {
            log.record(Call {
                endpoint_id: 1,
                method: "POST",
                sender: &Sender::Unknown,
                status: 401,
                size: 0,
                ip: None,
                record_id: None,
            });
        }
        assert_eq!(log.pending.lock().map(|p| p.len()).unwrap(), PENDING_MAX);
        assert_eq!(log.take_dropped(), 5);
        assert_eq!(log.take_dropped(), 0);
    }
}

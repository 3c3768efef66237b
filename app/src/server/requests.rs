//! The endpoints' request log, gathered in memory and written in batches: logging never
//! holds up a call, and a clean shutdown writes what is pending.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set, Unchanged},
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
};

use super::entity::endpoint_request;
use super::error::Result;
use crate::model::endpoint::Method;

/// Who called, as the request log and the records name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    Anonymous,
    Primary {
        method: Method,
        /// With the value its last regeneration replaced, during the overlap.
        previous: bool,
    },
    EndpointToken {
        id: i64,
        name: String,
        previous: bool,
    },
    /// A user's access token, acting with its owner's rights.
    UserToken {
        number: String,
        owner: String,
    },
    /// No token, or one that matches nothing.
    Unknown,
}

impl Sender {
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Primary { method, previous } => {
                format!("{} primary{}", method.as_str(), previous_label(*previous))
            }
            Self::EndpointToken { name, previous, .. } => {
                format!("{name}{}", previous_label(*previous))
            }
            Self::UserToken { number, owner } => format!("{number} ({owner})"),
            Self::Unknown => "unknown token".into(),
        }
    }

    pub fn endpoint_token_id(&self) -> Option<i64> {
        match self {
            Self::EndpointToken { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// How the request log tells calls with a replaced value, so the data viewer shows who
/// has yet to switch.
fn previous_label(previous: bool) -> &'static str {
    if previous {
        " (previous value)"
    } else {
        ""
    }
}

/// Rows per INSERT: ten values each stays far below every backend's parameter limit.
const INSERT_CHUNK: usize = 500;

/// Calls kept in memory between two writes. A flood beyond it (or a database that stays
/// away) is counted and reported instead of growing memory without bound.
pub const PENDING_MAX: usize = 100_000;

#[derive(Debug, Default)]
pub struct RequestLog {
    pending: Mutex<Pending>,
    /// Calls not kept since the last write because the buffer was full.
    dropped: AtomicU64,
    /// Held for a whole flush: the flush at shutdown waits for one the timer started, which
    /// would otherwise be cut off mid-write with its batch already taken.
    flushing: tokio::sync::Mutex<()>,
}

/// Calls waiting to be written, and where in them each refused call of this batch is
/// counted.
#[derive(Debug, Default)]
struct Pending {
    rows: Vec<endpoint_request::ActiveModel>,
    /// (endpoint, status, sender, client, minute) of a refused call to its row.
    refused: HashMap<(i64, u16, String, Option<String>, i64), usize>,
}

/// One call, as the data viewer will show it.
pub struct Call<'a> {
    pub endpoint_id: i64,
    pub method: &'a str,
    pub sender: &'a Sender,
    pub status: u16,
    pub size: usize,
    pub ip: Option<String>,
}

impl Call<'_> {
    /// The call's row in the log (the record writer fills in the record it stored).
    pub fn row(&self, at: DateTime<Utc>) -> endpoint_request::ActiveModel {
        endpoint_request::ActiveModel {
            id: NotSet,
            endpoint_id: Set(self.endpoint_id),
            at: Set(at),
            method: Set(self.method.to_owned()),
            sender: Set(self.sender.label()),
            endpoint_token_id: Set(self.sender.endpoint_token_id()),
            status: Set(i16::try_from(self.status).unwrap_or(i16::MAX)),
            size: Set(i64::try_from(self.size).unwrap_or(i64::MAX)),
            ip: Set(self.ip.clone()),
            record_id: Set(None),
            calls: Set(1),
        }
    }
}

impl RequestLog {
    /// Keeps a call for the next write. Refused calls (4xx) from one address with the same
    /// answer and sender are counted on one row per minute.
    pub fn record(&self, call: Call<'_>) {
        let now = Utc::now();
        let Ok(mut pending) = self.pending.lock() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let key = (400..500).contains(&call.status).then(|| {
            (
                call.endpoint_id,
                call.status,
                call.sender.label(),
                call.ip.clone(),
                now.timestamp() / 60,
            )
        });
        if let Some(index) = key
            .as_ref()
            .and_then(|key| pending.refused.get(key).copied())
        {
            if let Some(row) = pending.rows.get_mut(index) {
                let calls = match &row.calls {
                    Set(calls) | Unchanged(calls) => *calls,
                    NotSet => 1,
                };
                row.calls = Set(calls.saturating_add(1));
                return;
            }
        }
        if pending.rows.len() >= PENDING_MAX {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        pending.rows.push(call.row(now));
        if let Some(key) = key {
            let index = pending.rows.len() - 1;
            pending.refused.insert(key, index);
        }
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
        let batch = self.take();
        if batch.is_empty() {
            return Ok(());
        }
        let written = async {
            let txn = db.begin().await?;
            insert(&txn, batch.clone()).await?;
            txn.commit().await
        }
        .await;
        if let Err(err) = written {
            self.put_back(batch);
            return Err(err.into());
        }
        Ok(())
    }

    /// Everything gathered so far, for a write that carries it. A failed write hands it back
    /// with [`Self::put_back`].
    pub fn take(&self) -> Vec<endpoint_request::ActiveModel> {
        self.take_at_most(usize::MAX)
    }

    /// Everything gathered so far when it is at most `max` rows, else nothing (the record
    /// writer takes small loads along; the timer takes the rest).
    pub fn take_at_most(&self, max: usize) -> Vec<endpoint_request::ActiveModel> {
        match self.pending.lock() {
            Ok(mut pending) if pending.rows.len() <= max => std::mem::take(&mut *pending).rows,
            _ => Vec::new(),
        }
    }

    /// Returns a batch whose write failed, so a database hiccup delays entries instead of
    /// losing them.
    pub fn put_back(&self, batch: Vec<endpoint_request::ActiveModel>) {
        if batch.is_empty() {
            return;
        }
        if let Ok(mut pending) = self.pending.lock() {
            // The failed batch goes first; rows gathered meanwhile keep their counts
            // (their positions move, so later refusals of this minute start a new row).
            let newer = std::mem::replace(&mut pending.rows, batch);
            pending.refused.clear();
            let room = PENDING_MAX.saturating_sub(pending.rows.len());
            let kept = newer.len().min(room);
            self.dropped
                .fetch_add((newer.len() - kept) as u64, Ordering::Relaxed);
            pending.rows.extend(newer.into_iter().take(kept));
        }
    }
}

/// Inserts log rows in statements small enough for every backend's parameter limit.
pub async fn insert(
    db: &impl ConnectionTrait,
    rows: Vec<endpoint_request::ActiveModel>,
) -> std::result::Result<(), DbErr> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_CHUNK).collect();
        endpoint_request::Entity::insert_many(chunk)
            .exec(db)
            .await?;
    }
    Ok(())
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
                sender: &Sender::Anonymous,
                status: 201,
                size: 0,
                ip: None,
            });
        }
        assert_eq!(
            log.pending.lock().map(|p| p.rows.len()).unwrap(),
            PENDING_MAX
        );
        assert_eq!(log.take_dropped(), 5);
        assert_eq!(log.take_dropped(), 0);
    }

    #[test]
    fn refused_calls_of_a_minute_from_one_address_share_a_row() {
        let log = RequestLog::default();
        let refuse = |ip: &str, status| {
            log.record(Call {
                endpoint_id: 1,
                method: "POST",
                sender: &Sender::Unknown,
                status,
                size: 0,
                ip: Some(ip.into()),
            });
        };
        for _ in 0..1000 {
            refuse("192.0.2.1", 401);
        }
        refuse("192.0.2.2", 401);
        refuse("192.0.2.1", 403);
        let pending = log.pending.lock().unwrap();
        assert_eq!(pending.rows.len(), 3);
        assert_eq!(pending.rows[0].calls, Set(1000));
        assert_eq!(pending.rows[1].calls, Set(1));
    }
}

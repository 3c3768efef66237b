//! Endpoint records go through one writer that commits them in groups. A call queues its
//! record and waits for the transaction that holds it, so a 201 is only ever sent for a
//! committed record; the writer takes everything queued while the previous commit ran (up to
//! [`BATCH_MAX`] records or [`BATCH_BYTES`]), so a burst costs one commit instead of one per
//! record, and records never compete with one another for the database's write lock. The
//! call's request-log row, and the log's other pending rows when they are few, are written in
//! the same transaction.
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    DatabaseConnection, DbErr, EntityTrait, RuntimeErr, TransactionTrait,
};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::entity::{endpoint_record, endpoint_request};
use super::error::{Result, ServiceError};
use super::requests::{self, Call, RequestLog};

/// Records per transaction at most.
pub const BATCH_MAX: usize = 256;
/// Bytes of record data per transaction at most (records may be 1 MiB each).
pub const BATCH_BYTES: usize = 8 * 1024 * 1024;
/// Records waiting for the writer; a caller beyond it waits for room.
const QUEUE: usize = 1024;
/// KiB of record data waiting for the writer; a caller beyond it waits for room, so a flood
/// of large records is held back by its senders, not by this process's memory.
const QUEUE_KIB: usize = 64 * 1024;
/// How long a record may wait for its transaction: while the database is stuck, callers get
/// a 500 after this instead of piling up, and few records are stored after their clients'
/// own deadlines (30 s in `src/serve.rs`) already failed them.
const WAIT_MAX: Duration = Duration::from_secs(20);
/// A commit slower than this is logged: every caller queued behind it waited as long.
const SLOW_COMMIT: Duration = Duration::from_millis(100);
/// Pending request-log rows that ride along with a batch at most; more are left to the log's
/// own timer, so a flood of refused calls does not slow records down.
const LOG_ROWS_MAX: usize = 2_000;

/// A committed record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    pub received_at: DateTime<Utc>,
}

struct Job {
    record: endpoint_record::ActiveModel,
    call: endpoint_request::ActiveModel,
    received_at: DateTime<Utc>,
    bytes: usize,
    deadline: Instant,
    done: oneshot::Sender<std::result::Result<Stored, ()>>,
    /// The job's share of [`QUEUE_KIB`], given back when the job is answered.
    _room: OwnedSemaphorePermit,
}

#[derive(Clone, Debug)]
pub struct RecordWriter {
    queue: mpsc::Sender<Job>,
    room: Arc<Semaphore>,
}

impl RecordWriter {
    /// Starts the writer on the current runtime; it stops when the last handle is dropped,
    /// after answering everything queued.
    pub fn start(db: DatabaseConnection, log: Arc<RequestLog>) -> Self {
        let (queue, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, log, jobs));
        Self {
            queue,
            room: Arc::new(Semaphore::new(QUEUE_KIB)),
        }
    }

    /// Stores `data` for the call described by `call` (whose status is the 201 it will get)
    /// and answers once the record and the call's log row are committed.
    pub async fn store(&self, call: Call<'_>, data: String) -> Result<Stored> {
        let stopped = || ServiceError::Internal("the record writer has stopped".into());
        let kib = (data.len() / 1024 + 1).min(QUEUE_KIB);
        let room = self
            .room
            .clone()
            .acquire_many_owned(u32::try_from(kib).unwrap_or(u32::MAX))
            .await
            .map_err(|_| stopped())?;
        // What PostgreSQL keeps of a timestamp, so the answer says what a later read will.
        let received_at = Utc::now().trunc_subsecs(6);
        let record = endpoint_record::ActiveModel {
            id: NotSet,
            endpoint_id: Set(call.endpoint_id),
            received_at: Set(received_at),
            sender: Set(call.sender.label()),
            endpoint_token_id: Set(call.sender.endpoint_token_id()),
            data: Set(data),
        };
        let (done, answer) = oneshot::channel();
        let job = Job {
            bytes: call.size,
            call: call.row(received_at),
            record,
            received_at,
            deadline: Instant::now() + WAIT_MAX,
            done,
            _room: room,
        };
        self.queue.send(job).await.map_err(|_| stopped())?;
        match answer.await {
            Ok(Ok(stored)) => Ok(stored),
            Ok(Err(())) => Err(ServiceError::Internal("the record was not stored".into())),
            Err(_) => Err(stopped()),
        }
    }
}

async fn run(db: DatabaseConnection, log: Arc<RequestLog>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut bytes = first.bytes;
        let mut batch = vec![first];
        while batch.len() < BATCH_MAX && bytes < BATCH_BYTES {
            let Ok(job) = jobs.try_recv() else { break };
            bytes += job.bytes;
            batch.push(job);
        }
        let (batch, late) = batch
            .into_iter()
            .partition::<Vec<_>, _>(|job| job.deadline > Instant::now());
        if !late.is_empty() {
            finish(late, Err(too_late()));
        }
        if batch.is_empty() {
            continue;
        }
        let started = Instant::now();
        let outcome = commit(&db, &log, &batch).await;
        if started.elapsed() > SLOW_COMMIT {
            tracing::warn!(
                records = batch.len(),
                ms = started.elapsed().as_millis() as u64,
                "a commit of endpoint records was slow"
            );
        }
        match outcome {
            Ok(ids) => answer(batch, ids),
            // A record the database itself refuses (a constraint or trigger) must not fail
            // the others queued with it: each is tried alone, while its caller still waits.
            Err(err) if batch.len() > 1 && refused_by_database(&err) => {
                tracing::warn!(error = %err, "a batch of records failed; storing them one by one");
                for job in batch {
                    let outcome = if job.deadline > Instant::now() {
                        commit(&db, &log, std::slice::from_ref(&job)).await
                    } else {
                        Err(too_late())
                    };
                    finish(vec![job], outcome);
                }
            }
            Err(err) => finish(batch, Err(err)),
        }
    }
}

fn too_late() -> DbErr {
    DbErr::Custom("the record waited too long for the database".into())
}

/// Whether the database answered the statement with a refusal (as opposed to being
/// unreachable or busy, when trying records one by one would only multiply the wait).
fn refused_by_database(err: &DbErr) -> bool {
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e
            .as_database_error()
            .is_some_and(|e| !e.message().contains("locked") && !e.message().contains("busy")),
        _ => false,
    }
}

fn finish(batch: Vec<Job>, outcome: std::result::Result<Vec<i64>, DbErr>) {
    match outcome {
        Ok(ids) => answer(batch, ids),
        Err(err) => {
            tracing::error!(error = %err, "could not store an endpoint record");
            for job in batch {
                let _ = job.done.send(Err(()));
            }
        }
    }
}

fn answer(batch: Vec<Job>, ids: Vec<i64>) {
    for (job, id) in batch.into_iter().zip(ids) {
        let stored = Stored {
            id,
            received_at: job.received_at,
        };
        // A caller that went away needs no answer; its record is stored all the same.
        let _ = job.done.send(Ok(stored));
    }
}

/// One transaction: the records, their calls' log rows, and the log's other pending rows.
/// Answers the records' ids in the order of `batch`.
async fn commit(
    db: &DatabaseConnection,
    log: &RequestLog,
    batch: &[Job],
) -> std::result::Result<Vec<i64>, DbErr> {
    let pending = log.take_at_most(LOG_ROWS_MAX);
    let written = async {
        let txn = db.begin().await?;
        let mut ids = endpoint_record::Entity::insert_many(batch.iter().map(|j| j.record.clone()))
            .exec_with_returning_keys(&txn)
            .await?;
        // RETURNING's row order is unspecified, but one INSERT numbers its rows in the order
        // of its VALUES on both backends (SQLite's next rowid, PostgreSQL's sequence), so the
        // sorted keys are the records' keys in order.
        ids.sort_unstable();
        if ids.len() != batch.len() {
            return Err(DbErr::Custom(format!(
                "{} keys returned for {} records",
                ids.len(),
                batch.len()
            )));
        }
        let rows = batch
            .iter()
            .zip(&ids)
            .map(|(job, id)| {
                let mut call = job.call.clone();
                call.record_id = Set(Some(*id));
                call
            })
            .chain(pending.iter().cloned())
            .collect();
        requests::insert(&txn, rows).await?;
        txn.commit().await?;
        Ok(ids)
    }
    .await;
    if written.is_err() {
        log.put_back(pending);
    }
    written
}

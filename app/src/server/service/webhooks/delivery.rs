//! The delivery worker: any instance claims due deliveries with a lease (one conditional
//! update, so two instances never send the same attempt), sends them signed, and records
//! the attempt. Each webhook has a sender of its own, so a receiver that never answers holds
//! up only its own deliveries. A failure is retried with backoff (`retry`) until the
//! delivery's day is over; then the delivery fails and its webhook is turned off.
//! Deliveries are at least once: an instance killed mid-attempt leaves its lease to run
//! out, and another sends again with the same `webhook-id`.
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, NotSet, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{address, signature};
use crate::model::webhook::DeliveryState;
use crate::server::audit_log::{self, Action, Event};
use crate::server::entity::{webhook, webhook_attempt, webhook_delivery};
use crate::server::error::{Result, ServiceError};
use crate::server::retry;

/// An answer slower than this is a failure.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a claimed delivery stays with its instance: the timeout and a margin.
const LEASE: chrono::Duration = chrono::Duration::seconds(30);
/// Deliveries of one webhook claimed per batch; all claimed are sent concurrently.
const PER_WEBHOOK: u64 = 8;

/// Sends deliveries; one per instance, shared by its worker and by "Redeliver".
#[derive(Debug)]
pub struct Deliverer {
    client: Option<reqwest::Client>,
    allow_private: bool,
    /// Webhooks whose sender runs in this instance now: one at a time per webhook, so its
    /// batches follow one another, and a silent receiver holds up only its own sender.
    sending: Arc<Mutex<HashSet<i64>>>,
}

impl Deliverer {
    /// `allow_private` lets webhooks reach loopback and private addresses (tests, and
    /// receivers inside the operator's own network).
    pub fn new(allow_private: bool) -> Self {
        let builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("Tessera-Webhooks/", env!("CARGO_PKG_VERSION")));
        let builder = if allow_private {
            builder
        } else {
            builder.dns_resolver(Arc::new(address::PublicOnly))
        };
        // Building fails only without a TLS backend, which is compiled in; were it to fail,
        // every attempt fails and says so, rather than falling back to a client without
        // the address checks.
        let client = builder
            .build()
            .inspect_err(|err| tracing::error!(error = %err, "no webhook client"))
            .ok();
        Self {
            client,
            allow_private,
            sending: Arc::default(),
        }
    }

    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// The worker's round: starts a sender for each enabled webhook that has none running
    /// in this instance, and returns without waiting for them. A sender sends its webhook's
    /// due deliveries a batch after another until none is due (or another instance holds
    /// them).
    pub async fn start_senders(&self, db: &DatabaseConnection) -> Result<()> {
        for hook in enabled(db).await? {
            let Some(sending) = Sending::take(&self.sending, hook) else {
                continue;
            };
            let batch = self.batch(db);
            tokio::spawn(async move {
                loop {
                    match batch.send_due(hook, Utc::now()).await {
                        Ok(0) => break,
                        Ok(_) => {}
                        Err(err) => {
                            tracing::warn!(error = %err, webhook = hook, "could not send webhook deliveries");
                            break;
                        }
                    }
                }
                drop(sending);
            });
        }
        Ok(())
    }

    /// One batch for every enabled webhook as if it were `now`, all at once, waiting for
    /// them: the senders' work with a clock the caller chooses. Returns how many were
    /// attempted.
    pub async fn deliver_due(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize> {
        let mut batches = tokio::task::JoinSet::new();
        for hook in enabled(db).await? {
            let batch = self.batch(db);
            batches.spawn(async move { batch.send_due(hook, now).await });
        }
        let mut attempted = 0;
        while let Some(sent) = batches.join_next().await {
            attempted += sent.map_err(|e| ServiceError::Internal(e.to_string()))??;
        }
        Ok(attempted)
    }

    fn batch(&self, db: &DatabaseConnection) -> Batch {
        Batch {
            client: self.client.clone(),
            allow_private: self.allow_private,
            db: db.clone(),
        }
    }
}

/// The ids of the webhooks that are on.
async fn enabled(db: &DatabaseConnection) -> Result<Vec<i64>> {
    Ok(webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .filter(webhook::Column::Enabled.eq(true))
        .into_tuple::<i64>()
        .all(db)
        .await?)
}

/// A webhook marked as having its sender in this instance, until dropped (also when the
/// sender panics, so that the next round starts another).
struct Sending {
    set: Arc<Mutex<HashSet<i64>>>,
    hook: i64,
}

impl Sending {
    fn take(set: &Arc<Mutex<HashSet<i64>>>, hook: i64) -> Option<Self> {
        let mut held = set.lock().unwrap_or_else(PoisonError::into_inner);
        held.insert(hook).then(|| Self {
            set: set.clone(),
            hook,
        })
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.hook);
    }
}

/// What sending one batch of a webhook's deliveries needs, owned so that a task can hold it.
#[derive(Clone)]
struct Batch {
    client: Option<reqwest::Client>,
    allow_private: bool,
    db: DatabaseConnection,
}

impl Batch {
    /// Claims up to [`PER_WEBHOOK`] of `hook`'s deliveries due at `now`, sends them all at
    /// once and records each attempt. Returns how many were claimed (none once the webhook
    /// is off or gone).
    async fn send_due(&self, hook: i64, now: DateTime<Utc>) -> Result<usize> {
        let db = &self.db;
        // Read per batch: a webhook changed or turned off meanwhile is sent as it is now.
        let Some(hook) = webhook::Entity::find_by_id(hook)
            .filter(webhook::Column::Enabled.eq(true))
            .one(db)
            .await?
        else {
            return Ok(0);
        };
        // Whole milliseconds: stored and compared back exactly on either database.
        let lease = (now + LEASE).trunc_subsecs(3);
        let due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(hook.id))
            .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending.as_str()))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .filter(free(now))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(PER_WEBHOOK)
            .all(db)
            .await?;
        let mut claimed = Vec::new();
        for delivery in due {
            if claim(db, delivery.id, now, lease).await? {
                claimed.push(delivery);
            }
        }
        // Claimed first, then sent together: an error above leaves nothing half sent.
        let attempted = claimed.len();
        let hook = Arc::new(hook);
        let mut sends = tokio::task::JoinSet::new();
        for delivery in claimed {
            let (batch, hook) = (self.clone(), hook.clone());
            sends.spawn(async move {
                let outcome = send(
                    batch.client.as_ref(),
                    batch.allow_private,
                    &hook,
                    &delivery,
                    now,
                )
                .await;
                if let Err(err) = settle(&batch.db, &hook, &delivery, lease, now, outcome).await {
                    tracing::warn!(error = %err, delivery = delivery.id, "could not record a webhook attempt");
                }
            });
        }
        while sends.join_next().await.is_some() {}
        Ok(attempted)
    }
}

/// Not held by an instance (or its lease has run out).
fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(webhook_delivery::Column::LockedUntil.is_null())
        .add(webhook_delivery::Column::LockedUntil.lte(now))
}

async fn claim(
    db: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
    lease: DateTime<Utc>,
) -> Result<bool> {
    Ok(webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::LockedUntil, Expr::value(lease))
        .filter(webhook_delivery::Column::Id.eq(id))
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .filter(free(now))
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// What one attempt came to.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    took: Duration,
}

impl Outcome {
    fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

async fn send(
    client: Option<&reqwest::Client>,
    allow_private: bool,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
    now: DateTime<Utc>,
) -> Outcome {
    let started = Instant::now();
    let failed = |error: String| Outcome {
        status: None,
        error: Some(error),
        took: started.elapsed(),
    };
    let Some(client) = client else {
        return failed("no HTTP client could be built".into());
    };
    let url = match reqwest::Url::parse(&hook.url) {
        Ok(url) => url,
        Err(err) => return failed(format!("invalid URL: {err}")),
    };
    if !allow_private && !address::literal_allowed(&url) {
        return failed("the URL points to a loopback, private or link-local address".into());
    }
    let timestamp = now.timestamp();
    let Some(signature) = signature::sign(
        &hook.secret,
        &delivery.message_id,
        timestamp,
        delivery.payload.as_bytes(),
    ) else {
        return failed("the webhook's secret cannot sign".into());
    };
    let answer = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    match answer {
        Ok(response) => Outcome {
            status: Some(response.status().as_u16()),
            error: None,
            took: started.elapsed(),
        },
        Err(err) if err.is_timeout() => failed(format!("no answer within {} s", TIMEOUT.as_secs())),
        Err(err) if err.is_connect() => failed("could not connect".into()),
        Err(_) => failed("the request failed".into()),
    }
}

/// Records the attempt and what follows from it, if this instance still holds the lease.
async fn settle(
    db: &DatabaseConnection,
    hook: &webhook::Model,
    delivery: &webhook_delivery::Model,
    lease: DateTime<Utc>,
    now: DateTime<Utc>,
    outcome: Outcome,
) -> Result<()> {
    let attempts = delivery.attempts + 1;
    let (state, next) = if outcome.succeeded() {
        (DeliveryState::Delivered, delivery.next_attempt_at)
    } else {
        match retry::next_attempt(attempts, now, delivery.retry_until) {
            Some(next) => (DeliveryState::Pending, next),
            None => (DeliveryState::Failed, delivery.next_attempt_at),
        }
    };
    let txn = db.begin().await?;
    let held = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::State, Expr::value(state.as_str()))
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(attempts))
        .col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            webhook_delivery::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            webhook_delivery::Column::LastStatus,
            Expr::value(outcome.status.map(i32::from)),
        )
        .filter(webhook_delivery::Column::Id.eq(delivery.id))
        .filter(webhook_delivery::Column::LockedUntil.eq(lease))
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !held {
        // The lease ran out and another instance took the delivery over: its record counts.
        return Ok(());
    }
    webhook_attempt::ActiveModel {
        id: NotSet,
        delivery_id: Set(delivery.id),
        at: Set(now),
        status: Set(outcome.status.map(i32::from)),
        error: Set(outcome.error),
        duration_ms: Set(i64::try_from(outcome.took.as_millis()).unwrap_or(i64::MAX)),
    }
    .insert(&txn)
    .await?;
    if state == DeliveryState::Failed {
        turn_off(&txn, hook, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A webhook whose delivery failed for a day is turned off, with the reason on its banner;
/// what was still pending for it is given up (an administrator can redeliver it).
async fn turn_off(
    txn: &impl ConnectionTrait,
    hook: &webhook::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let turned_off = webhook::Entity::update_many()
        .col_expr(webhook::Column::Enabled, Expr::value(false))
        .col_expr(
            webhook::Column::DisabledReason,
            Expr::value(format!(
                "Turned off on {} after a delivery failed for 24 hours",
                now.format("%Y-%m-%d %H:%M UTC")
            )),
        )
        .filter(webhook::Column::Id.eq(hook.id))
        .filter(webhook::Column::Enabled.eq(true))
        .exec(txn)
        .await?
        .rows_affected
        == 1;
    if turned_off {
        let abandoned = super::abandon_pending(txn, hook.id).await?;
        let target = super::target(hook.id);
        audit_log::record(
            txn,
            Event {
                target: Some(&target),
                ..Event::new(Action::WebhookDisable)
            }
            .details(serde_json::json!({
                "origin": super::origin(&hook.url),
                "abandoned": abandoned,
            })),
        )
        .await?;
    }
    Ok(())
}

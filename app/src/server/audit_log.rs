//! Appending to the audit log: the events every change commits with, and the refused
//! requests, counted per kind and minute. Below the services, so that the change path, the
//! webhooks' outbox and the refusal counts can write without importing a service.
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, NotSet, Set, TryInsertResult};

use super::entity::audit_event;
use super::error::Result;
use super::secrets;
pub use crate::model::audit::{Action, Event};

/// Appends `event`, and its webhook deliveries, through `db`: in a change, its transaction.
pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<()> {
    let at = Utc::now();
    super::webhook_outbox::enqueue(db, &event, at).await?;
    row(&event, at, None).insert(db).await?;
    Ok(())
}

/// `event`'s row, counting one; `refusal_key` names the bucket of a refused request.
fn row(
    event: &Event<'_>,
    at: DateTime<Utc>,
    refusal_key: Option<String>,
) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: NotSet,
        at: Set(at),
        actor: Set(event.actor.map(str::to_owned)),
        action: Set(event.action.as_str().to_owned()),
        target: Set(event.target.map(str::to_owned)),
        ip: Set(event.ip.map(str::to_owned)),
        details: Set(event.details.as_ref().map(|d| d.to_string())),
        count: Set(1),
        refusal_key: Set(refusal_key),
    }
}

/// A request that was turned away, as the log and the audit log keep it.
#[derive(Clone, Copy, Debug)]
pub struct Refusal<'a> {
    /// The token's number or hint, or the session's username: never a secret.
    pub credential: &'a str,
    /// Whether Tessera knows the credential. Every one it does not know (made up, malformed,
    /// or not looked up) counts as one: a flood of them from one address is one row a
    /// minute, under the first one's hint.
    pub known: bool,
    /// The user behind the credential, when known.
    pub actor: Option<&'a str>,
    pub ip: Option<&'a str>,
    /// The error code the caller was given, e.g. `token_revoked` or `forbidden`.
    pub reason: &'static str,
}

/// Refusals beyond this instance's budget of rows for a minute are counted on one row.
const FLOOD: Refusal<'static> = Refusal {
    credential: "many credentials",
    known: true,
    actor: None,
    ip: None,
    reason: "flood",
};

impl Refusal<'_> {
    /// The row that counts this refusal: one per (action, code, credential, user, address,
    /// minute). A digest, so that the key has one short length whatever it names.
    fn bucket(&self, action: Action, minute: i64) -> String {
        let credential = if self.known { self.credential } else { "" };
        let key = format!(
            "{minute}\0{}\0{}\0{}\0{credential}\0{}\0{}",
            action.as_str(),
            self.reason,
            self.known,
            self.actor.unwrap_or_default(),
            self.ip.unwrap_or_default(),
        );
        secrets::hex(&secrets::digest_bytes(&key))
    }

    fn budget(&self) -> Budget {
        if self.actor.is_some() {
            Budget::Known
        } else {
            Budget::Anonymous
        }
    }
}

/// Refused requests as this instance counts them: the rows of the current minute it has
/// written (a refusal of the same kind is then only counted), and the counts not yet added
/// to them. Refusals of known users and anonymous ones have separate budgets of rows a
/// minute, so a flood from many addresses cannot use up the budget that a stolen token's
/// refusals are audited from; beyond a budget, refusals are counted on one row saying so.
#[derive(Debug, Default)]
pub struct RefusalCounts(Mutex<Counts>);

#[derive(Debug, Default)]
struct Counts {
    minute: i64,
    written: HashSet<String>,
    known: usize,
    anonymous: usize,
    /// By bucket, the refusals to add to its row.
    pending: HashMap<String, Pending>,
    /// Refusals not counted because `pending` was full (the database stayed away).
    dropped: u64,
}

/// Refusals to add to a row, and the row to write should it be gone.
#[derive(Debug)]
struct Pending {
    row: audit_event::ActiveModel,
    count: i64,
}

impl Counts {
    fn merge(&mut self, bucket: String, more: Pending) {
        let full = self.pending.len() >= PENDING_MAX;
        match self.pending.entry(bucket) {
            Entry::Occupied(mut pending) => {
                let pending = pending.get_mut();
                pending.count = pending.count.saturating_add(more.count);
            }
            Entry::Vacant(_) if full => {
                self.dropped = self
                    .dropped
                    .saturating_add(u64::try_from(more.count).unwrap_or_default());
            }
            Entry::Vacant(pending) => {
                pending.insert(more);
            }
        }
    }
}

/// Rows per budget and minute.
const BUDGET_ROWS_MAX: usize = 10_000;

/// Buckets whose counts wait for a write; beyond it refusals are not counted, but said.
const PENDING_MAX: usize = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Budget {
    Known,
    Anonymous,
    /// The flood row itself.
    Unlimited,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Admit {
    /// The first of its bucket here this minute: its row is written now.
    Write,
    /// Its row was written: the refusal is added to it with the next flush.
    Count,
    /// The budget ran out this minute.
    Overflow,
}

impl RefusalCounts {
    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn admit(&self, bucket: &str, budget: Budget, minute: i64) -> Admit {
        let mut counts = self.counts();
        if counts.minute != minute {
            counts.minute = minute;
            counts.written.clear();
            (counts.known, counts.anonymous) = (0, 0);
        }
        if counts.written.contains(bucket) {
            return Admit::Count;
        }
        let Counts {
            known, anonymous, ..
        } = &mut *counts;
        let used = match budget {
            Budget::Known => Some(known),
            Budget::Anonymous => Some(anonymous),
            Budget::Unlimited => None,
        };
        if let Some(used) = used {
            if *used >= BUDGET_ROWS_MAX {
                return Admit::Overflow;
            }
            *used += 1;
        }
        counts.written.insert(bucket.to_owned());
        Admit::Write
    }

    /// Counts one more refusal for `bucket`'s row, `row` as it would be written alone.
    fn add(&self, bucket: String, row: audit_event::ActiveModel) {
        self.counts().merge(bucket, Pending { row, count: 1 });
    }

    fn take(&self) -> (Vec<(String, Pending)>, u64) {
        let mut counts = self.counts();
        let pending = std::mem::take(&mut counts.pending).into_iter().collect();
        (pending, std::mem::take(&mut counts.dropped))
    }

    /// Hands back counts whose write failed, added to what was counted meanwhile.
    fn put_back(&self, pending: impl IntoIterator<Item = (String, Pending)>) {
        let mut counts = self.counts();
        for (bucket, more) in pending {
            counts.merge(bucket, more);
        }
    }
}

/// Logs and audits a refused request: the first of its kind this minute writes its row
/// (and its webhook deliveries), the others add to the row's count with the next flush.
/// `action` and `details` say what was refused beyond the reason.
pub async fn refused(
    db: &impl ConnectionTrait,
    counts: &RefusalCounts,
    refusal: Refusal<'_>,
    action: Action,
    details: Option<serde_json::Value>,
) -> Result<()> {
    let at = Utc::now();
    let minute = at.timestamp().div_euclid(60);
    let mut bucket = refusal.bucket(action, minute);
    let (refusal, details, admitted) = match counts.admit(&bucket, refusal.budget(), minute) {
        Admit::Overflow => {
            bucket = FLOOD.bucket(action, minute);
            let flood = serde_json::json!({ "rows_this_minute": BUDGET_ROWS_MAX });
            let admitted = counts.admit(&bucket, Budget::Unlimited, minute);
            if admitted == Admit::Write {
                tracing::warn!(
                    ip = refusal.ip,
                    "more kinds of refusal than the audit budget this minute"
                );
            }
            (FLOOD, Some(flood), admitted)
        }
        admitted => (refusal, details, admitted),
    };
    let mut details = details.unwrap_or_else(|| serde_json::json!({}));
    details["reason"] = refusal.reason.into();
    if !refusal.known {
        details["unknown_credentials"] = true.into();
    }
    let event = Event {
        actor: refusal.actor,
        target: Some(refusal.credential),
        ip: refusal.ip,
        ..Event::new(action)
    }
    .details(details);
    let row = row(&event, at, Some(bucket.clone()));
    if admitted == Admit::Count {
        tracing::debug!(
            credential = refusal.credential,
            reason = refusal.reason,
            "refused again"
        );
        counts.add(bucket, row);
        return Ok(());
    }
    tracing::info!(
        credential = refusal.credential,
        actor = refusal.actor,
        ip = refusal.ip,
        reason = refusal.reason,
        action = action.as_str(),
        "request refused"
    );
    let inserted = audit_event::Entity::insert(row.clone())
        .on_conflict_do_nothing_on([audit_event::Column::RefusalKey])
        .exec_without_returning(db)
        .await;
    let inserted = match inserted {
        Ok(inserted) => inserted,
        Err(err) => {
            // Counted still: the next flush writes the row.
            counts.add(bucket, row);
            return Err(err.into());
        }
    };
    if matches!(inserted, TryInsertResult::Inserted(1)) {
        super::webhook_outbox::enqueue(db, &event, at).await?;
    } else {
        // Another instance wrote the row first: this refusal adds to it.
        counts.add(bucket, row);
    }
    Ok(())
}

/// Adds the refusals counted since the last flush to their rows (creating a row that is
/// gone), with one statement per chunk that adds rather than sets, so that instances
/// flushing at once sum up. On failure the counts are kept for the next flush.
pub async fn flush_refusals(db: &impl ConnectionTrait, counts: &RefusalCounts) -> Result<()> {
    let (pending, dropped) = counts.take();
    if dropped > 0 {
        tracing::warn!(
            dropped,
            "refused requests were not counted: the audit log could not be written for a while"
        );
    }
    let mut pending = pending.into_iter().peekable();
    while pending.peek().is_some() {
        let chunk: Vec<_> = pending.by_ref().take(INSERT_CHUNK).collect();
        let rows = chunk.iter().map(|(_, p)| audit_event::ActiveModel {
            count: Set(p.count),
            ..p.row.clone()
        });
        let added = audit_event::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(audit_event::Column::RefusalKey)
                    .value(
                        audit_event::Column::Count,
                        Expr::col((audit_event::Entity, audit_event::Column::Count))
                            .add(Expr::cust("excluded.\"count\"")),
                    )
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await;
        if let Err(err) = added {
            counts.put_back(chunk.into_iter().chain(pending));
            return Err(err.into());
        }
    }
    Ok(())
}

/// Rows per statement: nine values each stays far below every backend's parameter limit.
const INSERT_CHUNK: usize = 500;

/// [`refused`] for a request turned away at the door (401, 403, a cross-site call): the
/// answer does not wait on the audit log, so a failure to write it is logged, not returned.
pub async fn access_refused(
    db: &impl ConnectionTrait,
    counts: &RefusalCounts,
    refusal: Refusal<'_>,
    details: Option<serde_json::Value>,
) {
    if let Err(err) = refused(db, counts, refusal, Action::AccessRefused, details).await {
        tracing::error!(error = %err, "could not audit a refused request");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTION: Action = Action::AccessRefused;

    fn admit(counts: &RefusalCounts, refusal: &Refusal<'_>, minute: i64) -> Admit {
        counts.admit(&refusal.bucket(ACTION, minute), refusal.budget(), minute)
    }

    fn made_up(hint: &str) -> Refusal<'_> {
        Refusal {
            credential: hint,
            known: false,
            actor: None,
            ip: Some("192.0.2.1"),
            reason: "invalid_token",
        }
    }

    #[test]
    fn a_refusal_writes_its_row_once_a_minute_and_is_counted_after() {
        let counts = RefusalCounts::default();
        let refusal = Refusal {
            credential: "AT-000012",
            known: true,
            actor: Some("uma"),
            ip: Some("192.0.2.1"),
            reason: "token_revoked",
        };
        assert_eq!(admit(&counts, &refusal, 10), Admit::Write);
        assert_eq!(admit(&counts, &refusal, 10), Admit::Count);
        let other_ip = Refusal {
            ip: Some("192.0.2.2"),
            ..refusal
        };
        assert_eq!(admit(&counts, &other_ip, 10), Admit::Write);
        assert_eq!(admit(&counts, &refusal, 11), Admit::Write);
    }

    #[test]
    fn made_up_tokens_from_one_address_count_on_one_row() {
        let first = made_up("tsr_Ab12…x9Qz");
        let second = made_up("tsr_Zz99…0000");
        assert_eq!(first.bucket(ACTION, 3), second.bucket(ACTION, 3));
        assert_ne!(first.bucket(ACTION, 3), first.bucket(ACTION, 4));
        let known = Refusal {
            known: true,
            ..first
        };
        assert_ne!(first.bucket(ACTION, 3), known.bucket(ACTION, 3));
        let other_code = Refusal {
            reason: "tokens_disabled",
            ..first
        };
        assert_ne!(first.bucket(ACTION, 3), other_code.bucket(ACTION, 3));
    }

    #[test]
    fn a_flood_from_many_addresses_leaves_known_users_audited() {
        let counts = RefusalCounts::default();
        let addresses: Vec<String> = (0..BUDGET_ROWS_MAX + 2)
            .map(|i| format!("2001:db8::{i:x}"))
            .collect();
        let outcomes: Vec<Admit> = addresses
            .iter()
            .map(|ip| {
                let refusal = Refusal {
                    ip: Some(ip),
                    ..made_up("tsr_Ab12…x9Qz")
                };
                admit(&counts, &refusal, 7)
            })
            .collect();
        assert_eq!(
            outcomes.iter().filter(|o| **o == Admit::Write).count(),
            BUDGET_ROWS_MAX
        );
        assert_eq!(outcomes[BUDGET_ROWS_MAX..], [Admit::Overflow; 2]);
        let flood = FLOOD.bucket(ACTION, 7);
        assert_eq!(counts.admit(&flood, Budget::Unlimited, 7), Admit::Write);
        assert_eq!(counts.admit(&flood, Budget::Unlimited, 7), Admit::Count);
        let stolen = Refusal {
            credential: "AT-000012",
            known: true,
            actor: Some("uma"),
            ip: Some("192.0.2.9"),
            reason: "token_revoked",
        };
        assert_eq!(admit(&counts, &stolen, 7), Admit::Write);
    }

    #[test]
    fn counts_wait_for_the_flush_and_survive_a_failed_one() {
        let counts = RefusalCounts::default();
        let row = || audit_event::ActiveModel {
            refusal_key: Set(Some("k".into())),
            ..Default::default()
        };
        counts.add("k".into(), row());
        counts.add("k".into(), row());
        let (taken, dropped) = counts.take();
        assert_eq!((taken.len(), taken[0].1.count, dropped), (1, 2, 0));
        counts.add("k".into(), row());
        counts.put_back(taken);
        let (taken, _) = counts.take();
        assert_eq!(taken[0].1.count, 3);
        assert!(counts.take().0.is_empty());
    }
}

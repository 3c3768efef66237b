//! Notice emails (with `TESSERA_SMTP_URL`): a token's owner is told when it is about to
//! expire, has expired, or was reported leaked. The audit log is the outbox: each such
//! event, committed with its change, is claimed by one instance (one `email_notices` row per
//! event), sent, and retried with backoff for a day. No secret is in any of them.
use chrono::{DateTime, Duration, SubsecRound, Utc};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};

use super::accounts;
use crate::server::audit_log::Action;
use crate::server::entity::{audit_event, email_notice};
use crate::server::error::Result;
use crate::server::retry;

/// The events whose owner gets an email.
const NOTICES: [Action; 3] = [
    Action::TokenExpiring,
    Action::TokenExpired,
    Action::TokenLeaked,
];
/// Events older than this are not mailed (e.g. when email is first configured).
const LOOKBACK: Duration = Duration::days(1);
/// Emails claimed per round, then sent one after another.
const BATCH: u64 = 10;
/// How long claimed emails stay with their instance: the whole batch at the SMTP timeout,
/// and a margin, so no lease runs out while its instance is still sending.
const LEASE: Duration = Duration::seconds(10 * 10 + 30);
/// Notice events looked at per round.
const DISCOVER: u64 = 500;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Pending,
    Sent,
    Failed,
    /// The owner has no address.
    Skipped,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The site's origin, for links back to the token.
    origin: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// `url` as lettre reads it: `smtp://host:port` (plain, or `?tls=required`), or
    /// `smtps://user:password@host`. A message naming the problem otherwise.
    pub fn new(url: &str, from: &str, origin: &str) -> std::result::Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("TESSERA_SMTP_URL is not an SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("TESSERA_MAIL_FROM is not an address: {e}"))?;
        Ok(Self {
            transport,
            from,
            origin: origin.trim_end_matches('/').to_owned(),
        })
    }

    /// Claims the notice events not yet mailed, then sends what is due at `now`; returns how
    /// many were sent.
    pub async fn send_due(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize> {
        discover(db, now).await?;
        let due = email_notice::Entity::find()
            .filter(email_notice::Column::State.eq(State::Pending.as_str()))
            .filter(email_notice::Column::NextAttemptAt.lte(now))
            .filter(free(now))
            .order_by_asc(email_notice::Column::AuditId)
            .limit(BATCH)
            .all(db)
            .await?;
        let lease = (now + LEASE).trunc_subsecs(3);
        let mut claimed = Vec::new();
        for notice in due {
            let ours = email_notice::Entity::update_many()
                .col_expr(email_notice::Column::LockedUntil, Expr::value(lease))
                .filter(email_notice::Column::AuditId.eq(notice.audit_id))
                .filter(email_notice::Column::State.eq(State::Pending.as_str()))
                .filter(free(now))
                .exec(db)
                .await?
                .rows_affected
                == 1;
            if ours {
                claimed.push(notice);
            }
        }
        let mut sent = 0;
        for notice in claimed {
            let outcome = self.send(db, &notice).await;
            let attempts = notice.attempts + 1;
            let (state, next, error) = match outcome {
                Ok(()) => (State::Sent, notice.next_attempt_at, None),
                Err(error) => match retry::next_attempt(attempts, now, notice.retry_until) {
                    Some(next) => (State::Pending, next, Some(error)),
                    None => (State::Failed, notice.next_attempt_at, Some(error)),
                },
            };
            if state == State::Sent {
                sent += 1;
            }
            email_notice::Entity::update_many()
                .col_expr(email_notice::Column::State, Expr::value(state.as_str()))
                .col_expr(email_notice::Column::Attempts, Expr::value(attempts))
                .col_expr(email_notice::Column::NextAttemptAt, Expr::value(next))
                .col_expr(email_notice::Column::Error, Expr::value(error))
                .col_expr(
                    email_notice::Column::LockedUntil,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .filter(email_notice::Column::AuditId.eq(notice.audit_id))
                .filter(email_notice::Column::LockedUntil.eq(lease))
                .exec(db)
                .await?;
        }
        Ok(sent)
    }

    async fn send(
        &self,
        db: &DatabaseConnection,
        notice: &email_notice::Model,
    ) -> std::result::Result<(), String> {
        let event = audit_event::Entity::find_by_id(notice.audit_id)
            .one(db)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the event is gone")?;
        let to: Mailbox = notice
            .recipient
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|e| format!("the owner's address: {e}"))?;
        let (subject, body) = self.compose(&event);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| format!("SMTP: {e}"))
    }

    /// The subject and plain-text body of the email for `event`.
    fn compose(&self, event: &audit_event::Model) -> (String, String) {
        let details: serde_json::Value = event
            .details
            .as_deref()
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default();
        let text = |key: &str| details[key].as_str().unwrap_or_default().to_owned();
        let number = event.target.clone().unwrap_or_default();
        let name = text("name");
        let link = details["token"]
            .as_i64()
            .map(|id| format!("{}/me/tokens/{id}", self.origin))
            .unwrap_or_else(|| format!("{}/me/tokens", self.origin));
        match Action::parse(&event.action) {
            Some(Action::TokenExpiring) => (
                format!("Your Tessera token {number} “{name}” expires on {}", text("expires_at")),
                format!(
                    "Your access token {number} “{name}” works until the end of {} ({} day(s) left).\n\n\
                     Whatever uses it stops then. Create a new token, or regenerate this one, before that:\n{link}\n",
                    text("expires_at"),
                    details["days_left"]
                ),
            ),
            Some(Action::TokenExpired) => (
                format!("Your Tessera token {number} “{name}” has expired"),
                format!(
                    "Your access token {number} “{name}” expired after {}: calls with it are refused.\n\n\
                     Create a new token at:\n{link}\n",
                    text("expires_at")
                ),
            ),
            _ => (
                format!("Your Tessera token {number} was reported leaked"),
                format!(
                    "A secret scanner reported the secret of your access token {number} “{name}” \
                     exposed in public:\n{} ({})\n\nTessera's response: {}.\n\n\
                     Remove the secret from where it was found, and use a new token:\n{link}\n",
                    text("url"),
                    text("source"),
                    text("response")
                ),
            ),
        }
    }
}

/// Not held by an instance (or its lease has run out).
fn free(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(email_notice::Column::LockedUntil.is_null())
        .add(email_notice::Column::LockedUntil.lte(now))
}

/// Writes an `email_notices` row for each recent notice event that has none: pending for an
/// owner with an address, skipped otherwise. The key makes concurrent instances agree.
async fn discover(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<()> {
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::Action.is_in(NOTICES.map(Action::as_str)))
        .filter(audit_event::Column::At.gte(now - LOOKBACK))
        .order_by_desc(audit_event::Column::Id)
        .limit(DISCOVER)
        .all(db)
        .await?;
    if events.is_empty() {
        return Ok(());
    }
    let known: Vec<i64> = email_notice::Entity::find()
        .select_only()
        .column(email_notice::Column::AuditId)
        .filter(email_notice::Column::AuditId.is_in(events.iter().map(|e| e.id)))
        .into_tuple()
        .all(db)
        .await?;
    for event in events.into_iter().filter(|e| !known.contains(&e.id)) {
        let owner = event
            .details
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|d| d["owner"].as_str().map(str::to_owned));
        let recipient = match owner {
            Some(owner) => accounts::find_by_username(db, &owner)
                .await?
                .map(|u| u.email)
                .filter(|email| !email.trim().is_empty()),
            None => None,
        };
        let state = if recipient.is_some() {
            State::Pending
        } else {
            State::Skipped
        };
        email_notice::Entity::insert(email_notice::ActiveModel {
            audit_id: Set(event.id),
            recipient: Set(recipient),
            state: Set(state.as_str().to_owned()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            retry_until: Set(now + retry::RETRY_FOR),
            locked_until: Set(None),
            error: Set(None),
        })
        .on_conflict(
            OnConflict::column(email_notice::Column::AuditId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

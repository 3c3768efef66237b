//! Kill switches for the morning after an incident: every token of one user, or every token
//! whose secret was issued before a moment; and the idle policy's hourly sweep. One change
//! each: the tokens stop on this instance when it commits and on every other one through
//! the change counter.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, UpdateMany,
};

use super::super::accounts;
use super::super::settings::{self, TokenSettings};
use super::listing::unused_since;
use crate::model::token::{KillMode, SuspensionSource};
use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::access_token;
use crate::server::error::{Result, ServiceError};

/// Which tokens a kill switch revokes (those not revoked already).
#[derive(Clone, Copy, Debug)]
pub enum Sweep {
    /// Every token owned by this user.
    OfUser(i64),
    /// Every token whose current secret was issued strictly before this moment.
    IssuedBefore(DateTime<Utc>),
}

impl Sweep {
    fn update(self) -> UpdateMany<access_token::Entity> {
        let live = unrevoked();
        match self {
            Self::OfUser(user_id) => live.filter(access_token::Column::OwnerId.eq(user_id)),
            Self::IssuedBefore(before) => live.filter(access_token::Column::IssuedAt.lt(before)),
        }
    }
}

/// Revokes (or suspends, by `mode`) every token `sweep` names and answers how many, in one
/// statement. No escalation check is needed: an administrator's grant holds every scope
/// (`admin` stands for all), so no token is wider than the caller.
#[tracing::instrument(skip_all)]
pub async fn revoke_all(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    sweep: Sweep,
    mode: KillMode,
) -> Result<u64> {
    let (action, target, mut details) = match sweep {
        Sweep::OfUser(user_id) => {
            let user = accounts::find_by_id(db, user_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            (
                Action::TokenRevokeAll,
                Some(user.username),
                serde_json::json!({}),
            )
        }
        Sweep::IssuedBefore(before) => {
            if before > Utc::now() {
                return Err(ServiceError::validation(
                    "before",
                    "The time is in the future: choose a moment up to now",
                ));
            }
            (
                Action::TokenRevokeIssuedBefore,
                None,
                serde_json::json!({ "before": before }),
            )
        }
    };
    let actor = admin.username();
    let change = Change::acting(db, cache, admin.grant()).await?;
    let count = match mode {
        KillMode::Revoke => revoke_in(&change, sweep.update(), actor).await?,
        KillMode::Suspend => suspend_in(&change, sweep.update(), actor).await?,
    };
    details["mode"] = serde_json::json!(mode);
    details[if mode == KillMode::Revoke {
        "revoked"
    } else {
        "suspended"
    }] = count.into();
    let event = Event {
        actor: Some(actor),
        target: target.as_deref(),
        ..Event::new(action)
    };
    change.audit(event.details(details)).await?;
    change.commit().await?;
    Ok(count)
}

fn unrevoked() -> UpdateMany<access_token::Entity> {
    access_token::Entity::update_many().filter(access_token::Column::RevokedAt.is_null())
}

/// Revokes what `tokens` selects within `change`, stamped with `by`; answers how many.
async fn revoke_in(
    change: &Change<'_>,
    tokens: UpdateMany<access_token::Entity>,
    by: &str,
) -> Result<u64> {
    let now = Utc::now();
    Ok(tokens
        .col_expr(access_token::Column::RevokedAt, Expr::value(now))
        .col_expr(access_token::Column::RevokedBy, Expr::value(by))
        .col_expr(access_token::Column::UpdatedAt, Expr::value(now))
        .col_expr(access_token::Column::UpdatedBy, Expr::value(by))
        .exec(change.db())
        .await?
        .rows_affected)
}

/// Suspends indefinitely, as an administrator (the owners may not lift it), what `tokens`
/// selects, within `change`; answers how many. A suspension the owner set, or one with an
/// end, is replaced (else the owner could lift it, or it would end by itself); only an
/// indefinite one an administrator set already is left and not counted.
async fn suspend_in(
    change: &Change<'_>,
    tokens: UpdateMany<access_token::Entity>,
    by: &str,
) -> Result<u64> {
    let now = Utc::now();
    let no_end: Option<DateTime<Utc>> = None;
    Ok(tokens
        .filter(
            Condition::any()
                .add(access_token::Column::SuspendedAt.is_null())
                .add(access_token::Column::SuspendedUntil.is_not_null())
                .add(access_token::Column::SuspensionSource.ne(SuspensionSource::Manager.as_str())),
        )
        .col_expr(access_token::Column::SuspendedAt, Expr::value(now))
        .col_expr(access_token::Column::SuspendedUntil, Expr::value(no_end))
        .col_expr(access_token::Column::SuspendedBy, Expr::value(by))
        .col_expr(
            access_token::Column::SuspensionSource,
            Expr::value(SuspensionSource::Manager.as_str()),
        )
        .col_expr(access_token::Column::UpdatedAt, Expr::value(now))
        .col_expr(access_token::Column::UpdatedBy, Expr::value(by))
        .exec(change.db())
        .await?
        .rows_affected)
}

/// Who the idle sweep's revocations are stamped with.
pub const IDLE_POLICY: &str = "idle policy";

/// Unrevoked, unexpired tokens neither used nor issued since `since`.
fn revocable_idle(since: DateTime<Utc>, today: NaiveDate) -> Condition {
    Condition::all()
        .add(access_token::Column::RevokedAt.is_null())
        .add(unused_since(since))
        .add(
            Condition::any()
                .add(access_token::Column::ExpiresAt.is_null())
                .add(access_token::Column::ExpiresAt.gte(today)),
        )
}

/// How many tokens the idle sweep would revoke now if the policy said `days`: asked before
/// an administrator saves a policy that starts revoking.
#[tracing::instrument(skip_all)]
pub async fn count_revocable_idle(
    db: &DatabaseConnection,
    _overseer: &Overseer,
    days: u32,
    today: NaiveDate,
) -> Result<u64> {
    let policy = TokenSettings {
        revoke_idle_after_days: days,
        ..TokenSettings::default()
    };
    let Some(since) = policy.revoke_idle_since(today) else {
        return Ok(0);
    };
    Ok(access_token::Entity::find()
        .filter(revocable_idle(since, today))
        .count(db)
        .await?)
}

/// The idle policy's sweep, run hourly by every instance (a token is revoked once, by
/// whichever comes first): revokes unexpired tokens unused for the policy's days, with an
/// audit event (reason `idle`) when there were any. Answers how many.
#[tracing::instrument(skip_all)]
pub async fn revoke_idle(
    db: &DatabaseConnection,
    cache: &AuthCache,
    today: NaiveDate,
) -> Result<u64> {
    let policy = settings::load(db).await?;
    let Some(since) = policy.revoke_idle_since(today) else {
        return Ok(0);
    };
    let change = Change::begin(db, cache).await?;
    let idle = unrevoked().filter(revocable_idle(since, today));
    let revoked = revoke_in(&change, idle, IDLE_POLICY).await?;
    if revoked == 0 {
        // Nothing changed: the transaction rolls back, and no event says otherwise.
        return Ok(0);
    }
    let event = Event::new(Action::TokenRevokeIdle).details(serde_json::json!({
        "reason": "idle",
        "unused_days": policy.revoke_idle_after_days,
        "unused_since": since,
        "revoked": revoked,
    }));
    change.audit(event).await?;
    change.commit().await?;
    Ok(revoked)
}

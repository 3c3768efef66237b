//! Expiry notices: `token.expiring` when a token comes within each of the policy's
//! thresholds (30, 7 and 1 days by default) of its last day, and `token.expired` once that
//! day has passed. Each (token, threshold) is claimed by inserting its row in
//! `expiry_notices` in the notice's own transaction, with its audit event and outbox rows:
//! however many instances run the job at once, each notice goes out exactly once.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    sea_query::OnConflict, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};

use super::settings;
use crate::model::token::number;
use crate::server::audit_log::{self, Action, Event};
use crate::server::entity::{access_token, expiry_notice, user};
use crate::server::error::Result;

/// A token that expired longer ago than this gets no `token.expired` (e.g. when the
/// feature first runs on an old instance).
const EXPIRED_LOOKBACK_DAYS: i64 = 7;

/// The notice a token `days_left` from its last day is due, if any: the nearest threshold
/// it is within (0 for expired). Farther thresholds it skipped are not sent late.
fn due(days_left: i64, thresholds: &[u32]) -> Option<i32> {
    if days_left < 0 {
        return (days_left >= -EXPIRED_LOOKBACK_DAYS).then_some(0);
    }
    thresholds
        .iter()
        .filter(|&&t| days_left <= i64::from(t))
        .min()
        .and_then(|&t| i32::try_from(t).ok())
}

/// Sends the notices due at `now`; returns how many this instance sent.
#[tracing::instrument(skip_all)]
pub async fn notify_due(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize> {
    let policy = settings::load(db).await?;
    let thresholds = &policy.expiry_notice_days;
    let today = now.date_naive();
    let farthest = thresholds.iter().copied().max().unwrap_or(0);
    let tokens = access_token::Entity::find()
        .filter(access_token::Column::RevokedAt.is_null())
        .filter(
            access_token::Column::ExpiresAt
                .gte(today - chrono::Duration::days(EXPIRED_LOOKBACK_DAYS)),
        )
        .filter(
            access_token::Column::ExpiresAt
                .lte(today + chrono::Duration::days(i64::from(farthest))),
        )
        .find_also_related(user::Entity)
        .all(db)
        .await?;
    let mut sent = 0;
    for (token, owner) in tokens {
        let Some(expires) = token.expires_at else {
            continue;
        };
        let left = (expires - today).num_days();
        let Some(days) = due(left, thresholds) else {
            continue;
        };
        let owner = owner.map(|o| o.username).unwrap_or_default();
        if notify(db, &token, &owner, expires, (days, left), now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Claims and sends the notice for threshold `days` (0: expired) of a token with `left`
/// days to go; `false` when it was sent already (by any instance).
async fn notify(
    db: &DatabaseConnection,
    token: &access_token::Model,
    owner: &str,
    expires: NaiveDate,
    (days, left): (i32, i64),
    now: DateTime<Utc>,
) -> Result<bool> {
    let txn = db.begin().await?;
    let claimed = expiry_notice::Entity::insert(expiry_notice::ActiveModel {
        token_id: sea_orm::Set(token.id),
        days: sea_orm::Set(days),
        sent_at: sea_orm::Set(now),
    })
    .on_conflict(
        OnConflict::columns([expiry_notice::Column::TokenId, expiry_notice::Column::Days])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?
        == 1;
    if !claimed {
        return Ok(false);
    }
    let action = if days == 0 {
        Action::TokenExpired
    } else {
        Action::TokenExpiring
    };
    let target = number(token.id);
    audit_log::record(
        &txn,
        Event {
            target: Some(&target),
            ..Event::new(action)
        }
        .details(serde_json::json!({
            "token": token.id,
            "name": token.name,
            "owner": owner,
            "expires_at": expires,
            // The threshold this notice is for, and the days actually left (0: the last
            // day is today; none once it has passed).
            "threshold": (days > 0).then_some(days),
            "days_left": (days > 0).then_some(left),
        })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Forgets a deleted token's notices (they have no foreign key, like its days of use).
#[tracing::instrument(skip_all, fields(token_id = token_id))]
pub async fn forget(db: &impl sea_orm::ConnectionTrait, token_id: i64) -> Result<()> {
    expiry_notice::Entity::delete_many()
        .filter(expiry_notice::Column::TokenId.eq(token_id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::due;

    #[test]
    fn the_nearest_threshold_is_due() {
        let policy = [30, 7, 1];
        assert_eq!(due(31, &policy), None);
        assert_eq!(due(30, &policy), Some(30));
        assert_eq!(due(8, &policy), Some(30));
        assert_eq!(due(7, &policy), Some(7));
        assert_eq!(due(2, &policy), Some(7));
        assert_eq!(due(1, &policy), Some(1));
        assert_eq!(due(0, &policy), Some(1));
        assert_eq!(due(-1, &policy), Some(0));
        assert_eq!(due(-7, &policy), Some(0));
        assert_eq!(due(-8, &policy), None);
        assert_eq!(due(5, &[]), None);
    }
}

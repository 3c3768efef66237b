//! Kill switches for the morning after an incident: every token of one user, or every token
//! whose secret was issued before a moment. One change each: the tokens stop on this
//! instance when it commits and on every other one through the change counter.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, UpdateMany,
};

use super::super::accounts;
use super::super::audit::{Action, Event};
use crate::server::authz::Admin;
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
        let live =
            access_token::Entity::update_many().filter(access_token::Column::RevokedAt.is_null());
        match self {
            Self::OfUser(user_id) => live.filter(access_token::Column::OwnerId.eq(user_id)),
            Self::IssuedBefore(before) => live.filter(access_token::Column::IssuedAt.lt(before)),
        }
    }
}

/// Revokes every token `sweep` names and answers how many, in one statement. No escalation
/// check is needed: an administrator's grant holds every scope (`admin` stands for all), so
/// no token is wider than the caller.
pub async fn revoke_all(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    sweep: Sweep,
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
    let now = Utc::now();
    let change = Change::acting(db, cache, admin.grant()).await?;
    let revoked = sweep
        .update()
        .col_expr(access_token::Column::RevokedAt, Expr::value(now))
        .col_expr(access_token::Column::RevokedBy, Expr::value(actor))
        .col_expr(access_token::Column::UpdatedAt, Expr::value(now))
        .col_expr(access_token::Column::UpdatedBy, Expr::value(actor))
        .exec(change.db())
        .await?
        .rows_affected;
    details["revoked"] = revoked.into();
    let event = Event {
        actor: Some(actor),
        target: target.as_deref(),
        ..Event::new(action)
    };
    change.audit(event.details(details)).await?;
    change.commit().await?;
    Ok(revoked)
}

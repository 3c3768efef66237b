//! Signing in with a username and password, with a per-username limit on failures.
//! Failures are counted from the audit log, so the limit holds across every instance that
//! shares the database.
use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::accounts::{self, Account};
use super::{audit, passwords};
use crate::server::entity::audit_event;
use crate::server::error::{Result, ServiceError};

pub const MAX_FAILURES: u64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// Longer than any password we accept; anything longer cannot match and is not hashed.
const PASSWORD_INPUT_MAX: usize = 1024;

pub const SIGN_IN: &str = "auth.sign_in";
pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
pub const SIGN_IN_REFUSED: &str = "auth.sign_in_refused";
pub const SIGN_OUT: &str = "auth.sign_out";

/// Checks the credentials and answers the account that may act, or why not. Every outcome
/// is written to the audit log with the username tried and the client IP, never the password.
pub async fn sign_in(
    db: &DatabaseConnection,
    username: &str,
    password: String,
    ip: Option<&str>,
) -> Result<Account> {
    let username = username.trim();
    if username.is_empty() {
        return Err(ServiceError::validation("username", "Enter your username"));
    }
    if password.is_empty() {
        return Err(ServiceError::validation("password", "Enter your password"));
    }
    // Overlong input is neither looked up nor hashed; the audit target stays bounded.
    if username.chars().count() > accounts::USERNAME_MAX_LEN
        || password.chars().count() > PASSWORD_INPUT_MAX
    {
        return Err(ServiceError::InvalidCredentials);
    }
    let key = accounts::username_key(username);
    let event = |action| audit::Event {
        action,
        target: Some(&key),
        ip,
        ..Default::default()
    };

    if recent_failures(db, &key).await? >= MAX_FAILURES {
        audit::record(db, event(SIGN_IN_REFUSED)).await?;
        return Err(ServiceError::TooManyAttempts);
    }

    let user = accounts::find_by_username(db, &key).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = passwords::verify(password, stored).await?;
    let Some(user) = user.filter(|_| matches) else {
        audit::record(db, event(SIGN_IN_FAILED)).await?;
        return Err(ServiceError::InvalidCredentials);
    };
    if let Some(reason) = accounts::unusable_reason(&user) {
        audit::record(
            db,
            audit::Event {
                details: Some(serde_json::json!({ "reason": reason })),
                ..event(SIGN_IN_FAILED)
            },
        )
        .await?;
        return Err(ServiceError::AccountUnavailable(reason));
    }
    audit::record(
        db,
        audit::Event {
            actor: Some(&user.username),
            ..event(SIGN_IN)
        },
    )
    .await?;
    let is_admin = accounts::is_admin(db, user.id).await?;
    Ok(Account { user, is_admin })
}

/// Failed attempts for `key` within the window and since its last successful sign-in.
async fn recent_failures(db: &DatabaseConnection, key: &str) -> Result<u64> {
    let window_start = Utc::now() - Duration::minutes(FAILURE_WINDOW_MINUTES);
    let last_success = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(SIGN_IN))
        .filter(audit_event::Column::Target.eq(key))
        .filter(audit_event::Column::At.gt(window_start))
        .order_by_desc(audit_event::Column::At)
        .limit(1)
        .one(db)
        .await?
        .map(|e| e.at);
    let since = last_success.map_or(window_start, |at| at.max(window_start));
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(SIGN_IN_FAILED))
        .filter(audit_event::Column::Target.eq(key))
        .filter(audit_event::Column::At.gt(since))
        .count(db)
        .await?)
}

/// Records a sign-out; the session itself is ended by the caller.
pub async fn record_sign_out(
    db: &DatabaseConnection,
    username: &str,
    ip: Option<&str>,
) -> Result<()> {
    audit::record(
        db,
        audit::Event {
            actor: Some(username),
            action: SIGN_OUT,
            target: Some(&accounts::username_key(username)),
            ip,
            ..Default::default()
        },
    )
    .await
}

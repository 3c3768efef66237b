//! Signing in with a username and password, with a per-username limit on failures.
//! Failures are counted from the audit log, so the limit holds across every instance that
//! shares the database.
use chrono::{Duration, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::accounts::{self, Account};
use super::audit::{self, Action};
use super::passwords;
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{audit_event, user};
use crate::server::error::{Result, ServiceError};
use crate::server::session::DbSessionStore;

pub const MAX_FAILURES: u64 = 5;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
/// Longer than any password we accept; anything longer cannot match and is not hashed.
const PASSWORD_INPUT_MAX: usize = 1024;

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
        target: Some(&key),
        ip,
        ..audit::Event::new(action)
    };

    if recent_failures(db, &key).await? >= MAX_FAILURES {
        audit::record(db, event(Action::SignInRefused)).await?;
        return Err(ServiceError::TooManyAttempts);
    }

    let user = accounts::find_by_username(db, &key).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = passwords::verify(password, stored).await?;
    let Some(user) = user.filter(|_| matches) else {
        audit::record(db, event(Action::SignInFailed)).await?;
        return Err(ServiceError::InvalidCredentials);
    };
    if let Some(reason) = accounts::unusable_reason(&user) {
        audit::record(
            db,
            audit::Event {
                details: Some(serde_json::json!({ "reason": reason })),
                ..event(Action::SignInFailed)
            },
        )
        .await?;
        return Err(ServiceError::AccountUnavailable(reason));
    }
    audit::record(
        db,
        audit::Event {
            actor: Some(&user.username),
            ..event(Action::SignIn)
        },
    )
    .await?;
    let is_admin = accounts::is_admin(db, user.id).await?;
    Ok(Account { user, is_admin })
}

/// Changes the caller's own password after checking the current one. A wrong current
/// password counts as a failed sign-in, so this form is no way around the rate limit. Every
/// session of the user ends; the caller signs the current one in again.
pub async fn change_password(
    db: &DatabaseConnection,
    cache: &AuthCache,
    account: &Account,
    current: String,
    new: String,
    ip: Option<&str>,
) -> Result<()> {
    let user = &account.user;
    if current.is_empty() {
        return Err(ServiceError::validation(
            "current_password",
            "Enter your current password",
        ));
    }
    let key = accounts::username_key(&user.username);
    let event = |action| audit::Event {
        actor: Some(&user.username),
        target: Some(&key),
        ip,
        ..audit::Event::new(action)
    };
    if recent_failures(db, &key).await? >= MAX_FAILURES {
        audit::record(db, event(Action::SignInRefused)).await?;
        return Err(ServiceError::TooManyAttempts);
    }
    let matches = current.chars().count() <= PASSWORD_INPUT_MAX
        && passwords::verify(current.clone(), Some(user.password_hash.clone())).await?;
    if !matches {
        audit::record(db, event(Action::SignInFailed)).await?;
        return Err(ServiceError::validation(
            "current_password",
            "The current password is not correct",
        ));
    }
    if new == current {
        return Err(ServiceError::validation(
            "password",
            "Choose a password different from the current one",
        ));
    }
    passwords::validate(&new, &[&user.username, &user.display_name, &user.email])?;
    let hash = passwords::hash(new).await?;
    let change = Change::begin(db, cache).await?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user.id))
        .exec(change.db())
        .await?;
    change.audit(event(Action::PasswordChanged)).await?;
    DbSessionStore::delete_for_user(change.db(), user.id).await?;
    change.commit().await
}

/// Failed attempts for `key` within the window and since its last successful sign-in.
async fn recent_failures(db: &DatabaseConnection, key: &str) -> Result<u64> {
    let window_start = Utc::now() - Duration::minutes(FAILURE_WINDOW_MINUTES);
    let last_success = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(Action::SignIn.as_str()))
        .filter(audit_event::Column::Target.eq(key))
        .filter(audit_event::Column::At.gt(window_start))
        .order_by_desc(audit_event::Column::At)
        .limit(1)
        .one(db)
        .await?
        .map(|e| e.at);
    let since = last_success.map_or(window_start, |at| at.max(window_start));
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(Action::SignInFailed.as_str()))
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
            target: Some(&accounts::username_key(username)),
            ip,
            ..audit::Event::new(Action::SignOut)
        },
    )
    .await
}

//! Signing in with a username and password, limited per username and per client address
//! (see `limits`): the limits are kept in the database, so they hold across every instance
//! that shares it.
use chrono::Utc;
use sea_orm::{sea_query::Expr, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::accounts::{self, Account};
use super::limits::{self, Key};
use super::passwords;
use crate::server::audit_log::{self, Action};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::user;
use crate::server::error::{Result, ServiceError};
use crate::server::session::DbSessionStore;

/// Longer than any password we accept; anything longer cannot match and is not hashed.
const PASSWORD_INPUT_MAX: usize = 1024;

/// Checks the credentials and answers the account that may act, or why not. Every outcome
/// is written to the audit log with the username tried and the client IP, never the password.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    db: &DatabaseConnection,
    cache: &AuthCache,
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
    // Overlong input is neither looked up nor hashed; the audit target stays bounded. No
    // username has a control character (and PostgreSQL refuses a NUL in a query).
    if username.chars().count() > accounts::USERNAME_MAX_LEN
        || password.chars().count() > PASSWORD_INPUT_MAX
        || username.chars().any(char::is_control)
    {
        return Err(ServiceError::InvalidCredentials);
    }
    let key = accounts::username_key(username);
    let event = |action| audit_log::Event {
        target: Some(&key),
        ip,
        ..audit_log::Event::new(action)
    };

    reserve_guess(db, cache, &key, ip).await?;
    let user = accounts::find_by_username(db, &key).await?;
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matches = match passwords::verify(password, stored).await {
        Ok(matches) => matches,
        Err(err) => {
            // Not verified after all (hashing was busy): the guess does not count.
            give_back(db, &key, ip).await?;
            return Err(err);
        }
    };
    let Some(user) = user.filter(|_| matches) else {
        audit_log::record(db, event(Action::SignInFailed)).await?;
        return Err(ServiceError::InvalidCredentials);
    };
    if let Some(reason) = accounts::unusable_reason(&user) {
        audit_log::record(
            db,
            audit_log::Event {
                details: Some(serde_json::json!({ "reason": reason })),
                ..event(Action::SignInFailed)
            },
        )
        .await?;
        return Err(ServiceError::AccountUnavailable(reason));
    }
    limits::clear(db, Key::Username(&key)).await?;
    if let Some(ip) = ip {
        limits::release(db, Key::Client(ip)).await?;
    }
    audit_log::record(
        db,
        audit_log::Event {
            actor: Some(&user.username),
            ..event(Action::SignIn)
        },
    )
    .await?;
    accounts::account_of(db, user).await
}

/// Reserves one guess for the username `key` and one failure of the client's budget, before
/// any hashing. Beyond either limit: 429 with the time to wait, audited (throttled), and no
/// hashing at all. A failed guess keeps its reservations until the window ends.
async fn reserve_guess(
    db: &DatabaseConnection,
    cache: &AuthCache,
    key: &str,
    ip: Option<&str>,
) -> Result<()> {
    let now = Utc::now();
    let reserved = match ip {
        Some(ip) => limits::reserve(db, Key::Client(ip), limits::PER_CLIENT, now).await,
        None => Ok(()),
    };
    let reserved = match reserved {
        Ok(()) => match limits::reserve(db, Key::Username(key), limits::PER_USERNAME, now).await {
            Ok(()) => Ok(()),
            Err(err) => {
                if let Some(ip) = ip {
                    limits::release(db, Key::Client(ip)).await?;
                }
                Err(err)
            }
        },
        Err(err) => Err(err),
    };
    if let Err(err) = reserved {
        if !matches!(err, ServiceError::RateLimited { .. }) {
            return Err(err);
        }
        audit_log::refused(
            db,
            &cache.refusals,
            audit_log::Refusal {
                credential: key,
                known: true,
                actor: None,
                ip,
                reason: "rate_limited",
            },
            Action::SignInRefused,
            None,
        )
        .await?;
        return Err(err);
    }
    Ok(())
}

/// Gives back the reservations of a guess that was not checked.
async fn give_back(db: &DatabaseConnection, key: &str, ip: Option<&str>) -> Result<()> {
    limits::release(db, Key::Username(key)).await?;
    if let Some(ip) = ip {
        limits::release(db, Key::Client(ip)).await?;
    }
    Ok(())
}

/// Changes the caller's own password after checking the current one. A wrong current
/// password counts as a failed sign-in, so this form is no way around the rate limit. Every
/// session of the user ends; the caller signs the current one in again.
#[tracing::instrument(skip_all)]
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
    let event = |action| audit_log::Event {
        actor: Some(&user.username),
        target: Some(&key),
        ip,
        ..audit_log::Event::new(action)
    };
    if current.chars().count() > PASSWORD_INPUT_MAX {
        return Err(ServiceError::validation(
            "current_password",
            "The current password is not correct",
        ));
    }
    reserve_guess(db, cache, &key, ip).await?;
    let matches = match passwords::verify(current.clone(), Some(user.password_hash.clone())).await {
        Ok(matches) => matches,
        Err(err) => {
            give_back(db, &key, ip).await?;
            return Err(err);
        }
    };
    if matches {
        limits::clear(db, Key::Username(&key)).await?;
        if let Some(ip) = ip {
            limits::release(db, Key::Client(ip)).await?;
        }
    } else {
        audit_log::record(db, event(Action::SignInFailed)).await?;
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

/// Records a sign-out; the session itself is ended by the caller.
#[tracing::instrument(skip_all)]
pub async fn record_sign_out(
    db: &DatabaseConnection,
    username: &str,
    ip: Option<&str>,
) -> Result<()> {
    audit_log::record(
        db,
        audit_log::Event {
            actor: Some(username),
            target: Some(&accounts::username_key(username)),
            ip,
            ..audit_log::Event::new(Action::SignOut)
        },
    )
    .await
}

//! Attempt limits that hold under concurrency and across instances. An attempt is reserved
//! with one conditional update before the expensive check (argon2), so forty parallel
//! guesses get five verifications, not forty; a success clears the key, a failure keeps its
//! reservation until the window ends.
use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, Set,
};

use crate::server::entity::attempt_limit;
use crate::server::error::{Result, ServiceError};

/// At most `max` attempts per `window_seconds`, counted from the first.
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub max: i32,
    pub window_seconds: i64,
}

const FIFTEEN_MINUTES: i64 = 15 * 60;

/// Leak reports per client address: scanners send batches, not floods.
pub const PER_REPORTER: Limit = Limit {
    max: 30,
    window_seconds: 60,
};

/// Password guesses for one username.
pub const PER_USERNAME: Limit = Limit {
    max: 5,
    window_seconds: FIFTEEN_MINUTES,
};
/// Failed sign-ins from one client address, across usernames (password spraying).
pub const PER_CLIENT: Limit = Limit {
    max: 20,
    window_seconds: FIFTEEN_MINUTES,
};
/// Pass codes tried for one token.
pub const PER_TOKEN: Limit = Limit {
    max: 5,
    window_seconds: FIFTEEN_MINUTES,
};

/// What is counted.
#[derive(Clone, Copy, Debug)]
pub enum Key<'a> {
    /// A username as keyed (lower case).
    Username(&'a str),
    Client(&'a str),
    /// A client address sending leak reports.
    Reporter(&'a str),
    Token(i64),
}

impl Key<'_> {
    fn text(self) -> String {
        match self {
            Self::Username(name) => format!("user:{name}"),
            Self::Client(ip) => format!("ip:{}", client_range(ip)),
            Self::Reporter(ip) => format!("leaks:{}", client_range(ip)),
            Self::Token(id) => format!("token:{id}"),
        }
    }
}

/// What one client is counted as: an IPv4 address, or the /64 of an IPv6 address (one
/// subscriber gets a whole /64, and would otherwise have 2^64 budgets).
fn client_range(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>().map(|ip| ip.to_canonical()) {
        Ok(std::net::IpAddr::V6(v6)) => {
            let [a, b, c, d, ..] = v6.segments();
            format!("{a:x}:{b:x}:{c:x}:{d:x}::/64")
        }
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// Forgets every key whose window ended before `now`: random usernames and addresses leave
/// one row each, which the server removes every hour.
#[tracing::instrument(skip_all)]
pub async fn forget_ended(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let longest = [PER_USERNAME, PER_CLIENT, PER_TOKEN, PER_REPORTER]
        .iter()
        .map(|limit| limit.window_seconds)
        .max()
        .unwrap_or(FIFTEEN_MINUTES);
    Ok(attempt_limit::Entity::delete_many()
        .filter(attempt_limit::Column::WindowStart.lt(now.timestamp() - longest))
        .exec(db)
        .await?
        .rows_affected)
}

/// Reserves one attempt for `key`, or answers how long until one is free.
#[tracing::instrument(skip_all)]
pub async fn reserve(
    db: &impl ConnectionTrait,
    key: Key<'_>,
    limit: Limit,
    now: DateTime<Utc>,
) -> Result<()> {
    let key = key.text();
    let now = now.timestamp();
    attempt_limit::Entity::insert(attempt_limit::ActiveModel {
        key: Set(key.clone()),
        window_start: Set(now),
        attempts: Set(0),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    // A window that has ended starts afresh.
    attempt_limit::Entity::update_many()
        .col_expr(attempt_limit::Column::WindowStart, Expr::value(now))
        .col_expr(attempt_limit::Column::Attempts, Expr::value(0))
        .filter(attempt_limit::Column::Key.eq(key.as_str()))
        .filter(attempt_limit::Column::WindowStart.lte(now - limit.window_seconds))
        .exec(db)
        .await?;
    let reserved = attempt_limit::Entity::update_many()
        .col_expr(
            attempt_limit::Column::Attempts,
            Expr::col(attempt_limit::Column::Attempts).add(1),
        )
        .filter(attempt_limit::Column::Key.eq(key.as_str()))
        .filter(attempt_limit::Column::Attempts.lt(limit.max))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    if reserved {
        return Ok(());
    }
    let window_start = attempt_limit::Entity::find_by_id(key)
        .one(db)
        .await?
        .map_or(now, |row| row.window_start);
    Err(ServiceError::RateLimited {
        retry_after: Ord::max(window_start + limit.window_seconds - now, 1),
    })
}

/// Gives back a reservation whose attempt did not count (it succeeded, or never ran).
#[tracing::instrument(skip_all)]
pub async fn release(db: &impl ConnectionTrait, key: Key<'_>) -> Result<()> {
    attempt_limit::Entity::update_many()
        .col_expr(
            attempt_limit::Column::Attempts,
            Expr::col(attempt_limit::Column::Attempts).sub(1),
        )
        .filter(attempt_limit::Column::Key.eq(key.text()))
        .filter(attempt_limit::Column::Attempts.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Forgets every attempt of `key`: after a success, or an administrator's unlock.
#[tracing::instrument(skip_all)]
pub async fn clear(db: &impl ConnectionTrait, key: Key<'_>) -> Result<()> {
    attempt_limit::Entity::delete_by_id(key.text())
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::client_range;

    #[test]
    fn an_ipv6_client_is_its_64() {
        assert_eq!(client_range("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(client_range("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_eq!(client_range("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(client_range("192.0.2.7"), "192.0.2.7");
    }
}

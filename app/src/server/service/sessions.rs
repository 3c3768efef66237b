//! One's own signed-in sessions, and a user's for administrators: listed with where and when
//! they signed in, ended one by one or all but the caller's. Ending one deletes its record,
//! so it stops at its next request on every instance.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tower_sessions::Session;

use crate::model::session::SessionView;
use crate::server::account::Account;
use crate::server::audit_log::{Action, Event};
use crate::server::authz::Reach;
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::config::SessionConfig;
use crate::server::entity::session as session_row;
use crate::server::error::{Result, ServiceError};
use crate::server::secrets;
use crate::server::service::accounts;
use crate::server::session::{self, SignedIn};

/// The account this session belongs to, if it still may act: checked on every request, so
/// locking a user, or reaching `active_until` or the absolute lifetime, ends access at once.
#[tracing::instrument(skip_all)]
pub async fn current_account(
    session: &Session,
    db: &DatabaseConnection,
    config: &SessionConfig,
) -> Result<Option<Account>> {
    let Some(signed_in) = session::signed_in(session).await? else {
        return Ok(None);
    };
    let now = Utc::now().timestamp();
    let age = now - signed_in.signed_in_at;
    let max_age = i64::try_from(config.absolute_timeout.as_secs()).unwrap_or(i64::MAX);
    let account = if age >= max_age {
        None
    } else {
        accounts::find_usable(db, signed_in.user_id).await?
    };
    match &account {
        None => session::sign_out(session).await?,
        Some(_) => session::seen(session, signed_in, now).await?,
    }
    Ok(account)
}

/// The session a request came with, by its id (never shown: it is the cookie's secret).
#[derive(Clone, Copy, Debug)]
pub struct Current<'a>(pub Option<&'a str>);

/// What names a session on the page and in the audit log: a digest of its id, which cannot be
/// turned back into a cookie.
fn handle(id: &str) -> String {
    secrets::digest(id)[..16].to_owned()
}

/// "Chrome 156 on Linux", or what can be said of an unknown client.
fn browser(agent: Option<&str>) -> String {
    let Some(agent) = agent else {
        return "Unknown browser".into();
    };
    match woothee::parser::Parser::new().parse(agent) {
        Some(ua) if ua.name != "UNKNOWN" => {
            let major = ua.version.split('.').next().unwrap_or_default();
            let name = if major.is_empty() || major == "UNKNOWN" || ua.name == "HTTP Library" {
                ua.name.to_owned()
            } else {
                format!("{} {major}", ua.name)
            };
            if ua.os == "UNKNOWN" {
                name
            } else {
                format!("{name} on {}", ua.os)
            }
        }
        _ => "Unknown browser".into(),
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// The live sessions of `user_id`, newest sign-in first; NotFound outside `reach`.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn list(
    db: &DatabaseConnection,
    reach: Reach<'_>,
    user_id: i64,
    current: Current<'_>,
) -> Result<Vec<SessionView>> {
    if !reach.covers(user_id) {
        return Err(ServiceError::NotFound);
    }
    let mut sessions: Vec<SessionView> = live(db, user_id)
        .await?
        .into_iter()
        .map(|(row, signed_in)| SessionView {
            handle: handle(&row.id),
            signed_in_at: at(signed_in.signed_in_at),
            seen_at: at(signed_in.seen_at.max(signed_in.signed_in_at)),
            ip: signed_in.client.ip.clone(),
            browser: browser(signed_in.client.agent.as_deref()),
            current: current.0 == Some(row.id.as_str()),
        })
        .collect();
    sessions.sort_by_key(|s| std::cmp::Reverse(s.signed_in_at));
    Ok(sessions)
}

/// Every unexpired session record of `user_id`, with what it remembers.
async fn live(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<(session_row::Model, SignedIn)>> {
    Ok(session_row::Entity::find()
        .filter(session_row::Column::UserId.eq(user_id))
        .filter(session_row::Column::ExpiresAt.gt(Utc::now().timestamp()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|row| SignedIn::from_row(&row.data).map(|s| (row, s)))
        .collect())
}

/// Which of a user's sessions to end.
#[derive(Clone, Copy, Debug)]
pub enum Ending<'a> {
    /// The one with this handle.
    One(&'a str),
    /// All but the caller's own.
    AllOthers,
}

/// Ends sessions of `user_id` and answers how many; one audit event for them, in the same
/// transaction. Ending a handle that is not there (ended meanwhile) is NotFound.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn end(
    db: &DatabaseConnection,
    cache: &AuthCache,
    reach: Reach<'_>,
    user_id: i64,
    ending: Ending<'_>,
    current: Current<'_>,
) -> Result<u64> {
    if !reach.covers(user_id) {
        return Err(ServiceError::NotFound);
    }
    let user = accounts::find_by_id(db, user_id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let grant = reach.grant();
    let change = Change::acting(db, cache, grant).await?;
    let ids: Vec<String> = live(change.db(), user_id)
        .await?
        .into_iter()
        .map(|(row, _)| row.id)
        .filter(|id| match ending {
            Ending::One(wanted) => handle(id) == wanted,
            Ending::AllOthers => current.0 != Some(id.as_str()),
        })
        .collect();
    if ids.is_empty() {
        // Nothing to end: no change, no event (and no cache flush on every instance).
        return match ending {
            Ending::One(_) => Err(ServiceError::NotFound),
            Ending::AllOthers => Ok(0),
        };
    }
    let ended = session_row::Entity::delete_many()
        .filter(session_row::Column::Id.is_in(ids.iter().cloned()))
        .exec(change.db())
        .await?
        .rows_affected;
    let handles: Vec<String> = ids.iter().map(|id| handle(id)).collect();
    let event = Event::by(grant.username(), Action::SessionEnd, &user.username)
        .details(serde_json::json!({ "sessions": handles, "ended": ended }));
    change.audit(event).await?;
    change.commit().await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_read_as_words() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(browser(Some(chrome)), "Chrome 156 on Linux");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
        assert_eq!(browser(Some(safari)), "Safari 17 on Mac OSX");
        assert_eq!(browser(Some("curl/8.0")), "HTTP Library");
        assert_eq!(browser(Some("\u{1b}[31m")), "Unknown browser");
        assert_eq!(browser(None), "Unknown browser");
    }

    #[test]
    fn a_handle_does_not_reveal_the_session_id() {
        let id = "sVrbJ0cA2mRn4oQ0y3kLxg";
        assert_eq!(handle(id).len(), 16);
        assert!(!handle(id).contains(id));
        assert_eq!(handle(id), handle(id));
    }
}

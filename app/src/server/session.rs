//! Browser sessions: a tower-sessions store over SeaORM (so every instance sharing the
//! database sees the same sessions) and the rules that decide who a session belongs to.
use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use tower_sessions::{
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
    Session, SessionStore,
};

use super::entity::session as session_row;
use super::error::Result;

const USER_KEY: &str = "user";

/// What a signed-in session remembers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SignedIn {
    pub(crate) user_id: i64,
    /// Unix seconds; bounds the session's total life whatever its activity.
    pub(crate) signed_in_at: i64,
    /// Unix seconds of the last request that extended the idle timeout.
    #[serde(default)]
    pub(crate) seen_at: i64,
    /// Where and with what the user signed in, for their list of sessions.
    #[serde(default)]
    pub(crate) client: Client,
}

/// The client a session was signed in from.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Client {
    pub ip: Option<String>,
    /// The User-Agent header, without control characters and cut to 256 characters.
    pub agent: Option<String>,
}

impl Client {
    pub fn new(ip: Option<String>, agent: Option<&str>) -> Self {
        let agent = agent
            .map(|a| {
                a.chars()
                    .filter(|c| !c.is_control())
                    .take(256)
                    .collect::<String>()
            })
            .filter(|a| !a.trim().is_empty());
        Self { ip, agent }
    }
}

impl SignedIn {
    /// The signed-in part of a stored session record, if it has one.
    pub(crate) fn from_row(data: &str) -> Option<Self> {
        let data: std::collections::HashMap<String, serde_json::Value> =
            serde_json::from_str(data).ok()?;
        serde_json::from_value(data.get(USER_KEY)?.clone()).ok()
    }
}

/// A session in use is saved (and so its idle timeout restarted) at most this often, not on
/// every request.
const TOUCH_EVERY_SECONDS: i64 = 60;

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Ends every session of a user at once (used when the user is locked).
    pub async fn delete_for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<()> {
        session_row::Entity::delete_many()
            .filter(session_row::Column::UserId.eq(user_id))
            .exec(db)
            .await?;
        Ok(())
    }
}

fn backend(err: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn to_row(record: &Record) -> session_store::Result<session_row::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record
        .data
        .get(USER_KEY)
        .and_then(|v| serde_json::from_value::<SignedIn>(v.clone()).ok())
        .map(|s| s.user_id);
    Ok(session_row::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expires_at: Set(record.expiry_date.unix_timestamp()),
        user_id: Set(user_id),
    })
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; on the rare collision pick another instead of overwriting.
        loop {
            let exists = session_row::Entity::find_by_id(record.id.to_string())
                .one(&self.db)
                .await
                .map_err(backend)?
                .is_some();
            if !exists {
                break;
            }
            record.id = Id::default();
        }
        session_row::Entity::insert(to_row(record)?)
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    /// Updates a session that still exists, and never brings back one that was deleted
    /// meanwhile (signed out, password changed, user locked) by a request that loaded it
    /// before. New sessions, and new ids after sign-in, go through `create`.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = to_row(record)?;
        session_row::Entity::update_many()
            .set(row)
            .filter(session_row::Column::Id.eq(record.id.to_string()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = session_row::Entity::find_by_id(session_id.to_string())
            .filter(session_row::Column::ExpiresAt.gt(Utc::now().timestamp()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        session_row::Entity::delete_by_id(session_id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        session_row::Entity::delete_many()
            .filter(session_row::Column::ExpiresAt.lte(Utc::now().timestamp()))
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

pub(crate) fn session_failed(err: tower_sessions::session::Error) -> super::error::ServiceError {
    super::error::ServiceError::Internal(format!("session: {err}"))
}

/// Binds the session to `user_id` under a fresh id, so an id planted before sign-in is useless.
pub async fn sign_in(session: &Session, user_id: i64, client: Client) -> Result<()> {
    session.cycle_id().await.map_err(session_failed)?;
    let now = Utc::now().timestamp();
    let signed_in = SignedIn {
        user_id,
        signed_in_at: now,
        seen_at: now,
        client,
    };
    session
        .insert(USER_KEY, signed_in)
        .await
        .map_err(session_failed)
}

/// Ends the session on the server: the record is deleted, not merely the cookie.
pub async fn sign_out(session: &Session) -> Result<()> {
    session.flush().await.map_err(session_failed)
}

/// What this session remembers of its sign-in, if it is signed in.
pub(crate) async fn signed_in(session: &Session) -> Result<Option<SignedIn>> {
    session
        .get::<SignedIn>(USER_KEY)
        .await
        .map_err(session_failed)
}

/// Records activity at `now`, which slides the idle timeout (saving the session sets its
/// expiry anew); written at most every [`TOUCH_EVERY_SECONDS`], not on every request.
pub(crate) async fn seen(session: &Session, signed_in: SignedIn, now: i64) -> Result<()> {
    if now - signed_in.seen_at < TOUCH_EVERY_SECONDS {
        return Ok(());
    }
    let seen = SignedIn {
        seen_at: now,
        ..signed_in
    };
    session.insert(USER_KEY, seen).await.map_err(session_failed)
}

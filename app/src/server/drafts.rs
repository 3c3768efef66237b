//! Endpoint-token values drafted in the "Token settings" dialog. The server draws the value
//! and shows it once; the administrator's session keeps only its digest and hint under a
//! draft id, and Save sends that id, so the browser never chooses a secret. A draft lapses
//! when it is saved or the dialog closes, or after 15 minutes.
use chrono::Utc;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::authz::Admin;
use super::error::{Result, ServiceError};
use super::secrets;
use super::session::session_failed;

const KEY: &str = "endpoint_token_drafts";
const LIFETIME_SECONDS: i64 = 15 * 60;
/// Drafts kept per session; an older one lapses when a newer one would exceed this.
const KEPT: usize = 8;

/// A value drafted on the server: only its digest and hint, never a secret the browser
/// chose.
#[derive(Clone, Debug)]
pub struct DraftedSecret {
    pub digest: String,
    pub hint: String,
}

/// A new value: the secret to answer once, and what is stored of it.
pub fn draw() -> (String, DraftedSecret) {
    let secret = secrets::new_endpoint_secret();
    let stored = DraftedSecret {
        digest: secrets::digest(&secret),
        hint: secrets::hint(&secret),
    };
    (secret, stored)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Stored {
    id: String,
    digest: String,
    hint: String,
    /// Unix seconds.
    lapses_at: i64,
}

async fn load(session: &Session) -> Result<Vec<Stored>> {
    let now = Utc::now().timestamp();
    let mut drafts: Vec<Stored> = session
        .get(KEY)
        .await
        .map_err(session_failed)?
        .unwrap_or_default();
    drafts.retain(|d| d.lapses_at > now);
    Ok(drafts)
}

async fn store(session: &Session, drafts: Vec<Stored>) -> Result<()> {
    session.insert(KEY, drafts).await.map_err(session_failed)
}

/// Draws a new value: answers the draft id and the value, which is not kept.
pub async fn draft(session: &Session, _admin: &Admin) -> Result<(String, String)> {
    let (secret, value) = draw();
    let id = secrets::random_alphanumeric(24);
    let mut drafts = load(session).await?;
    if drafts.len() >= KEPT {
        drafts.remove(0);
    }
    drafts.push(Stored {
        id: id.clone(),
        digest: value.digest,
        hint: value.hint,
        lapses_at: Utc::now().timestamp() + LIFETIME_SECONDS,
    });
    store(session, drafts).await?;
    Ok((id, secret))
}

/// The drafted value behind `id`. It stays until [`discard`], so that a Save refused for
/// another field can be corrected and sent again with the value already copied.
pub async fn find(session: &Session, _admin: &Admin, id: &str) -> Result<DraftedSecret> {
    let drafts = load(session).await?;
    let found = drafts.into_iter().find(|d| d.id == id).ok_or_else(|| {
        ServiceError::validation(
            "secret",
            "This drafted token has lapsed; use Regenerate token for a new value",
        )
    })?;
    Ok(DraftedSecret {
        digest: found.digest,
        hint: found.hint,
    })
}

/// Forgets a draft: it was saved, or the dialog closed without saving.
pub async fn discard(session: &Session, _admin: &Admin, id: &str) -> Result<()> {
    let mut drafts = load(session).await?;
    drafts.retain(|d| d.id != id);
    store(session, drafts).await
}

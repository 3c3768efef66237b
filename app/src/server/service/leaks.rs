//! Leak reports, as GitHub's secret-scanning partner program sends them: secrets found in
//! public places. Holding a secret is proof enough, so anyone may report one; a report that
//! matches a credential's secret (current, or the previous one during an overlap) stops
//! that secret, or only flags it when the policy says so, and tells the owner through the
//! audit log, the `token.leaked` webhook and email. The answer says per item only whether
//! it matched, keyed by the secret's SHA-256.
use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, Set,
};

use super::endpoints::{withdraw_primary, Method};
use super::limits::{self, Key, PER_REPORTER};
use super::tokens::either_digest;
use super::{is_unsafe_char, settings};
use crate::model::settings::LeakResponse;
use crate::model::token::number;
use crate::server::audit_log::{Action, Event};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{
    access_token, audit_event, endpoint, endpoint_primary, endpoint_token, user,
};
use crate::server::error::{Result, ServiceError};
use crate::server::secrets;
use crate::server::secrets::still_overlapping;

/// Items in one report: GitHub sends a few at a time, and each may cost a look-up.
pub const ITEMS_MAX: usize = 100;
/// Longest `type`, `url` or `source` kept; longer ones are cut.
const TEXT_MAX: usize = 500;

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub token: String,
    pub kind: String,
    pub url: String,
    pub source: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Hex SHA-256 of the reported secret.
    pub token_hash: String,
    pub token_type: String,
    pub true_positive: bool,
}

/// What a reported secret turned out to be.
enum Found {
    Access(Box<access_token::Model>, Which),
    Primary(endpoint_primary::Model, Which),
    Endpoint(endpoint_token::Model, Which),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Current,
    /// The secret a rotation replaced, still in its overlap.
    Previous,
}

fn which(current: &str, digest: &str) -> Which {
    if current == digest {
        Which::Current
    } else {
        Which::Previous
    }
}

/// Printable and bounded: these come from anyone and end up in the audit log.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| !is_unsafe_char(c))
        .take(TEXT_MAX)
        .collect()
}

/// Counts a report against its sender's limit ([`PER_REPORTER`]), before anything about it
/// costs work: its signature, its parsing, its look-ups.
#[tracing::instrument(skip_all)]
pub async fn admit(db: &DatabaseConnection, ip: &str) -> Result<()> {
    limits::reserve(db, Key::Reporter(ip), PER_REPORTER, Utc::now()).await
}

/// Handles an admitted report (see [`admit`]); `ip` is its sender's, for the audit log.
#[tracing::instrument(skip_all)]
pub async fn report(
    db: &DatabaseConnection,
    cache: &AuthCache,
    reports: Vec<Report>,
    ip: Option<&str>,
) -> Result<Vec<Verdict>> {
    if reports.len() > ITEMS_MAX {
        return Err(ServiceError::TooLarge {
            field: "body",
            message: format!("A report may hold at most {ITEMS_MAX} items"),
        });
    }
    let response = settings::load(db).await?.leak_response;
    let mut verdicts = Vec::with_capacity(reports.len());
    // A secret listed twice is handled once.
    let mut handled = std::collections::HashMap::new();
    for item in reports {
        let digest = secrets::digest(&item.token);
        let kind = clean(&item.kind);
        let found = match handled.get(&digest) {
            Some(&found) => found,
            // Strings no credential could have skip the database.
            None if !secrets::may_verify(&item.token) => false,
            None => {
                let found = handle(db, cache, &digest, &item, &kind, response, ip).await?;
                handled.insert(digest.clone(), found);
                found
            }
        };
        verdicts.push(Verdict {
            token_hash: digest,
            token_type: kind,
            true_positive: found,
        });
    }
    Ok(verdicts)
}

/// Looks the secret up and acts on it; whether it matched.
///
/// Read first outside any change: a report of no one's secret, or a replay of one already
/// stopped and told of today, takes no lock, resets no cache and tells no one again.
async fn handle(
    db: &DatabaseConnection,
    cache: &AuthCache,
    digest: &str,
    item: &Report,
    kind: &str,
    response: LeakResponse,
    ip: Option<&str>,
) -> Result<bool> {
    let Some(found) = find(db, digest).await? else {
        return Ok(false);
    };
    let revoke = response == LeakResponse::Revoke;
    if (!revoke || stopped(&found)) && told_recently(db, &target_of(db, &found).await?).await? {
        return Ok(true);
    }
    let change = Change::begin(db, cache).await?;
    let Some(found) = find(change.db(), digest).await? else {
        return Ok(false);
    };
    let target = target_of(change.db(), &found).await?;
    let (owner, credential, secret) = match &found {
        Found::Access(token, which) => {
            let owner = user::Entity::find_by_id(token.owner_id)
                .one(change.db())
                .await?
                .map(|u| u.username);
            (owner, "access_token", *which)
        }
        Found::Primary(_, which) => (None, "endpoint_primary", *which),
        Found::Endpoint(_, which) => (None, "endpoint_token", *which),
    };
    let (token_id, name) = match &found {
        Found::Access(token, _) => (Some(token.id), token.name.clone()),
        Found::Primary(primary, _) => (None, primary.method.clone()),
        Found::Endpoint(token, _) => (None, token.name.clone()),
    };
    let acted = if revoke {
        stop(change.db(), found).await?
    } else {
        false
    };
    change
        .audit(
            Event {
                target: Some(&target),
                ip,
                ..Event::new(Action::TokenLeaked)
            }
            .details(serde_json::json!({
                "credential": credential,
                "token": token_id,
                "name": name,
                "secret": if secret == Which::Current { "current" } else { "previous" },
                "owner": owner,
                "type": kind,
                "url": clean(&item.url),
                "source": clean(&item.source),
                "response": if acted { "revoked" } else if revoke { "already stopped" } else { "flagged" },
            })),
        )
        .await?;
    change.commit().await?;
    Ok(true)
}

/// How the audit log names the credential: a token's number, a primary's path and method,
/// an endpoint token's name.
async fn target_of(db: &impl ConnectionTrait, found: &Found) -> Result<String> {
    Ok(match found {
        Found::Access(token, _) => number(token.id),
        Found::Primary(primary, _) => {
            let path = endpoint::Entity::find_by_id(primary.endpoint_id)
                .one(db)
                .await?
                .map(|e| e.path)
                .unwrap_or_default();
            format!("{path} {}", primary.method)
        }
        Found::Endpoint(token, _) => token.name.clone(),
    })
}

/// Whether the reported secret no longer works, so a report changes nothing. (Stopped
/// primaries, endpoint tokens and overlaps no longer match at all.)
fn stopped(found: &Found) -> bool {
    matches!(found, Found::Access(token, Which::Current) if token.revoked_at.is_some())
}

/// Whether a leak of `target` was recorded (and so told) in the last day.
async fn told_recently(db: &impl ConnectionTrait, target: &str) -> Result<bool> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(Action::TokenLeaked.as_str()))
        .filter(audit_event::Column::Target.eq(target))
        .filter(audit_event::Column::At.gte(Utc::now() - chrono::Duration::days(1)))
        .one(db)
        .await?
        .is_some())
}

async fn find(db: &impl ConnectionTrait, digest: &str) -> Result<Option<Found>> {
    if let Some(token) = access_token::Entity::find()
        .filter(either_digest(
            access_token::Column::SecretDigest,
            access_token::Column::PreviousDigest,
            digest,
        ))
        .one(db)
        .await?
    {
        let which = which(&token.secret_digest, digest);
        return Ok(Some(Found::Access(Box::new(token), which)));
    }
    if let Some(primary) = endpoint_primary::Entity::find()
        .filter(either_digest(
            endpoint_primary::Column::SecretDigest,
            endpoint_primary::Column::PreviousDigest,
            digest,
        ))
        .one(db)
        .await?
    {
        let which = which(&primary.secret_digest, digest);
        return Ok(Some(Found::Primary(primary, which)));
    }
    Ok(endpoint_token::Entity::find()
        .filter(either_digest(
            endpoint_token::Column::SecretDigest,
            endpoint_token::Column::PreviousDigest,
            digest,
        ))
        .one(db)
        .await?
        .map(|token| {
            let which = which(&token.secret_digest, digest);
            Found::Endpoint(token, which)
        }))
}

/// Stops the reported secret: a current one by revoking its credential (a primary gets a
/// value no one has seen), a previous one by ending its overlap. Whether anything changed.
async fn stop(db: &impl ConnectionTrait, found: Found) -> Result<bool> {
    let now = Utc::now();
    Ok(match found {
        Found::Access(token, Which::Current) => {
            access_token::Entity::update_many()
                .col_expr(access_token::Column::RevokedAt, Expr::value(now))
                .col_expr(access_token::Column::RevokedBy, Expr::value("leak report"))
                .filter(access_token::Column::Id.eq(token.id))
                .filter(access_token::Column::RevokedAt.is_null())
                .exec(db)
                .await?
                .rows_affected
                == 1
        }
        Found::Access(token, Which::Previous) => {
            let running = still_overlapping(token.previous_valid_until);
            let mut active: access_token::ActiveModel = (*token).into();
            active.previous_digest = Set(None);
            active.previous_valid_until = Set(None);
            active.update(db).await?;
            running
        }
        Found::Primary(primary, Which::Current) => {
            let method = Method::parse(&primary.method).ok_or(ServiceError::NotFound)?;
            withdraw_primary(db, primary.endpoint_id, method).await?;
            true
        }
        Found::Primary(primary, Which::Previous) => {
            let running = still_overlapping(primary.previous_valid_until);
            let mut active: endpoint_primary::ActiveModel = primary.into();
            active.previous_digest = Set(None);
            active.previous_valid_until = Set(None);
            active.update(db).await?;
            running
        }
        Found::Endpoint(token, Which::Current) => {
            // Deactivated, and given a value no one has seen: activating it again cannot
            // bring the leaked secret back.
            let unseen = secrets::new_endpoint_secret();
            let mut active: endpoint_token::ActiveModel = token.into();
            active.secret_digest = Set(secrets::digest(&unseen));
            active.hint = Set(secrets::hint(&unseen));
            active.previous_digest = Set(None);
            active.previous_valid_until = Set(None);
            active.active = Set(false);
            active.updated_at = Set(now);
            active.updated_by = Set(Some("leak report".into()));
            active.update(db).await?;
            true
        }
        Found::Endpoint(token, Which::Previous) => {
            let running = still_overlapping(token.previous_valid_until);
            let mut active: endpoint_token::ActiveModel = token.into();
            active.previous_digest = Set(None);
            active.previous_valid_until = Set(None);
            active.update(db).await?;
            running
        }
    })
}

//! Verifying a bearer token on each API request, auditing every refusal, and checking again
//! inside each change that the caller's grant still holds (`Change::acting`). The hot path
//! touches only memory: the checksum rejects malformed tokens offline, verified tokens and
//! owners are cached until a change invalidates them, pass codes pay argon2 once per (token,
//! pass code), and last use is recorded in memory for a batched write.
use std::net::IpAddr;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect,
};
use subtle::ConstantTimeEq;

use super::accounts::{self, Account};
use super::groups;
use super::limits::{self, Key};
use super::passwords;
use super::settings::{self, TokenSettings};
use super::tokens::{self, allowlist, Reason};
use crate::model::scope::Scope;
use crate::model::token::number;
use crate::server::audit_log::{self, Action, Refusal};
use crate::server::authz::{Grant, Secret, Via};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::access_token;
use crate::server::error::{AuthFailure, Result, ServiceError};
use crate::server::rate_limits::{OverLimit, RateInfo, RateLimits};
use crate::server::secrets;
use crate::server::usage::UsageLog;

/// What verifying a token reads and counts: the database, the verification cache (which
/// holds the refusal counts), this instance's rate counters and the usage log.
#[derive(Clone, Copy)]
pub struct Verifier<'a> {
    pub db: &'a DatabaseConnection,
    pub auth: &'a AuthCache,
    pub rates: &'a RateLimits,
    pub usage: &'a UsageLog,
}

/// What the request presented.
#[derive(Clone, Copy, Debug, Default)]
pub struct Credentials<'a> {
    /// The whole `Authorization` header.
    pub authorization: Option<&'a str>,
    pub identifier: Option<&'a str>,
    pub pass_code: Option<&'a str>,
    pub ip: Option<IpAddr>,
}

/// A verified token's request: what it holds, and where the token stands against its rate
/// limit (for the answer's headers).
#[derive(Clone, Debug)]
pub struct Verified {
    pub grant: Grant,
    pub rate: Option<RateInfo>,
}

/// How a refused request names the credential it presented: the token's hint when it has a
/// token's shape, never the text itself.
pub fn presented_credential(authorization: Option<&str>) -> String {
    match bearer(authorization) {
        Ok(secret) if secrets::may_verify(secret) => secrets::hint(secret),
        Ok(_) => "malformed token".into(),
        Err(_) => "no token".into(),
    }
}

fn failed(failure: AuthFailure) -> ServiceError {
    ServiceError::Unauthenticated(failure)
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(authorization: Option<&str>) -> Result<&str> {
    let header = authorization.ok_or(failed(AuthFailure::MissingToken))?;
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or(failed(AuthFailure::InvalidToken))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(failed(AuthFailure::InvalidToken));
    }
    Ok(token.trim())
}

async fn token_by_digest(
    verifier: Verifier<'_>,
    digest: [u8; 32],
) -> Result<Option<Arc<access_token::Model>>> {
    let Verifier { db, auth, .. } = verifier;
    if let Some(token) = auth.token(&digest) {
        return Ok(Some(token));
    }
    let stamp = auth.stamp();
    let hex = secrets::hex(&digest);
    // One round trip for either secret.
    let token = access_token::Entity::find()
        .filter(tokens::either_digest(
            access_token::Column::SecretDigest,
            access_token::Column::PreviousDigest,
            &hex,
        ))
        .one(db)
        .await?;
    Ok(token.map(|token| auth.put_token(stamp, digest, token)))
}

/// Which secret of `token` has the digest `digest`; `None` for a previous one whose overlap
/// ended (checked on every call, so it stops exactly at its time whatever is cached).
fn which_secret(token: &access_token::Model, digest: &[u8; 32]) -> Option<Secret> {
    // Found by its digest: without a previous secret it can only be the current one, so the
    // usual call encodes nothing.
    let Some(previous) = token.previous_digest.as_deref() else {
        return Some(Secret::Current);
    };
    let presented = secrets::hex(digest);
    if token.secret_digest == presented {
        return Some(Secret::Current);
    }
    let valid = previous == presented && secrets::still_overlapping(token.previous_valid_until);
    valid.then_some(Secret::Previous)
}

async fn owner(verifier: Verifier<'_>, id: i64) -> Result<Arc<Account>> {
    let Verifier { db, auth, .. } = verifier;
    if let Some(owner) = auth.owner(id) {
        return Ok(owner);
    }
    let stamp = auth.stamp();
    let user = accounts::find_by_id(db, id)
        .await?
        .ok_or(failed(AuthFailure::InvalidToken))?;
    Ok(auth.put_owner(stamp, accounts::account_of(db, user).await?))
}

async fn check_second_factor(
    verifier: Verifier<'_>,
    token: &access_token::Model,
    credentials: &Credentials<'_>,
) -> Result<()> {
    if let Some(expected) = token.identifier.as_deref() {
        let presented = credentials.identifier.unwrap_or_default();
        if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(failed(AuthFailure::CredentialsRequired));
        }
    }
    if let Some(hash) = token.pass_code_hash.clone() {
        let presented = credentials
            .pass_code
            .ok_or(failed(AuthFailure::CredentialsRequired))?;
        let Verifier { db, auth, .. } = verifier;
        if !auth.pass_code_verified(&token.secret_digest, presented) {
            let _turn = auth.pass_code_turns.take(token.id).await;
            if auth.pass_code_verified(&token.secret_digest, presented) {
                return Ok(());
            }
            // Each try is reserved before argon2: 5 per token per 15 minutes, then 429.
            let key = Key::Token(token.id);
            limits::reserve(db, key, limits::PER_TOKEN, Utc::now()).await?;
            let stamp = auth.stamp();
            let matches = if presented.chars().count() > passwords::MAX_LEN {
                false
            } else {
                match passwords::verify(presented.to_owned(), Some(hash)).await {
                    Ok(matches) => matches,
                    Err(err) => {
                        limits::release(db, key).await?;
                        return Err(err);
                    }
                }
            };
            if !matches {
                return Err(failed(AuthFailure::CredentialsRequired));
            }
            limits::clear(db, key).await?;
            auth.remember_pass_code(stamp, &token.secret_digest, presented);
        }
    }
    Ok(())
}

/// Verifies a bearer token: what its request holds, or the refusal, which is logged and
/// audited here (every refused token request is, whichever check refused it).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate(
    verifier: Verifier<'_>,
    credentials: Credentials<'_>,
) -> Result<Verified> {
    let verified = verify(verifier, &credentials).await;
    if let Err(err) = &verified {
        refuse_credentials(verifier, &credentials, err).await;
    }
    verified
}

async fn verify(verifier: Verifier<'_>, credentials: &Credentials<'_>) -> Result<Verified> {
    let secret = bearer(credentials.authorization)?;
    let Resolved {
        token,
        owner,
        secret: which,
        settings,
    } = resolve(verifier, secret).await?;
    // Before the second factor: a stolen token cannot be used from outside its allowlist
    // even to try pass codes.
    let guarded = allowlist::Guarded {
        credential: &number(token.id),
        actor: Some(&owner.user.username),
        allowed_ips: &token.allowed_ips,
        policy: &token.ip_policy,
    };
    allowlist::check(
        verifier.db,
        &verifier.auth.refusals,
        guarded,
        credentials.ip,
    )
    .await?;
    check_second_factor(verifier, &token, credentials).await?;
    // Counted once the caller proved it holds the whole credential: a stranger with the
    // secret alone cannot spend the owner's budget.
    let rate = match settings.rate_limit(token.own_rate_limit()) {
        Some(limit) => Some(verifier.rates.check(token.id, limit).map_err(|over| {
            ServiceError::OverRateLimit(OverLimit {
                expires: token.expires_at,
                ..over
            })
        })?),
        None => None,
    };
    verifier.usage.record(token.id, credentials.ip, which);
    let scopes = tokens::effective_scopes(&token.scopes, &owner.rights);
    let ip = credentials.ip.map(|ip| ip.to_string());
    Ok(Verified {
        grant: Grant::verified_token(owner, token, scopes, which).from_ip(ip),
        rate,
    })
}

/// `grant` if its token carries `scope` (within the owner's permissions now), recording
/// the scope's use for the token's page; else 403, audited.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn require(verifier: Verifier<'_>, grant: Grant, scope: Scope) -> Result<Grant> {
    if grant.carries(scope) {
        if let Some(token) = grant.presented_token() {
            verifier.usage.record_scope(token.id, scope);
        }
        return Ok(grant);
    }
    Err(forbid(verifier, &grant).await)
}

/// 403 for a request that verified but may not do what it asked, audited (aggregated).
pub async fn forbid(verifier: Verifier<'_>, grant: &Grant) -> ServiceError {
    let refusal = Refusal {
        credential: &grant.via().label(),
        known: true,
        actor: Some(grant.username()),
        ip: grant.ip(),
        reason: "forbidden",
    };
    audit_log::access_refused(verifier.db, &verifier.auth.refusals, refusal, None).await;
    ServiceError::Forbidden
}

/// Audits a refused token request under the hint of what it presented, never the text.
async fn refuse_credentials(
    verifier: Verifier<'_>,
    credentials: &Credentials<'_>,
    err: &ServiceError,
) {
    let reason = match err {
        ServiceError::Unauthenticated(failure) => failure.code(),
        ServiceError::RateLimited { .. } | ServiceError::OverRateLimit(_) => "rate_limited",
        ServiceError::IpNotAllowed => "ip_not_allowed",
        _ => return,
    };
    let credential = presented_credential(credentials.authorization);
    // Refused before any token was found (or looked for): the hint is of a string Tessera
    // does not know, made up as often as not.
    let known = !matches!(
        err,
        ServiceError::Unauthenticated(AuthFailure::InvalidToken | AuthFailure::TokensDisabled)
    );
    let ip = credentials.ip.map(|ip| ip.to_string());
    let refusal = Refusal {
        credential: &credential,
        known,
        actor: None,
        ip: ip.as_deref(),
        reason,
    };
    audit_log::access_refused(verifier.db, &verifier.auth.refusals, refusal, None).await;
}

/// Introspection: the token and its owner if it is effective now, else `None`. The second
/// factor is the presenting client's business and is not checked here. A gateway asks
/// because a client presented the token, so an effective one counts as used (without an
/// address: the gateway's is not the client's), and the idle policy spares it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn inspect(
    verifier: Verifier<'_>,
    secret: &str,
) -> Result<Option<(Arc<access_token::Model>, Arc<Account>)>> {
    match resolve(verifier, secret.trim()).await {
        Ok(found) => {
            verifier.usage.record(found.token.id, None, found.secret);
            Ok(Some((found.token, found.owner)))
        }
        Err(ServiceError::Unauthenticated(_)) => Ok(None),
        Err(other) => Err(other),
    }
}

/// Whether a secret without Tessera's prefix can be any token's: only while a token has an
/// imported secret, or is in a rotation's overlap (its previous secret may have been
/// imported). Otherwise such strings are refused without a database lookup, as before
/// imports existed; the answer is cached until the next change.
async fn foreign_secrets_possible(verifier: Verifier<'_>) -> Result<bool> {
    let Verifier { db, auth, .. } = verifier;
    if let Some(possible) = auth.foreign_secrets() {
        return Ok(possible);
    }
    let stamp = auth.stamp();
    let possible = access_token::Entity::find()
        .select_only()
        .column(access_token::Column::Id)
        .filter(
            Condition::any()
                .add(access_token::Column::Imported.eq(true))
                .add(access_token::Column::PreviousDigest.is_not_null()),
        )
        .into_tuple::<i64>()
        .one(db)
        .await?
        .is_some();
    auth.put_foreign_secrets(stamp, possible);
    Ok(possible)
}

/// What a secret names, if its token is effective now.
struct Resolved {
    token: Arc<access_token::Model>,
    owner: Arc<Account>,
    /// Which of the token's secrets it is.
    secret: Secret,
    /// The settings it was judged by.
    settings: Arc<TokenSettings>,
}

async fn resolve(verifier: Verifier<'_>, secret: &str) -> Result<Resolved> {
    let Verifier { db, auth, .. } = verifier;
    if !secrets::may_verify(secret)
        || !(secret.starts_with(secrets::PREFIX) || foreign_secrets_possible(verifier).await?)
    {
        return Err(failed(AuthFailure::InvalidToken));
    }
    let settings = tokens::current_settings(db, auth).await?;
    if !settings.api_tokens_enabled {
        return Err(failed(AuthFailure::TokensDisabled));
    }
    let digest = secrets::digest_bytes(secret);
    let token = token_by_digest(verifier, digest)
        .await?
        .ok_or(failed(AuthFailure::InvalidToken))?;
    let which = which_secret(&token, &digest).ok_or(failed(AuthFailure::InvalidToken))?;
    let owner = owner(verifier, token.owner_id).await?;
    if let Some(reason) =
        tokens::life_cycle(&token, &owner.user, &settings, Utc::now().date_naive())
    {
        return Err(failed(failure(reason)));
    }
    Ok(Resolved {
        token,
        owner,
        secret: which,
        settings,
    })
}

/// The refusal a token's life cycle state answers with.
fn failure(reason: Reason) -> AuthFailure {
    match reason {
        Reason::Revoked => AuthFailure::TokenRevoked,
        Reason::Expired => AuthFailure::TokenExpired,
        Reason::Suspended => AuthFailure::TokenSuspended,
        Reason::OwnerLocked => AuthFailure::OwnerLocked,
        Reason::OwnerInactive => AuthFailure::OwnerInactive,
        Reason::TokensDisabled => AuthFailure::TokensDisabled,
    }
}

/// Checks, inside a change's transaction, that what `grant` was built from still holds: the
/// token is still effective with the secret it presented (a secret replaced by a rotation is
/// refused with [`ServiceError::PreviousSecret`]), its owner may still act, and an
/// administrator still is one. A request that verified before a revoke, lock or demotion
/// committed cannot commit a change after it (the change counter, incremented first, orders
/// the two).
async fn still_holds(grant: &Grant, db: &impl ConnectionTrait) -> Result<()> {
    if *grant.via() == Via::Operator {
        return Ok(());
    }
    let owner = accounts::find_by_id(db, grant.account().user.id)
        .await?
        .ok_or(failed(AuthFailure::InvalidToken))?;
    if let Via::Token(verified) = grant.via() {
        let token = access_token::Entity::find_by_id(verified.id)
            .one(db)
            .await?
            .ok_or(failed(AuthFailure::InvalidToken))?;
        // The secret presented, as it verified: it may have been replaced since.
        let presented = match grant.secret() {
            Secret::Current => Some(verified.secret_digest.as_str()),
            Secret::Previous => verified.previous_digest.as_deref(),
        };
        let current = presented == Some(token.secret_digest.as_str());
        // A secret that was already the previous one when it verified stops with its own
        // overlap, or when a newer rotation replaces it.
        let overlapping = presented.is_some()
            && token.previous_digest.as_deref() == presented
            && secrets::still_overlapping(token.previous_valid_until);
        if !current && !overlapping {
            return Err(failed(AuthFailure::InvalidToken));
        }
        let settings = settings::load(db).await?;
        if let Some(reason) = tokens::life_cycle(&token, &owner, &settings, Utc::now().date_naive())
        {
            return Err(failed(failure(reason)));
        }
        // A replaced secret authenticates calls until its overlap ends, but changes nothing:
        // with it, a leaked old secret could regenerate the token (locking out the new
        // secret's holder) or issue tokens that outlive the overlap.
        if !current {
            return Err(ServiceError::PreviousSecret);
        }
    } else if accounts::unusable_reason(&owner).is_some() {
        return Err(failed(AuthFailure::OwnerLocked));
    }
    if grant.holds().contains(Scope::Admin)
        && grant.account().is_admin()
        && !groups::standing_of(db, owner.id).await?.rights.is_admin()
    {
        return Err(ServiceError::Forbidden);
    }
    Ok(())
}

/// Changes on someone's behalf begin here: the rule that their grant still holds is this
/// service's, so the change path (below the services) does not import it.
impl<'a> Change<'a> {
    /// Begins a change on behalf of `grant`, which must still hold (see [`still_holds`])
    /// once this change is ordered after every other.
    pub async fn acting(
        db: &DatabaseConnection,
        cache: &'a AuthCache,
        grant: &Grant,
    ) -> Result<Self> {
        let change = Self::begin(db, cache).await?;
        let Err(refused) = still_holds(grant, change.db()).await else {
            return Ok(change.from_ip(grant.ip()));
        };
        // Ended first: on SQLite its transaction holds the only write lock.
        change.rollback().await?;
        // A replaced secret tried a change: its owner should see the attempt.
        if matches!(refused, ServiceError::PreviousSecret) {
            let refusal = Refusal {
                credential: &grant.via().label(),
                known: true,
                actor: Some(grant.username()),
                ip: grant.ip(),
                reason: "previous_secret",
            };
            audit_log::refused(db, &cache.refusals, refusal, Action::AccessRefused, None).await?;
        }
        Err(refused)
    }
}

//! Verifying a bearer token on each API request. The hot path touches only memory: the
//! checksum rejects malformed tokens offline, verified tokens and owners are cached until a
//! change invalidates them, pass codes pay argon2 once per (token, pass code), and last use
//! is recorded in memory for a batched write.
use std::net::IpAddr;
use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use subtle::ConstantTimeEq;

use super::accounts::{self, Account};
use super::limits::{self, Key};
use super::passwords;
use super::settings::TokenSettings;
use super::tokens::{self, allowlist, Reason};
use crate::model::scope::{Scope, Scopes};
use crate::model::token::number;
use crate::server::authz::Secret;
use crate::server::entity::access_token;
use crate::server::error::{AuthFailure, Result, ServiceError};
use crate::server::rate_limits::{OverLimit, RateInfo};
use crate::server::secrets;
use crate::server::state::AppState;

/// What the request presented.
#[derive(Clone, Copy, Debug, Default)]
pub struct Credentials<'a> {
    /// The whole `Authorization` header.
    pub authorization: Option<&'a str>,
    pub identifier: Option<&'a str>,
    pub pass_code: Option<&'a str>,
    pub ip: Option<IpAddr>,
}

/// Who is calling, through which token, allowed to do what. Made only by [`authenticate`]
/// (the private field sees to that), so holding one proves the token verified.
#[derive(Clone, Debug)]
pub struct Principal {
    pub token: Arc<access_token::Model>,
    pub owner: Arc<Account>,
    scopes: Scopes,
    /// Which of the token's secrets was presented.
    secret: Secret,
    /// Where the token stands against its rate limit, when it has one.
    pub rate: Option<RateInfo>,
}

impl Principal {
    pub fn secret(&self) -> Secret {
        self.secret
    }

    /// The token's scopes ∩ the owner's permissions now.
    pub fn scopes(&self) -> Scopes {
        self.scopes
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(scope)
    }
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
    db: &DatabaseConnection,
    state: &AppState,
    digest: [u8; 32],
) -> Result<Option<Arc<access_token::Model>>> {
    if let Some(token) = state.auth.token(&digest) {
        return Ok(Some(token));
    }
    let stamp = state.auth.stamp();
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
    Ok(token.map(|token| state.auth.put_token(stamp, digest, token)))
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
    let valid = previous == presented && tokens::still_overlapping(token.previous_valid_until);
    valid.then_some(Secret::Previous)
}

async fn owner(db: &DatabaseConnection, state: &AppState, id: i64) -> Result<Arc<Account>> {
    if let Some(owner) = state.auth.owner(id) {
        return Ok(owner);
    }
    let stamp = state.auth.stamp();
    let user = accounts::find_by_id(db, id)
        .await?
        .ok_or(failed(AuthFailure::InvalidToken))?;
    let is_admin = accounts::is_admin(db, id).await?;
    Ok(state.auth.put_owner(stamp, Account { user, is_admin }))
}

async fn check_second_factor(
    state: &AppState,
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
        if !state
            .auth
            .pass_code_verified(&token.secret_digest, presented)
        {
            let _turn = state.auth.pass_code_turns.take(token.id).await;
            if state
                .auth
                .pass_code_verified(&token.secret_digest, presented)
            {
                return Ok(());
            }
            // Each try is reserved before argon2: 5 per token per 15 minutes, then 429.
            let key = Key::Token(token.id);
            limits::reserve(&state.db, key, limits::PER_TOKEN, Utc::now()).await?;
            let stamp = state.auth.stamp();
            let matches = if presented.chars().count() > passwords::MAX_LEN {
                false
            } else {
                match passwords::verify(presented.to_owned(), Some(hash)).await {
                    Ok(matches) => matches,
                    Err(err) => {
                        limits::release(&state.db, key).await?;
                        return Err(err);
                    }
                }
            };
            if !matches {
                return Err(failed(AuthFailure::CredentialsRequired));
            }
            limits::clear(&state.db, key).await?;
            state
                .auth
                .remember_pass_code(stamp, &token.secret_digest, presented);
        }
    }
    Ok(())
}

pub async fn authenticate(state: &AppState, credentials: Credentials<'_>) -> Result<Principal> {
    let secret = bearer(credentials.authorization)?;
    let Resolved {
        token,
        owner,
        secret: which,
        settings,
    } = resolve(state, secret).await?;
    // Before the second factor: a stolen token cannot be used from outside its allowlist
    // even to try pass codes.
    let guarded = allowlist::Guarded {
        credential: &number(token.id),
        actor: Some(&owner.user.username),
        allowed_ips: &token.allowed_ips,
        policy: &token.ip_policy,
    };
    allowlist::check(state, guarded, credentials.ip).await?;
    check_second_factor(state, &token, &credentials).await?;
    // Counted once the caller proved it holds the whole credential: a stranger with the
    // secret alone cannot spend the owner's budget.
    let rate = match settings.rate_limit(token.own_rate_limit()) {
        Some(limit) => Some(state.rates.check(token.id, limit).map_err(|over| {
            ServiceError::OverRateLimit(OverLimit {
                expires: token.expires_at,
                ..over
            })
        })?),
        None => None,
    };
    state.usage.record(token.id, credentials.ip, which);
    Ok(Principal {
        rate,
        scopes: tokens::effective_scopes(&token.scopes, owner.is_admin),
        token,
        owner,
        secret: which,
    })
}

/// Introspection: the token and its owner if it is effective now, else `None`. The second
/// factor is the presenting client's business and is not checked here. A gateway asks
/// because a client presented the token, so an effective one counts as used (without an
/// address: the gateway's is not the client's), and the idle policy spares it.
pub async fn inspect(
    state: &AppState,
    secret: &str,
) -> Result<Option<(Arc<access_token::Model>, Arc<Account>)>> {
    match resolve(state, secret.trim()).await {
        Ok(found) => {
            state.usage.record(found.token.id, None, found.secret);
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
async fn foreign_secrets_possible(state: &AppState) -> Result<bool> {
    if let Some(possible) = state.auth.foreign_secrets() {
        return Ok(possible);
    }
    let stamp = state.auth.stamp();
    let possible = access_token::Entity::find()
        .select_only()
        .column(access_token::Column::Id)
        .filter(
            Condition::any()
                .add(access_token::Column::Imported.eq(true))
                .add(access_token::Column::PreviousDigest.is_not_null()),
        )
        .into_tuple::<i64>()
        .one(&state.db)
        .await?
        .is_some();
    state.auth.put_foreign_secrets(stamp, possible);
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

async fn resolve(state: &AppState, secret: &str) -> Result<Resolved> {
    let db = &state.db;
    if !secrets::may_verify(secret)
        || !(secret.starts_with(secrets::PREFIX) || foreign_secrets_possible(state).await?)
    {
        return Err(failed(AuthFailure::InvalidToken));
    }
    let settings = tokens::current_settings(db, &state.auth).await?;
    if !settings.api_tokens_enabled {
        return Err(failed(AuthFailure::TokensDisabled));
    }
    let digest = secrets::digest_bytes(secret);
    let token = token_by_digest(db, state, digest)
        .await?
        .ok_or(failed(AuthFailure::InvalidToken))?;
    let which = which_secret(&token, &digest).ok_or(failed(AuthFailure::InvalidToken))?;
    let owner = owner(db, state, token.owner_id).await?;
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
pub fn failure(reason: Reason) -> AuthFailure {
    match reason {
        Reason::Revoked => AuthFailure::TokenRevoked,
        Reason::Expired => AuthFailure::TokenExpired,
        Reason::OwnerLocked => AuthFailure::OwnerLocked,
        Reason::OwnerInactive => AuthFailure::OwnerInactive,
        Reason::TokensDisabled => AuthFailure::TokensDisabled,
    }
}

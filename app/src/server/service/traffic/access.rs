//! Who may call an endpoint: the matching primary, an enabled endpoint token with an
//! enabled assignment for the method, from an allowed address, or a user's access token
//! with `records:read` (GET) or `records:write` (POST, DELETE) whose owner holds the
//! matching `endpoint:*` right on this endpoint now.
use std::sync::Arc;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::super::endpoints::{AuthType, Method};
use super::super::token_auth::{self, bearer, Credentials, Verified, Verifier};
use super::super::tokens::allowlist;
use crate::model::scope::Scope;
use crate::model::token::number;
use crate::server::audit_log as audit;
use crate::server::cache::AuthCache;
use crate::server::endpoint_access::{self, EndpointAccess};
use crate::server::entity::{endpoint_primary, endpoint_token};
use crate::server::error::{AuthFailure, Result, ServiceError};
use crate::server::requests::Sender;
use crate::server::secrets;

/// The endpoint at `path`, from memory when nothing changed since it was loaded.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn endpoint_access(
    db: &DatabaseConnection,
    cache: &AuthCache,
    path: &str,
) -> Result<Arc<EndpointAccess>> {
    if let Some(access) = cache.endpoint(path) {
        return Ok(access);
    }
    let stamp = cache.stamp();
    let access = endpoint_access::load(db, path)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(cache.put_endpoint(stamp, path.to_owned(), access))
}

/// A token this endpoint does not know: refused as forbidden when it is a real endpoint
/// token or primary elsewhere, as unauthenticated when it is nothing at all.
async fn stranger(db: &DatabaseConnection, digest: &str) -> Result<(Sender, ServiceError)> {
    if let Some(token) = endpoint_token::Entity::find()
        .filter(endpoint_token::Column::SecretDigest.eq(digest))
        .one(db)
        .await?
    {
        return Ok((
            Sender::EndpointToken {
                id: token.id,
                name: token.name,
                previous: false,
            },
            ServiceError::Forbidden,
        ));
    }
    let primary = endpoint_primary::Entity::find()
        .filter(endpoint_primary::Column::SecretDigest.eq(digest))
        .one(db)
        .await?;
    Ok(match primary {
        Some(_) => (Sender::Unknown, ServiceError::Forbidden),
        None => (
            Sender::Unknown,
            ServiceError::Unauthenticated(AuthFailure::InvalidToken),
        ),
    })
}

/// Decides a call of `method` on `access`: who is calling, and whether they may.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authorize(
    verifier: Verifier<'_>,
    access: &EndpointAccess,
    method: Method,
    credentials: Credentials<'_>,
) -> Result<(Sender, Result<()>)> {
    let Verifier {
        db, auth: cache, ..
    } = verifier;
    let ip = credentials.ip;
    let endpoint = &access.endpoint;
    let token_needed = endpoint.auth_type == AuthType::Token.as_str();
    if method == Method::Delete && !endpoint.allow_deleting {
        let sender = if token_needed {
            Sender::Unknown
        } else {
            Sender::Anonymous
        };
        return Ok((sender, Err(ServiceError::Forbidden)));
    }
    if !token_needed {
        return Ok((Sender::Anonymous, Ok(())));
    }
    let secret = match bearer(credentials.authorization) {
        Ok(secret) => secret,
        Err(err) => return Ok((Sender::Unknown, Err(err))),
    };
    if !secrets::is_endpoint_secret(secret) {
        return user_token(verifier, &endpoint.path, method, credentials).await;
    }
    let digest = secrets::digest_bytes(secret);
    if let Some((primary, previous)) = access.primary(&digest) {
        let verdict = if primary == method {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        };
        let sender = Sender::Primary {
            method: primary,
            previous,
        };
        return Ok((sender, verdict));
    }
    if let Some((secondary, previous)) = access.secondary(&digest) {
        let sender = Sender::EndpointToken {
            id: secondary.id,
            name: secondary.name.clone(),
            previous,
        };
        if !secondary.usable {
            let invalid = ServiceError::Unauthenticated(AuthFailure::InvalidToken);
            return Ok((sender, Err(invalid)));
        }
        // Named as what it is, so that an endpoint token called "AT-000001" cannot pass
        // for that access token in the audit log.
        let credential = format!("endpoint token {}", secondary.name);
        let guarded = allowlist::Guarded {
            credential: &credential,
            actor: None,
            allowed_ips: &secondary.allowed_ips,
            policy: &secondary.ip_policy,
        };
        if let Err(refusal) = allowlist::check(db, &cache.refusals, guarded, ip).await {
            // The request log has the call; the audit log has the refusal, like every one.
            let ip = ip.map(|ip| ip.to_string());
            let refused = audit::Refusal {
                credential: &credential,
                known: true,
                actor: None,
                ip: ip.as_deref(),
                reason: "ip_not_allowed",
            };
            audit::access_refused(db, &cache.refusals, refused, None).await;
            return Ok((sender, Err(refusal)));
        }
        let verdict = if secondary.assignment.enabled && method.allowed_by(&secondary.assignment) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        };
        return Ok((sender, verdict));
    }
    let (sender, refusal) = stranger(db, &secrets::hex(&digest)).await?;
    Ok((sender, Err(refusal)))
}

/// A call with something that is not an endpoint secret: a user's access token acts with
/// its scopes within its owner's rights now (the token service decides and audits whether
/// it authenticates; this decides whether it may call this endpoint).
async fn user_token(
    verifier: Verifier<'_>,
    path: &str,
    method: Method,
    credentials: Credentials<'_>,
) -> Result<(Sender, Result<()>)> {
    let Verified { grant, .. } = match token_auth::authenticate(verifier, credentials).await {
        Ok(verified) => verified,
        Err(refusal) => return Ok((Sender::Unknown, Err(refusal))),
    };
    let Some(token) = grant.presented_token() else {
        return Ok((Sender::Unknown, Err(ServiceError::Forbidden)));
    };
    let sender = Sender::UserToken {
        number: number(token.id),
        owner: grant.username().to_owned(),
    };
    let scope = match method {
        Method::Get => Scope::RecordsRead,
        Method::Post | Method::Delete => Scope::RecordsWrite,
    };
    let grant = match token_auth::require(verifier, grant, scope).await {
        Ok(grant) => grant,
        Err(refusal) => return Ok((sender, Err(refusal))),
    };
    if !grant.account().rights.on_endpoint(method, path) {
        return Ok((sender, Err(token_auth::forbid(verifier, &grant).await)));
    }
    Ok((sender, Ok(())))
}

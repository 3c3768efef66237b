//! What every server function needs from the request: state, session, caller, client IP.
use leptos::prelude::*;
use tower_sessions::Session;

use crate::error::AppError;
use crate::server::authz::{Admin, Grant, Overseer};
use crate::server::client_ip::ClientIp;
use crate::server::service::sessions;
use crate::server::{account::Account, audit_log as audit, session, state::AppState};

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// The client's address, as the server worked it out (see `server::client_ip`).
pub async fn client_ip() -> Option<String> {
    leptos_axum::extract::<axum::Extension<ClientIp>>()
        .await
        .ok()
        .map(|axum::Extension(ClientIp(ip))| ip.to_string())
}

/// The client of this request as a new session remembers it: address and browser.
pub async fn session_client() -> session::Client {
    let agent = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .ok()
        .and_then(|headers| {
            headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        });
    session::Client::new(client_ip().await, agent.as_deref())
}

/// The signed-in caller, if any.
pub async fn account() -> Result<Option<Account>, AppError> {
    let state = state()?;
    let session = session().await?;
    Ok(sessions::current_account(&session, &state.db, &state.sessions).await?)
}

/// Logs and audits a server function turned away (throttled per minute); a failure to
/// audit is logged and does not change the answer.
async fn refuse(err: AppError, account: Option<&Account>) -> AppError {
    err.set_response_status();
    if let Ok(state) = state() {
        let ip = client_ip().await;
        let username = account.map(|a| a.user.username.as_str());
        let refusal = audit::Refusal {
            credential: username.map_or("no session", |_| "session"),
            known: true,
            actor: username,
            ip: ip.as_deref(),
            reason: match err {
                AppError::Forbidden => "forbidden",
                _ => "unauthorized",
            },
        };
        audit::access_refused(&state.db, &state.auth.refusals, refusal, None).await;
    }
    err
}

/// What the signed-in caller holds, or 401.
pub async fn require_grant() -> Result<Grant, AppError> {
    match account().await? {
        Some(account) => Ok(Grant::session(account).from_ip(client_ip().await)),
        None => Err(refuse(AppError::Unauthorized, None).await),
    }
}

/// The signed-in caller, or 401.
pub async fn require_account() -> Result<Account, AppError> {
    Ok(require_grant().await?.account().clone())
}

/// Proof that the signed-in caller is an administrator, or 401/403.
pub async fn require_admin() -> Result<Admin, AppError> {
    let grant = require_grant().await?;
    match grant.admin() {
        Some(admin) => Ok(admin),
        None => Err(refuse(AppError::Forbidden, Some(grant.account())).await),
    }
}

/// Proof that the signed-in caller reads what administrators read (administrators and
/// auditors), or 401/403.
pub async fn require_overseer() -> Result<Overseer, AppError> {
    let grant = require_grant().await?;
    match grant.overseer() {
        Some(overseer) => Ok(overseer),
        None => Err(refuse(AppError::Forbidden, Some(grant.account())).await),
    }
}

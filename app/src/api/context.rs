//! What every server function needs from the request: state, session, caller, client IP.
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use leptos::prelude::*;
use tower_sessions::Session;

use crate::error::AppError;
use crate::server::{service::accounts::Account, session, state::AppState};

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

pub async fn client_ip() -> Option<String> {
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

/// The signed-in caller, if any.
pub async fn account() -> Result<Option<Account>, AppError> {
    let state = state()?;
    let session = session().await?;
    Ok(session::current_account(&session, &state.db, &state.sessions).await?)
}

/// The signed-in caller, or 401.
pub async fn require_account() -> Result<Account, AppError> {
    account().await?.ok_or_else(|| {
        let err = AppError::Unauthorized;
        err.set_response_status();
        err
    })
}

/// The signed-in caller if an administrator, or 401/403.
pub async fn require_admin() -> Result<Account, AppError> {
    let account = require_account().await?;
    if account.is_admin {
        Ok(account)
    } else {
        let err = AppError::Forbidden;
        err.set_response_status();
        Err(err)
    }
}

/// An optional `YYYY-MM-DD` form field: empty is `None`, anything else must parse.
pub fn optional_date(text: &str, field: &str) -> Result<Option<chrono::NaiveDate>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            let err = AppError::Invalid {
                field: Some(field.to_owned()),
                message: "Enter the date as YYYY-MM-DD".into(),
            };
            err.set_response_status();
            err
        })
}

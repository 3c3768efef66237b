//! Server functions of the settings and audit log pages.
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
pub use crate::model::audit::{AuditFilter, AuditList};

pub use crate::model::settings::TokenSettings;

#[server(prefix = "/sfn", endpoint = "get_token_settings")]
pub async fn get_token_settings() -> Result<TokenSettings, AppError> {
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::settings::read(&state.db, &overseer).await?)
}

#[server(prefix = "/sfn", endpoint = "save_token_settings", input = Json)]
pub async fn save_token_settings(settings: TokenSettings) -> Result<(), AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::settings::save(&state.db, &state.auth, &admin, &settings).await?)
}

/// How many tokens a policy revoking those unused for `days` would revoke now.
#[server(prefix = "/sfn", endpoint = "idle_revocation_preview")]
pub async fn idle_revocation_preview(days: u32) -> Result<u64, AppError> {
    use crate::server::service::tokens;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    let today = chrono::Utc::now().date_naive();
    Ok(tokens::count_revocable_idle(&state.db, &overseer, days, today).await?)
}

#[server(prefix = "/sfn", endpoint = "list_audit", input = Json)]
pub async fn list_audit(filter: AuditFilter) -> Result<AuditList, AppError> {
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    let (items, next_cursor) =
        crate::server::service::audit::page(&state.db, &overseer, filter).await?;
    Ok(AuditList { items, next_cursor })
}

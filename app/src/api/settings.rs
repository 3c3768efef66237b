//! Server functions of the settings and audit log pages.
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::model::audit::AuditRow;

pub use crate::model::settings::TokenSettings;

#[server(prefix = "/sfn", endpoint = "get_token_settings")]
pub async fn get_token_settings() -> Result<TokenSettings, AppError> {
    super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::settings::load(&state.db).await?)
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
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let today = chrono::Utc::now().date_naive();
    Ok(tokens::count_revocable_idle(&state.db, &admin, days, today).await?)
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// The id of the last event of the previous page.
    pub cursor: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditList {
    pub items: Vec<AuditRow>,
    pub next_cursor: Option<i64>,
}

#[server(prefix = "/sfn", endpoint = "list_audit", input = Json)]
pub async fn list_audit(filter: AuditFilter) -> Result<AuditList, AppError> {
    use crate::model::audit::AuditQuery;
    super::context::require_admin().await?;
    let state = super::context::state()?;
    let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    let query = AuditQuery {
        actor: filter.actor,
        action: filter.action,
        target: String::new(),
        from: filter.from.and_then(midnight),
        to: filter.to.and_then(|d| d.succ_opt()).and_then(midnight),
        cursor: filter.cursor,
    };
    let (items, next_cursor) = crate::server::service::audit::list(&state.db, &query, 50).await?;
    Ok(AuditList { items, next_cursor })
}

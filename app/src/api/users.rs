//! Users, for administrators.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub technical: bool,
    /// Why the user cannot act now, if they cannot (locked, past "active until").
    pub unusable: Option<String>,
}

#[server(prefix = "/sfn", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    use crate::server::service::accounts;

    super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(accounts::list_accounts(&state.db)
        .await?
        .into_iter()
        .map(|a| UserRow {
            unusable: accounts::unusable_reason(&a.user).map(str::to_owned),
            id: a.user.id,
            username: a.user.username,
            display_name: a.user.display_name,
            is_admin: a.is_admin,
            technical: a.user.technical,
        })
        .collect())
}

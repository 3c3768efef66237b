//! Server functions of Administration > Groups.
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::group::{Group, GroupChanges, GroupDetail, NewGroup};

#[server(prefix = "/sfn", endpoint = "list_groups")]
pub async fn list_groups() -> Result<Vec<Group>, AppError> {
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::groups::list(&state.db, &overseer).await?)
}

#[server(prefix = "/sfn", endpoint = "get_group")]
pub async fn get_group(id: i64) -> Result<GroupDetail, AppError> {
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::groups::detail(&state.db, &overseer, id).await?)
}

/// Answers the new group's id.
#[server(prefix = "/sfn", endpoint = "create_group", input = Json)]
pub async fn create_group(new: NewGroup) -> Result<i64, AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let group = crate::server::service::groups::create(&state.db, &state.auth, &admin, new).await?;
    Ok(group.id)
}

#[server(prefix = "/sfn", endpoint = "update_group", input = Json)]
pub async fn update_group(id: i64, changes: GroupChanges) -> Result<(), AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    crate::server::service::groups::update(&state.db, &state.auth, &admin, id, changes).await?;
    Ok(())
}

#[server(prefix = "/sfn", endpoint = "delete_group")]
pub async fn delete_group(id: i64) -> Result<(), AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::groups::delete(&state.db, &state.auth, &admin, id).await?)
}

#[server(prefix = "/sfn", endpoint = "add_group_member")]
pub async fn add_group_member(id: i64, username: String) -> Result<(), AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::accounts::add_to_group(
        &state.db,
        &state.auth,
        &admin,
        id,
        &username,
    )
    .await?)
}

#[server(prefix = "/sfn", endpoint = "remove_group_member")]
pub async fn remove_group_member(id: i64, user_id: i64) -> Result<(), AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(
        crate::server::service::groups::remove_member(&state.db, &state.auth, &admin, id, user_id)
            .await?,
    )
}

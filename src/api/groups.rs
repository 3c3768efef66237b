//! Groups, their members and rights (DESIGN 8.1): administrators change them, auditors read
//! them.
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::Page;
use super::endpoints::id as path_id;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, AsAdmin, AsOverseer, Id};
use app::model::group::{Group, GroupChanges, Member, NewGroup};
use app::server::service::groups;
use app::server::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct GroupAnswer {
    pub group: Group,
}

/// Every group, in name order (in one page).
#[utoipa::path(get, path = "/api/v1/admin/groups",
    operation_id = "listGroups", tag = "groups",
    responses((status = 200, body = Page<Group>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
) -> ApiResult<Json<Page<Group>>> {
    Ok(Json(Page {
        items: groups::list(&state.db, &overseer).await?,
        next_cursor: None,
    }))
}

/// Creates a group with its rights; nobody is a member yet.
#[utoipa::path(post, path = "/api/v1/admin/groups",
    operation_id = "createGroup", tag = "groups", request_body = NewGroup,
    responses((status = 201, body = GroupAnswer), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    ApiJson(body): ApiJson<NewGroup>,
) -> ApiResult<(StatusCode, Json<GroupAnswer>)> {
    let group = groups::create(&state.db, &state.auth, &admin, body).await?;
    Ok((StatusCode::CREATED, Json(GroupAnswer { group })))
}

/// One group, with its rights and how many members it has.
#[utoipa::path(get, path = "/api/v1/admin/groups/{id}",
    operation_id = "getGroup", tag = "groups",
    responses((status = 200, body = GroupAnswer)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Id(id): Id,
) -> ApiResult<Json<GroupAnswer>> {
    let group = groups::get(&state.db, &overseer, id).await?;
    Ok(Json(GroupAnswer { group }))
}

/// Renames, describes or sets the rights of a group (`rights` replaces them all). The
/// built-in groups keep their names and rights (409); nobody grants their own group a
/// right (403).
#[utoipa::path(patch, path = "/api/v1/admin/groups/{id}",
    operation_id = "updateGroup", tag = "groups", request_body = GroupChanges,
    responses((status = 200, body = GroupAnswer), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
    ApiJson(body): ApiJson<GroupChanges>,
) -> ApiResult<Json<GroupAnswer>> {
    let group = groups::update(&state.db, &state.auth, &admin, id, body).await?;
    Ok(Json(GroupAnswer { group }))
}

/// Deletes a group (not a built-in one: 409); its members lose its rights at once.
#[utoipa::path(delete, path = "/api/v1/admin/groups/{id}",
    operation_id = "deleteGroup", tag = "groups",
    responses((status = 204), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    groups::delete(&state.db, &state.auth, &admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A group's members, in username order (in one page).
#[utoipa::path(get, path = "/api/v1/admin/groups/{id}/members",
    operation_id = "listGroupMembers", tag = "groups",
    responses((status = 200, body = Page<Member>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn members(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Id(id): Id,
) -> ApiResult<Json<Page<Member>>> {
    Ok(Json(Page {
        items: groups::members(&state.db, &overseer, id).await?,
        next_cursor: None,
    }))
}

/// Adds a member (again changes nothing). Nobody adds themselves (403).
#[utoipa::path(put, path = "/api/v1/admin/groups/{id}/members/{user_id}",
    operation_id = "addGroupMember", tag = "groups",
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn add_member(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (id, user_id) = (path_id(&id)?, path_id(&user_id)?);
    groups::add_member(&state.db, &state.auth, &admin, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a member; 409 when that would leave no administrator who may act.
#[utoipa::path(delete, path = "/api/v1/admin/groups/{id}/members/{user_id}",
    operation_id = "removeGroupMember", tag = "groups",
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn remove_member(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path((id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let (id, user_id) = (path_id(&id)?, path_id(&user_id)?);
    groups::remove_member(&state.db, &state.auth, &admin, id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

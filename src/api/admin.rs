//! Users and tokens, for callers whose token carries `admin` (and whose owner still is one).
use axum::{extract::State, http::StatusCode, Json};

use super::dto::{
    AdminCreateTokenRequest, AuditParams, CreateUserRequest, KillSwitchRequest, ListParams, Page,
    RegenerateRequest, RevokeIssuedBeforeRequest, RevokedCount, UpdateUserRequest, UsageDays,
    UserObject,
};
use super::error::ApiResult;
use super::extract::{cursor_id, ApiJson, ApiQuery, AsAdmin, AsOverseer, Id, OptionalJson};
use super::me::user_object;
use super::tokens::{page, rotation, token_query};
use app::api::tokens::{IssuedToken, TokenView};
use app::model::audit::{AuditQuery, AuditRow};
use app::model::token::TokenEdit;
use app::server::authz::Reach;
use app::server::service::{
    accounts::{self, NewUser, UserChanges},
    audit,
    tokens::{self, NewToken, Owner, Sweep},
};
use app::server::state::AppState;

/// Every user, for administrators.
#[utoipa::path(get, path = "/api/v1/admin/users",
    operation_id = "listUsers", tag = "admin", params(ListParams),
    responses((status = 200, body = Page<UserObject>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_users(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<UserObject>>> {
    let after = cursor_id(params.cursor.as_deref())?;
    let (accounts, next) =
        accounts::list_accounts_page(&state.db, &overseer, after, params.limit).await?;
    Ok(Json(Page {
        items: accounts.iter().map(user_object).collect(),
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// Creates a user; the password must pass the strength check.
#[utoipa::path(post, path = "/api/v1/admin/users",
    operation_id = "createUser", tag = "admin", request_body = CreateUserRequest,
    responses((status = 201, body = UserObject), (status = 409, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_user(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    ApiJson(body): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserObject>)> {
    let user = accounts::create_user(
        &state.db,
        &state.auth,
        NewUser {
            username: body.username,
            password: body.password,
            display_name: body.display_name,
            email: body.email,
            admin: body.admin,
            technical: body.technical,
            active_until: None,
        },
        accounts::Creator::Admin(&admin),
    )
    .await?;
    let account = accounts::account_of(&state.db, user).await?;
    Ok((StatusCode::CREATED, Json(user_object(&account))))
}

/// Changes a user: names, administrator, technical, locked, active until.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}",
    operation_id = "updateUser", tag = "admin", request_body = UpdateUserRequest,
    responses((status = 200, body = UserObject), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_user(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> ApiResult<Json<UserObject>> {
    let changes = UserChanges {
        display_name: body.display_name,
        email: body.email,
        admin: body.admin,
        technical: body.technical,
        locked: body.locked,
        active_until: body.active_until,
    };
    let account = accounts::update_user(&state.db, &state.auth, &admin, id, changes).await?;
    Ok(Json(user_object(&account)))
}

/// Kill switch: revokes (or, with `mode: suspend`, suspends) every token the user owns, at
/// once on every instance.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/revoke-tokens",
    operation_id = "revokeTokensOfUser", tag = "admin", request_body = Option<KillSwitchRequest>,
    responses((status = 200, body = RevokedCount), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn revoke_user_tokens(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
    OptionalJson(body): OptionalJson<KillSwitchRequest>,
) -> ApiResult<Json<RevokedCount>> {
    let mode = body.unwrap_or_default().mode;
    let sweep = Sweep::OfUser(id);
    let count = tokens::revoke_all(&state.db, &state.auth, &admin, sweep, mode).await?;
    Ok(Json(RevokedCount::of(mode, count)))
}

/// Kill switch for the morning after an incident: revokes every access token whose current
/// secret was issued before `before` (a token regenerated since keeps working).
#[utoipa::path(post, path = "/api/v1/admin/tokens/revoke-issued-before",
    operation_id = "revokeTokensIssuedBefore", tag = "admin",
    request_body = RevokeIssuedBeforeRequest,
    responses((status = 200, body = RevokedCount), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn revoke_issued_before(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    ApiJson(body): ApiJson<RevokeIssuedBeforeRequest>,
) -> ApiResult<Json<RevokedCount>> {
    let sweep = Sweep::IssuedBefore(body.before);
    let count = tokens::revoke_all(&state.db, &state.auth, &admin, sweep, body.mode).await?;
    Ok(Json(RevokedCount::of(body.mode, count)))
}

/// Every user's tokens, filtered by user, state and text, in pages.
#[utoipa::path(get, path = "/api/v1/admin/tokens",
    operation_id = "listAdminTokens", tag = "admin", params(ListParams),
    responses((status = 200, body = Page<TokenView>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_tokens(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<TokenView>>> {
    let owner_id = tokens::owner_filter(&state.db, params.user.as_deref()).await?;
    let query = token_query(params, owner_id)?;
    Ok(Json(page(tokens::list(&state.db, &overseer, query).await?)))
}

/// Issues a token for a user; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/admin/tokens",
    operation_id = "createAdminToken", tag = "admin",
    request_body(content = AdminCreateTokenRequest, example = json!({
        "user": "admin", "name": "Deploy bot", "scopes": ["profile:read", "tokens:read"]})),
    responses((status = 201, body = IssuedToken), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    ApiJson(body): ApiJson<AdminCreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let secret = body
        .secret
        .map(|given| tokens::ImportedSecret::check(&admin, &given))
        .transpose()?;
    let new = NewToken {
        secret,
        ..body.token.into()
    };
    let issued =
        tokens::create(&state.db, &state.auth, Owner::User(&admin, &body.user), new).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// One token of any user.
#[utoipa::path(get, path = "/api/v1/admin/tokens/{id}",
    operation_id = "getAdminToken", tag = "admin",
    responses((status = 200, body = TokenView), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get_token(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Id(id): Id,
) -> ApiResult<Json<TokenView>> {
    Ok(Json(tokens::get(&state.db, &overseer, id).await?))
}

/// Calls per day of any user's token, over the last 30 days.
#[utoipa::path(get, path = "/api/v1/admin/tokens/{id}/usage",
    operation_id = "getAdminTokenUsage", tag = "admin",
    responses((status = 200, body = UsageDays), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn token_usage(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Id(id): Id,
) -> ApiResult<Json<UsageDays>> {
    let days = tokens::requests_per_day(&state.db, &overseer, id).await?;
    Ok(Json(UsageDays { days }))
}

/// Changes any user's token: name, description, IP allowlist and policy, rate limit.
#[utoipa::path(patch, path = "/api/v1/admin/tokens/{id}",
    operation_id = "updateAdminToken", tag = "admin", request_body = TokenEdit,
    responses((status = 200, body = TokenView), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
    ApiJson(edit): ApiJson<TokenEdit>,
) -> ApiResult<Json<TokenView>> {
    Ok(Json(
        tokens::update(&state.db, &state.auth, Reach::Any(&admin), id, edit).await?,
    ))
}

/// Deletes a token: the row is gone, the audit log keeps the fact.
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{id}",
    operation_id = "deleteAdminToken", tag = "admin",
    responses((status = 204), (status = 404, body = super::error::ErrorBody)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn delete_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    tokens::delete(&state.db, &state.auth, &admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes any user's token: refused at once, listed with its removal date.
#[utoipa::path(post, path = "/api/v1/admin/tokens/{id}/revoke",
    operation_id = "revokeAdminToken", tag = "admin",
    responses((status = 204), (status = 404, body = super::error::ErrorBody)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn revoke_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    tokens::revoke(&state.db, &state.auth, Reach::Any(&admin), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret for any user's token; the old one stops at once, or keeps working for
/// `grace_seconds`.
#[utoipa::path(post, path = "/api/v1/admin/tokens/{id}/regenerate",
    operation_id = "regenerateAdminToken", tag = "admin",
    request_body(content = Option<RegenerateRequest>),
    responses((status = 200, body = IssuedToken), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn regenerate_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
    OptionalJson(body): OptionalJson<RegenerateRequest>,
) -> ApiResult<Json<IssuedToken>> {
    let rotation = rotation(body);
    Ok(Json(
        tokens::regenerate(&state.db, &state.auth, Reach::Any(&admin), id, rotation).await?,
    ))
}

/// The audit log, newest first, for export to a SIEM. Refused requests appear as
/// `auth.refused` and `token.escalation_refused` with the token's number or hint.
#[utoipa::path(get, path = "/api/v1/admin/audit",
    operation_id = "listAuditEvents", tag = "admin", params(AuditParams),
    responses((status = 200, body = Page<AuditRow>), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn audit_log(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<Json<Page<AuditRow>>> {
    let cursor = cursor_id(params.cursor.as_deref())?;
    let query = AuditQuery {
        actor: params.actor.unwrap_or_default(),
        action: params.action.unwrap_or_default(),
        target: params.target.unwrap_or_default(),
        from: params.from,
        to: params.to,
        cursor,
    };
    let (items, next) =
        audit::list(&state.db, &overseer, &query, params.limit.unwrap_or(50)).await?;
    Ok(Json(Page {
        items,
        next_cursor: next.map(|id| id.to_string()),
    }))
}

//! The caller's own tokens, and introspection for gateways.
use axum::{
    extract::{FromRequest, Request, State},
    http::{header, StatusCode},
    Form, Json,
};

use super::dto::{
    CreateTokenRequest, IntrospectRequest, IntrospectResponse, ListParams, Page, RegenerateRequest,
    UsageDays,
};
use super::error::{ApiError, ApiResult};
use super::extract::{form_rejection, json_rejection, ApiJson, ApiQuery, Caller, Id, OptionalJson};
use app::api::tokens::{number, IssuedToken, TokenView};
use app::model::scope::Scope;
use app::model::token::{StatusFilter, TokenEdit};
use app::server::authz::Reach;
use app::server::service::{
    token_auth,
    tokens::{self, Owner, Rotation, TokenQuery},
};
use app::server::state::AppState;

/// Turns list parameters into a query; `owner_id` is fixed by the caller's rights.
pub fn token_query(params: ListParams, owner_id: Option<i64>) -> ApiResult<TokenQuery> {
    let status = match params.state.as_deref() {
        None | Some("") => None,
        Some(text) => Some(StatusFilter::parse(text).ok_or_else(|| {
            ApiError::validation(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("state"),
                format!(
                    "state must be one of {}",
                    StatusFilter::ALL.map(StatusFilter::as_str).join(", ")
                ),
            )
        })?),
    };
    Ok(TokenQuery {
        owner_id,
        owner_text: None,
        status,
        text: params.q,
        limit: params.limit,
        sort: tokens::sort(params.sort.as_deref().unwrap_or_default())?,
        cursor: params.cursor,
    })
}

pub fn page(result: tokens::TokenPage) -> Page<TokenView> {
    Page {
        items: result.items,
        next_cursor: result.next_cursor,
    }
}

/// Calls per day of one of the caller's tokens, over the last 30 days.
#[utoipa::path(get, path = "/api/v1/tokens/{id}/usage",
    operation_id = "getMyTokenUsage", tag = "tokens",
    responses((status = 200, body = UsageDays), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<UsageDays>> {
    let grant = caller.grant(Scope::TokensRead).await?;
    let days = tokens::requests_per_day(&state.db, Reach::Own(&grant), id).await?;
    Ok(Json(UsageDays { days }))
}

/// The caller's tokens, newest first.
#[utoipa::path(get, path = "/api/v1/tokens",
    operation_id = "listMyTokens", tag = "tokens", params(ListParams),
    responses((status = 200, body = Page<TokenView>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<TokenView>>> {
    let grant = caller.grant(Scope::TokensRead).await?;
    let query = token_query(params, None)?;
    Ok(Json(page(
        tokens::list(&state.db, Reach::Own(&grant), query).await?,
    )))
}

/// Creates a token for the caller; the secret is in this answer and nowhere else.
#[utoipa::path(post, path = "/api/v1/tokens",
    operation_id = "createMyToken", tag = "tokens", request_body = CreateTokenRequest,
    responses((status = 201, body = IssuedToken), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateTokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    let grant = caller.grant(Scope::TokensWrite).await?;
    let issued = tokens::create(&state.db, &state.auth, Owner::Myself(&grant), body.into()).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes one of the caller's tokens: it stays listed with its removal date.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}",
    operation_id = "revokeMyToken", tag = "tokens",
    responses((status = 204), (status = 404, body = super::error::ErrorBody)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let grant = caller.grant(Scope::TokensWrite).await?;
    tokens::revoke(&state.db, &state.auth, Reach::Own(&grant), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes one of the caller's tokens: name, description, IP allowlist and policy.
#[utoipa::path(patch, path = "/api/v1/tokens/{id}",
    operation_id = "updateMyToken", tag = "tokens", request_body = TokenEdit,
    responses((status = 200, body = TokenView), (status = 404, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiJson(edit): ApiJson<TokenEdit>,
) -> ApiResult<Json<TokenView>> {
    let grant = caller.grant(Scope::TokensWrite).await?;
    Ok(Json(
        tokens::update(&state.db, &state.auth, Reach::Own(&grant), id, edit).await?,
    ))
}

/// A new secret for one of the caller's tokens; the old one stops at once, or keeps
/// working for `grace_seconds` (an overlap for the clients to switch).
#[utoipa::path(post, path = "/api/v1/tokens/{id}/regenerate",
    operation_id = "regenerateMyToken", tag = "tokens",
    request_body(content = Option<RegenerateRequest>),
    responses((status = 200, body = IssuedToken), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn regenerate(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    OptionalJson(body): OptionalJson<RegenerateRequest>,
) -> ApiResult<Json<IssuedToken>> {
    let grant = caller.grant(Scope::TokensWrite).await?;
    Ok(Json(
        tokens::regenerate(
            &state.db,
            &state.auth,
            Reach::Own(&grant),
            id,
            rotation(body),
        )
        .await?,
    ))
}

/// The rotation a regenerate request asks for.
pub fn rotation(body: Option<RegenerateRequest>) -> Rotation<'static> {
    Rotation {
        grace_seconds: RegenerateRequest::grace_seconds(body),
        only_if_current: None,
    }
}

/// A token rotates itself (scope `tokens:rotate`, nothing wider needed): answers the new
/// secret; the one presented keeps working for `grace_seconds`. Only the current secret may
/// rotate: a second rotation with the same secret gets 409.
#[utoipa::path(post, path = "/api/v1/tokens/self/rotate",
    operation_id = "rotateCallingToken", tag = "tokens",
    request_body(content = Option<RegenerateRequest>),
    responses((status = 200, body = IssuedToken), (status = 409, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn rotate_self(
    State(state): State<AppState>,
    caller: Caller,
    OptionalJson(body): OptionalJson<RegenerateRequest>,
) -> ApiResult<Json<IssuedToken>> {
    let grant = caller.grant(Scope::TokensRotate).await?;
    let grace = RegenerateRequest::grace_seconds(body);
    let (id, rotation) = Rotation::of_itself(&grant, grace)?;
    Ok(Json(
        tokens::regenerate(&state.db, &state.auth, Reach::Own(&grant), id, rotation).await?,
    ))
}

/// RFC 7662 introspection: JSON `{"token"}` or the form `token=...`.
#[utoipa::path(post, path = "/api/v1/tokens/introspect",
    operation_id = "introspectToken", tag = "tokens",
    request_body(description = "The token to inspect, as JSON or as the RFC 7662 form",
        content((IntrospectRequest = "application/json"),
            (IntrospectRequest = "application/x-www-form-urlencoded"))),
    responses((status = 200, body = IntrospectResponse)), security(("bearer" = [])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn introspect(
    State(state): State<AppState>,
    caller: Caller,
    request: Request,
) -> ApiResult<Json<IntrospectResponse>> {
    caller.grant(Scope::TokensIntrospect).await?;
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = if is_form {
        Form::<IntrospectRequest>::from_request(request, &())
            .await
            .map_err(form_rejection)?
            .0
    } else {
        Json::<IntrospectRequest>::from_request(request, &())
            .await
            .map_err(json_rejection)?
            .0
    };
    let Some((token, owner)) = token_auth::inspect(state.verifier(), &body.token).await? else {
        return Ok(Json(IntrospectResponse::default()));
    };
    let exp = token
        .expires_at
        .and_then(|day| day.succ_opt())
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|end| end.and_utc().timestamp());
    Ok(Json(IntrospectResponse {
        active: true,
        sub: Some(owner.user.username.clone()),
        exp,
        scope: Some(tokens::effective_scopes(&token.scopes, &owner.rights).to_list()),
        token_type: Some("Bearer".into()),
        id: Some(token.id),
        number: Some(number(token.id)),
    }))
}

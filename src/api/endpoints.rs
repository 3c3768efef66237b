//! Endpoints, their primaries, endpoint tokens and assignments, for administrators: what the
//! pages can do, automation can do here, through the same services.
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::RegenerateRequest;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, AsAdmin, AsOverseer, OptionalJson};
use app::api::endpoints::{
    Assignment, AssignmentView, EndpointTokenView, EndpointView, IssuedEndpointToken, RequestView,
};
use app::model::token::IpPolicy;
use app::server::service::{
    endpoints::{
        self, AuthType, EndpointChanges, EndpointFields, EndpointTokenChanges, Method,
        NewEndpointToken,
    },
    traffic::{self, RequestFilter},
};
use app::server::state::AppState;

/// A path id that is not a number names nothing: 404, like an unknown id.
pub(super) fn id(text: &str) -> ApiResult<i64> {
    text.parse().map_err(|_| ApiError::not_found())
}

#[derive(Deserialize, ToSchema)]
pub struct CreateEndpointRequest {
    /// Not blank; surrounding spaces are trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    /// A slug: lower-case letters, digits and single hyphens, unique.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub path: String,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(value_type = AuthType)]
    pub auth_type: String,
    pub allow_deleting: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateEndpointRequest {
    /// Not blank; surrounding spaces are trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    /// A slug: lower-case letters, digits and single hyphens, unique.
    #[schema(min_length = 1, max_length = 64, pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$")]
    pub path: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    #[schema(value_type = Option<AuthType>)]
    pub auth_type: Option<String>,
    pub allow_deleting: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct Secret {
    /// 64 alphanumerics, shown this once.
    pub secret: String,
    /// Until when the value it replaced still works; null when that stopped at once.
    pub previous_valid_until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct Items<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn items<T: ToSchema>(items: Vec<T>) -> Json<Items<T>> {
    Json(Items {
        items,
        next_cursor: None,
    })
}

/// Every endpoint with its primary tokens' hints.
#[utoipa::path(get, path = "/api/v1/admin/endpoints",
    operation_id = "listEndpoints", tag = "endpoints",
    responses((status = 200, body = Items<EndpointView>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
) -> ApiResult<Json<Items<EndpointView>>> {
    Ok(items(endpoints::list(&state.db, &overseer).await?))
}

/// Creates an endpoint; with authentication type token it gets POST and GET primaries.
#[utoipa::path(post, path = "/api/v1/admin/endpoints",
    operation_id = "createEndpoint", tag = "endpoints",
    request_body = CreateEndpointRequest,
    responses((status = 201, body = EndpointView), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    ApiJson(body): ApiJson<CreateEndpointRequest>,
) -> ApiResult<(StatusCode, Json<EndpointView>)> {
    let endpoint = endpoints::create(
        &state.db,
        &state.auth,
        &admin,
        EndpointFields {
            name: body.name,
            path: body.path,
            description: body.description.unwrap_or_default(),
            auth_type: body.auth_type,
            allow_deleting: body.allow_deleting.unwrap_or(false),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(endpoint)))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/v1/admin/endpoints/{id}",
    operation_id = "getEndpoint", tag = "endpoints",
    responses((status = 200, body = EndpointView), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn get(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Path(endpoint): Path<String>,
) -> ApiResult<Json<EndpointView>> {
    Ok(Json(
        endpoints::get(&state.db, &overseer, id(&endpoint)?).await?,
    ))
}

/// Changes an endpoint; primaries follow its authentication type and deleting.
#[utoipa::path(patch, path = "/api/v1/admin/endpoints/{id}",
    operation_id = "updateEndpoint", tag = "endpoints",
    request_body = UpdateEndpointRequest,
    responses((status = 200, body = EndpointView), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path(endpoint): Path<String>,
    ApiJson(body): ApiJson<UpdateEndpointRequest>,
) -> ApiResult<Json<EndpointView>> {
    let endpoint = endpoints::update(
        &state.db,
        &state.auth,
        &admin,
        id(&endpoint)?,
        EndpointChanges {
            name: body.name,
            path: body.path,
            description: body.description,
            auth_type: body.auth_type,
            allow_deleting: body.allow_deleting,
        },
    )
    .await?;
    Ok(Json(endpoint))
}

/// A new value for a primary token; the old one stops at once, or keeps working for
/// `grace_seconds` (up to 7 days).
#[utoipa::path(post, path = "/api/v1/admin/endpoints/{id}/primaries/{method}/regenerate",
    operation_id = "regenerateEndpointPrimary",
    tag = "endpoints", request_body(content = Option<RegenerateRequest>),
    params(("method" = String, Path, description = "post, get or delete")),
    responses((status = 200, body = Secret), (status = 404, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn regenerate_primary(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path((endpoint, method)): Path<(String, String)>,
    OptionalJson(body): OptionalJson<RegenerateRequest>,
) -> ApiResult<Json<Secret>> {
    let method = Method::parse(&method).ok_or_else(ApiError::not_found)?;
    let grace = RegenerateRequest::grace_seconds(body);
    let (secret, previous_valid_until) = endpoints::regenerate_primary(
        &state.db,
        &state.auth,
        &admin,
        id(&endpoint)?,
        method,
        grace,
    )
    .await?;
    Ok(Json(Secret {
        secret,
        previous_valid_until,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenListParams {
    /// Include deactivated endpoint tokens.
    pub include_inactive: Option<bool>,
}

/// Endpoint tokens (one per client application); inactive ones on request.
#[utoipa::path(get, path = "/api/v1/admin/endpoint-tokens",
    operation_id = "listEndpointTokens", tag = "endpoints",
    params(TokenListParams),
    responses((status = 200, body = Items<EndpointTokenView>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_tokens(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    ApiQuery(params): ApiQuery<TokenListParams>,
) -> ApiResult<Json<Items<EndpointTokenView>>> {
    let tokens = endpoints::list_tokens(
        &state.db,
        &overseer,
        params.include_inactive.unwrap_or(false),
    )
    .await?;
    Ok(items(tokens))
}

#[derive(Deserialize, ToSchema)]
pub struct CreateEndpointTokenRequest {
    /// Not blank; surrounding spaces are trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: String,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

/// Creates an endpoint token; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/admin/endpoint-tokens",
    operation_id = "createEndpointToken", tag = "endpoints",
    request_body = CreateEndpointTokenRequest,
    responses((status = 201, body = IssuedEndpointToken), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    ApiJson(body): ApiJson<CreateEndpointTokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedEndpointToken>)> {
    let issued = endpoints::create_token(
        &state.db,
        &state.auth,
        &admin,
        NewEndpointToken {
            name: body.name,
            description: body.description.unwrap_or_default(),
            enabled: body.enabled.unwrap_or(true),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateEndpointTokenRequest {
    /// Not blank; surrounding spaces are trimmed.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub active: Option<bool>,
    /// IP addresses and CIDR ranges (IPv4 and IPv6), at most 20; empty for anywhere.
    #[schema(max_items = 20)]
    pub allowed_ips: Option<Vec<String>>,
    /// `enforce` (403 `ip_not_allowed` from elsewhere) or `report` (accepted and audited).
    pub ip_policy: Option<IpPolicy>,
}

/// Changes an endpoint token: name, description, enabled, active, IP allowlist and policy.
#[utoipa::path(patch, path = "/api/v1/admin/endpoint-tokens/{id}",
    operation_id = "updateEndpointToken", tag = "endpoints",
    request_body = UpdateEndpointTokenRequest,
    responses((status = 200, body = EndpointTokenView), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<UpdateEndpointTokenRequest>,
) -> ApiResult<Json<EndpointTokenView>> {
    let token = endpoints::update_token(
        &state.db,
        &state.auth,
        &admin,
        id(&token)?,
        EndpointTokenChanges {
            name: body.name,
            description: body.description,
            enabled: body.enabled,
            active: body.active,
            allowed_ips: body.allowed_ips,
            ip_policy: body.ip_policy,
            ..Default::default()
        },
    )
    .await?;
    Ok(Json(token))
}

/// A new secret for an endpoint token; the old one stops at once, or keeps working for
/// `grace_seconds` (up to 7 days).
#[utoipa::path(post, path = "/api/v1/admin/endpoint-tokens/{id}/regenerate",
    operation_id = "regenerateEndpointToken", tag = "endpoints",
    request_body(content = Option<RegenerateRequest>),
    responses((status = 200, body = IssuedEndpointToken), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn regenerate_token(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path(token): Path<String>,
    OptionalJson(body): OptionalJson<RegenerateRequest>,
) -> ApiResult<Json<IssuedEndpointToken>> {
    let grace = RegenerateRequest::grace_seconds(body);
    let issued =
        endpoints::regenerate_token(&state.db, &state.auth, &admin, id(&token)?, grace).await?;
    Ok(Json(issued))
}

/// The endpoint tokens assigned to an endpoint's primaries.
#[utoipa::path(get, path = "/api/v1/admin/endpoints/{id}/assignments",
    operation_id = "listEndpointAssignments", tag = "endpoints",
    responses((status = 200, body = Items<AssignmentView>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list_assignments(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Path(endpoint): Path<String>,
) -> ApiResult<Json<Items<AssignmentView>>> {
    let endpoint = endpoints::get(&state.db, &overseer, id(&endpoint)?).await?;
    Ok(items(
        endpoints::assignments(&state.db, &overseer, Some(endpoint.id), None).await?,
    ))
}

/// Assigns an endpoint token to some of the endpoint's primaries.
#[utoipa::path(put, path = "/api/v1/admin/endpoints/{id}/assignments/{token_id}",
    operation_id = "assignEndpointToken",
    tag = "endpoints", request_body = Assignment,
    responses((status = 200, body = AssignmentView), (status = 404, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn assign(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path((endpoint, token)): Path<(String, String)>,
    ApiJson(body): ApiJson<Assignment>,
) -> ApiResult<Json<AssignmentView>> {
    let view = endpoints::assign(
        &state.db,
        &state.auth,
        &admin,
        id(&endpoint)?,
        id(&token)?,
        body,
    )
    .await?;
    Ok(Json(view))
}

/// Removes an endpoint token's assignment: its calls are refused at once.
#[utoipa::path(delete, path = "/api/v1/admin/endpoints/{id}/assignments/{token_id}",
    operation_id = "unassignEndpointToken",
    tag = "endpoints",
    responses((status = 204), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn unassign(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path((endpoint, token)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    endpoints::unassign(&state.db, &state.auth, &admin, id(&endpoint)?, id(&token)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestParams {
    /// Sender names, comma-separated: `POST primary`, an endpoint token's name...
    pub tokens: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// The endpoint's request log, newest first (at most 5,000 calls).
#[utoipa::path(get, path = "/api/v1/admin/endpoints/{id}/requests",
    operation_id = "listEndpointRequests", tag = "endpoints",
    params(RequestParams),
    responses((status = 200, body = Items<RequestView>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn requests(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Path(endpoint): Path<String>,
    ApiQuery(params): ApiQuery<RequestParams>,
) -> ApiResult<Json<Items<RequestView>>> {
    let endpoint = endpoints::get(&state.db, &overseer, id(&endpoint)?).await?;
    let filter = RequestFilter {
        tokens: params
            .tokens
            .map(|t| {
                t.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        from: params.from,
        to: params.to,
    };
    Ok(items(
        traffic::requests(&state.db, &overseer, endpoint.id, &filter).await?,
    ))
}

//! Webhooks, for administrators: where lifecycle events are sent, and what became of each.
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};

use super::endpoints::id;
use super::error::ApiResult;
use super::extract::{ApiJson, Caller, Id};
use app::model::webhook::{CreatedWebhook, DeliveryView, WebhookDraft, WebhookView};
use app::server::service::webhooks;
use app::server::state::AppState;

/// Every webhook.
#[utoipa::path(get, path = "/api/v1/admin/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookView>)), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<WebhookView>>> {
    let admin = caller.admin().await?;
    Ok(Json(webhooks::list(&state.db, &admin).await?))
}

/// Adds a webhook; the answer carries its signing secret, shown this once. The URL must
/// reach a public address.
#[utoipa::path(post, path = "/api/v1/admin/webhooks", tag = "webhooks", request_body = WebhookDraft,
    responses((status = 201, body = CreatedWebhook), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<WebhookDraft>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let admin = caller.admin().await?;
    let created = webhooks::create(&state.db, &state.auth, &state.webhooks, &admin, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes any of `url`, `events`, `enabled`; turning a webhook on clears why it was off.
#[utoipa::path(patch, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", request_body = WebhookDraft,
    responses((status = 200, body = WebhookView), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
    ApiJson(body): ApiJson<WebhookDraft>,
) -> ApiResult<Json<WebhookView>> {
    let admin = caller.admin().await?;
    let view = webhooks::update(&state.db, &state.auth, &state.webhooks, &admin, id, body).await?;
    Ok(Json(view))
}

/// Deletes a webhook with its pending deliveries and its log.
#[utoipa::path(delete, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks",
    responses((status = 204), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    let admin = caller.admin().await?;
    webhooks::delete(&state.db, &state.auth, &admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook's latest deliveries, newest first, each with its attempts.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "webhooks",
    responses((status = 200, body = Vec<DeliveryView>), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Id(id): Id,
) -> ApiResult<Json<Vec<DeliveryView>>> {
    let admin = caller.admin().await?;
    Ok(Json(webhooks::deliveries(&state.db, &admin, id).await?))
}

/// Sends a delivery again, with the same `webhook-id`.
#[utoipa::path(post, path = "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    tag = "webhooks",
    responses((status = 202, body = DeliveryView), (status = 404, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn redeliver(
    State(state): State<AppState>,
    caller: Caller,
    Path((webhook, delivery)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    let admin = caller.admin().await?;
    let view = webhooks::redeliver(
        &state.db,
        &state.auth,
        &admin,
        id(&webhook)?,
        id(&delivery)?,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(view)))
}

//! Webhooks, for administrators: where lifecycle events are sent, and what became of each.
use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};

use super::dto::Page;
use super::endpoints::id;
use super::error::ApiResult;
use super::extract::{cursor_id, ApiJson, ApiQuery, AsAdmin, AsOverseer, Id};
use app::model::webhook::{CreatedWebhook, DeliveryView, WebhookDraft, WebhookEvent, WebhookView};
use app::server::service::webhooks;
use app::server::state::AppState;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Every webhook (at most 20, so in one page).
#[utoipa::path(get, path = "/api/v1/admin/webhooks",
    operation_id = "listWebhooks", tag = "webhooks",
    responses((status = 200, body = Page<WebhookView>)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn list(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
) -> ApiResult<Json<Page<WebhookView>>> {
    Ok(Json(Page {
        items: webhooks::list(&state.db, &overseer).await?,
        next_cursor: None,
    }))
}

/// A page of a webhook's delivery log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// At most 50; 50 when absent.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A new webhook. Left out, `url` and `events` are refused by the service, naming the field.
#[derive(Deserialize, ToSchema)]
pub struct NewWebhook {
    /// http or https, without credentials, reaching a public address (unless the instance
    /// allows private ones).
    #[serde(default)]
    #[schema(
        required = true,
        max_length = 2000,
        pattern = r"^https?://[^\s/?#@]+([/?#]\S*)?$",
        example = "https://hooks.example.com/tessera"
    )]
    pub url: String,
    #[serde(default)]
    #[schema(required = true, min_items = 1)]
    pub events: Vec<WebhookEvent>,
    pub enabled: Option<bool>,
}

impl From<NewWebhook> for WebhookDraft {
    fn from(new: NewWebhook) -> Self {
        WebhookDraft {
            url: Some(new.url),
            events: Some(new.events),
            enabled: new.enabled,
        }
    }
}

/// Adds a webhook; the answer carries its signing secret, shown this once. The URL must
/// reach a public address.
#[utoipa::path(post, path = "/api/v1/admin/webhooks",
    operation_id = "createWebhook", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook), (status = 422, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<CreatedWebhook>)> {
    let created =
        webhooks::create(&state.db, &state.auth, &state.webhooks, &admin, body.into()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Changes any of `url`, `events`, `enabled`; turning a webhook on clears why it was off.
#[utoipa::path(patch, path = "/api/v1/admin/webhooks/{id}",
    operation_id = "updateWebhook", tag = "webhooks", request_body = WebhookDraft,
    responses((status = 200, body = WebhookView), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn update(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
    ApiJson(body): ApiJson<WebhookDraft>,
) -> ApiResult<Json<WebhookView>> {
    let view = webhooks::update(&state.db, &state.auth, &state.webhooks, &admin, id, body).await?;
    Ok(Json(view))
}

/// Deletes a webhook with its pending deliveries and its log.
#[utoipa::path(delete, path = "/api/v1/admin/webhooks/{id}",
    operation_id = "deleteWebhook", tag = "webhooks",
    responses((status = 204), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn delete(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Id(id): Id,
) -> ApiResult<StatusCode> {
    webhooks::delete(&state.db, &state.auth, &admin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The webhook's deliveries, newest first, each with its attempts.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}/deliveries",
    operation_id = "listWebhookDeliveries", tag = "webhooks",
    params(LogParams),
    responses((status = 200, body = Page<DeliveryView>), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn deliveries(
    State(state): State<AppState>,
    AsOverseer(overseer): AsOverseer,
    Id(id): Id,
    ApiQuery(params): ApiQuery<LogParams>,
) -> ApiResult<Json<Page<DeliveryView>>> {
    let after = cursor_id(params.cursor.as_deref())?;
    let limit = params.limit.unwrap_or(webhooks::LOG_LIMIT);
    let (items, next) = webhooks::deliveries(&state.db, &overseer, id, after, limit).await?;
    Ok(Json(Page {
        items,
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// Sends a delivery again, with the same `webhook-id`.
#[utoipa::path(post, path = "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    operation_id = "redeliverWebhookDelivery",
    tag = "webhooks",
    responses((status = 202, body = DeliveryView), (status = 404, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn redeliver(
    State(state): State<AppState>,
    AsAdmin(admin): AsAdmin,
    Path((webhook, delivery)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
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

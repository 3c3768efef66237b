//! Server functions of Settings > Webhooks.
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
use crate::model::webhook::{CreatedWebhook, DeliveryView, WebhookDraft, WebhookView};

#[server(prefix = "/sfn", endpoint = "list_webhooks")]
pub async fn list_webhooks() -> Result<Vec<WebhookView>, AppError> {
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::webhooks::list(&state.db, &overseer).await?)
}

#[server(prefix = "/sfn", endpoint = "create_webhook", input = Json)]
pub async fn create_webhook(draft: WebhookDraft) -> Result<CreatedWebhook, AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::webhooks::create(
        &state.db,
        &state.auth,
        &state.webhooks,
        &admin,
        draft,
    )
    .await?)
}

#[server(prefix = "/sfn", endpoint = "update_webhook", input = Json)]
pub async fn update_webhook(id: i64, draft: WebhookDraft) -> Result<WebhookView, AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::webhooks::update(
        &state.db,
        &state.auth,
        &state.webhooks,
        &admin,
        id,
        draft,
    )
    .await?)
}

#[server(prefix = "/sfn", endpoint = "delete_webhook")]
pub async fn delete_webhook(id: i64) -> Result<(), AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::webhooks::delete(&state.db, &state.auth, &admin, id).await?)
}

#[server(prefix = "/sfn", endpoint = "webhook_deliveries")]
pub async fn webhook_deliveries(id: i64) -> Result<Vec<DeliveryView>, AppError> {
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    let (log, _) = crate::server::service::webhooks::deliveries(
        &state.db,
        &overseer,
        id,
        None,
        crate::server::service::webhooks::LOG_LIMIT,
    )
    .await?;
    Ok(log)
}

#[server(prefix = "/sfn", endpoint = "redeliver_webhook")]
pub async fn redeliver_webhook(id: i64, delivery: i64) -> Result<DeliveryView, AppError> {
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(
        crate::server::service::webhooks::redeliver(&state.db, &state.auth, &admin, id, delivery)
            .await?,
    )
}

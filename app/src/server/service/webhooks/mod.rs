//! Webhooks: where lifecycle events go. Administrators manage them; events reach them from
//! the outbox (`crate::server::webhook_outbox`), signed (`signature`), sent by any instance (`delivery`), only to
//! public addresses unless the operator allows more (`address`).
pub mod address;
pub mod delivery;
pub mod signature;

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::model::webhook::{
    AttemptView, CreatedWebhook, DeliveryState, DeliveryView, WebhookDraft, WebhookEvent,
    WebhookView,
};
use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{webhook, webhook_attempt, webhook_delivery};
use crate::server::error::{Result, ServiceError};
use delivery::Deliverer;

/// Webhooks per instance: enough for every receiver a team runs, few enough that one
/// event's deliveries stay cheap to write.
pub const MAX_WEBHOOKS: u64 = 20;
/// Deliveries in one page of a webhook's log.
pub const LOG_LIMIT: u64 = 50;
/// Delivered and failed deliveries are kept this long for the log, then forgotten.
pub const KEEP_DAYS: i64 = 30;

fn view(hook: webhook::Model) -> WebhookView {
    WebhookView {
        id: hook.id,
        events: serde_json::from_str(&hook.events).unwrap_or_default(),
        url: hook.url,
        enabled: hook.enabled,
        disabled_reason: hook.disabled_reason,
        created_at: hook.created_at,
    }
}

fn events(events: Option<Vec<WebhookEvent>>) -> Result<String> {
    let mut events = events.unwrap_or_default();
    events.sort();
    events.dedup();
    if events.is_empty() {
        return Err(ServiceError::validation(
            "events",
            "Choose at least one event to send",
        ));
    }
    serde_json::to_string(&events).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// How the audit log names a webhook: never by its URL, which is often a credential itself
/// (chat services put one in the path).
pub(crate) fn target(id: i64) -> String {
    format!("webhook {id}")
}

/// The scheme, host and port of a webhook's URL: what the audit log may show of it.
pub(crate) fn origin(url: &str) -> String {
    reqwest::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default()
}

/// Gives up what is pending for a webhook that was turned off; how many.
#[tracing::instrument(skip_all, fields(id = id))]
pub(crate) async fn abandon_pending(db: &impl ConnectionTrait, id: i64) -> Result<u64> {
    Ok(webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::State,
            Expr::value(DeliveryState::Failed.as_str()),
        )
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .filter(webhook_delivery::Column::State.eq(DeliveryState::Pending.as_str()))
        .exec(db)
        .await?
        .rows_affected)
}

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<webhook::Model> {
    webhook::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

#[tracing::instrument(skip_all)]
pub async fn list(db: &DatabaseConnection, overseer: &Overseer) -> Result<Vec<WebhookView>> {
    let auditor = overseer.grant().admin().is_none();
    Ok(webhook::Entity::find()
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .map(|hook| {
            if auditor {
                WebhookView {
                    url: origin_only(&hook.url),
                    ..hook
                }
            } else {
                hook
            }
        })
        .collect())
}

/// A receiver's address as auditors see it: its origin only. Such addresses often carry a
/// credential (Slack's and Teams' secret paths, `?token=`, `user:pass@`), and auditors see
/// no secret.
fn origin_only(address: &str) -> String {
    match url::Url::parse(address) {
        Ok(parsed) => format!("{}/…", parsed.origin().ascii_serialization()),
        Err(_) => "…".into(),
    }
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    cache: &AuthCache,
    deliverer: &Deliverer,
    admin: &Admin,
    draft: WebhookDraft,
) -> Result<CreatedWebhook> {
    let url = address::check(
        draft.url.as_deref().unwrap_or_default(),
        deliverer.allow_private(),
    )
    .await?;
    let events = events(draft.events)?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    if webhook::Entity::find().count(change.db()).await? >= MAX_WEBHOOKS {
        return Err(ServiceError::Conflict {
            field: "url",
            message: format!("An instance has at most {MAX_WEBHOOKS} webhooks: delete one first"),
        });
    }
    let secret = signature::new_secret();
    let hook = webhook::ActiveModel {
        id: NotSet,
        url: Set(url.to_string()),
        secret: Set(secret.clone()),
        events: Set(events),
        enabled: Set(draft.enabled.unwrap_or(true)),
        disabled_reason: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(change.db())
    .await?;
    change
        .audit(
            Event::by(admin.username(), Action::WebhookCreate, &target(hook.id)).details(
                serde_json::json!({ "origin": origin(&hook.url), "events": serde_json::from_str::<serde_json::Value>(&hook.events).ok(), "enabled": hook.enabled }),
            ),
        )
        .await?;
    change.commit().await?;
    Ok(CreatedWebhook {
        webhook: view(hook),
        secret,
    })
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    db: &DatabaseConnection,
    cache: &AuthCache,
    deliverer: &Deliverer,
    admin: &Admin,
    id: i64,
    draft: WebhookDraft,
) -> Result<WebhookView> {
    let url = match &draft.url {
        Some(url) => Some(address::check(url, deliverer.allow_private()).await?),
        None => None,
    };
    let events = draft.events.clone().map(|e| events(Some(e))).transpose()?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    let mut hook: webhook::ActiveModel = find(change.db(), id).await?.into();
    if let Some(url) = url {
        hook.url = Set(url.to_string());
    }
    if let Some(events) = events {
        hook.events = Set(events);
    }
    if let Some(enabled) = draft.enabled {
        hook.enabled = Set(enabled);
        if enabled {
            // Turned back on by hand: the banner about the failures goes.
            hook.disabled_reason = Set(None);
        } else {
            // Off is off: nothing queued goes out later (each can be redelivered).
            abandon_pending(change.db(), id).await?;
        }
    }
    let hook = hook.update(change.db()).await?;
    change
        .audit(
            Event::by(admin.username(), Action::WebhookUpdate, &target(hook.id)).details(
                serde_json::json!({ "origin": origin(&hook.url), "url_changed": draft.url.is_some(), "events": draft.events, "enabled": draft.enabled }),
            ),
        )
        .await?;
    change.commit().await?;
    Ok(view(hook))
}

/// Deletes the webhook with its deliveries and their log.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn delete(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
) -> Result<()> {
    let change = Change::acting(db, cache, admin.grant()).await?;
    let hook = find(change.db(), id).await?;
    let deliveries = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .into_tuple::<i64>()
        .all(change.db())
        .await?;
    delete_deliveries(change.db(), &deliveries).await?;
    webhook::Entity::delete_by_id(id).exec(change.db()).await?;
    change
        .audit(
            Event::by(admin.username(), Action::WebhookDelete, &target(id))
                .details(serde_json::json!({ "origin": origin(&hook.url) })),
        )
        .await?;
    change.commit().await
}

fn delivery_view(
    delivery: webhook_delivery::Model,
    attempts: Vec<webhook_attempt::Model>,
) -> DeliveryView {
    let state = DeliveryState::parse(&delivery.state).unwrap_or(DeliveryState::Pending);
    DeliveryView {
        id: delivery.id,
        message_id: delivery.message_id,
        event_type: delivery.event_type,
        state,
        created_at: delivery.created_at,
        next_attempt_at: (state == DeliveryState::Pending).then_some(delivery.next_attempt_at),
        attempts: attempts
            .into_iter()
            .map(|a| AttemptView {
                at: a.at,
                status: a.status.and_then(|s| u16::try_from(s).ok()),
                error: a.error,
                duration_ms: u64::try_from(a.duration_ms).unwrap_or_default(),
            })
            .collect(),
    }
}

/// The webhook's deliveries, newest first, each with its attempts: `limit` of them (at
/// most [`LOG_LIMIT`]) after the delivery `after`, and the last one's id when more follow.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn deliveries(
    db: &DatabaseConnection,
    _overseer: &Overseer,
    id: i64,
    after: Option<i64>,
    limit: u64,
) -> Result<(Vec<DeliveryView>, Option<i64>)> {
    find(db, id).await?;
    let limit = limit.clamp(1, LOG_LIMIT);
    let mut select = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .order_by_desc(webhook_delivery::Column::Id)
        .limit(limit + 1);
    if let Some(after) = after {
        select = select.filter(webhook_delivery::Column::Id.lt(after));
    }
    let mut deliveries = select.all(db).await?;
    let next = if deliveries.len() as u64 > limit {
        deliveries.truncate(limit as usize);
        deliveries.last().map(|d| d.id)
    } else {
        None
    };
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.is_in(deliveries.iter().map(|d| d.id)))
        .order_by_asc(webhook_attempt::Column::Id)
        .all(db)
        .await?;
    let views = deliveries
        .into_iter()
        .map(|d| {
            let own = attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .cloned()
                .collect();
            delivery_view(d, own)
        })
        .collect();
    Ok((views, next))
}

/// "Redeliver": the delivery is due again now, with the same `webhook-id` and another day
/// of retries. The worker sends it within a second.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn redeliver(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    delivery_id: i64,
) -> Result<DeliveryView> {
    let change = Change::acting(db, cache, admin.grant()).await?;
    let hook = find(change.db(), id).await?;
    if !hook.enabled {
        return Err(ServiceError::Conflict {
            field: "enabled",
            message: "Turn the webhook on before sending to it again".into(),
        });
    }
    let delivery = webhook_delivery::Entity::find_by_id(delivery_id)
        .filter(webhook_delivery::Column::WebhookId.eq(id))
        .one(change.db())
        .await?
        .ok_or(ServiceError::NotFound)?;
    let now = Utc::now();
    let mut active: webhook_delivery::ActiveModel = delivery.into();
    active.state = Set(DeliveryState::Pending.as_str().to_owned());
    active.next_attempt_at = Set(now);
    active.retry_until = Set(now + crate::server::retry::RETRY_FOR);
    active.locked_until = Set(None);
    // A fresh round of retries, from the first backoff.
    active.attempts = Set(0);
    let delivery = active.update(change.db()).await?;
    change
        .audit(
            Event::by(admin.username(), Action::WebhookRedeliver, &target(id)).details(
                serde_json::json!({ "delivery": delivery.id, "message_id": delivery.message_id }),
            ),
        )
        .await?;
    let attempts = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.eq(delivery.id))
        .order_by_asc(webhook_attempt::Column::Id)
        .all(change.db())
        .await?;
    change.commit().await?;
    Ok(delivery_view(delivery, attempts))
}

/// Forgets deliveries (and their attempts) that ended before `before`; the hourly job runs
/// it with [`KEEP_DAYS`].
#[tracing::instrument(skip_all)]
pub async fn forget_before(db: &DatabaseConnection, before: chrono::DateTime<Utc>) -> Result<u64> {
    let ended = webhook_delivery::Entity::find()
        .select_only()
        .column(webhook_delivery::Column::Id)
        .filter(webhook_delivery::Column::State.ne(DeliveryState::Pending.as_str()))
        .filter(webhook_delivery::Column::CreatedAt.lt(before))
        .into_tuple::<i64>()
        .all(db)
        .await?;
    delete_deliveries(db, &ended).await?;
    Ok(ended.len() as u64)
}

/// Deletes deliveries with their attempts: explicitly, as SQLite enforces foreign keys only
/// when asked to.
async fn delete_deliveries(db: &impl ConnectionTrait, ids: &[i64]) -> Result<()> {
    for chunk in ids.chunks(500) {
        webhook_attempt::Entity::delete_many()
            .filter(webhook_attempt::Column::DeliveryId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    Ok(())
}

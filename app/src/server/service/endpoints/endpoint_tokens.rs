//! Endpoint tokens: one per client application, with a value drawn on the server.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, NotSet,
    QueryFilter, QueryOrder, Set,
};
use tower_sessions::Session;

use super::super::tokens::{allowlist, overlap_until, running_overlap};
use super::super::{required_within, trimmed_within};
use super::{DESCRIPTION_MAX, NAME_MAX};
use crate::model::endpoint::{EndpointTokenForm, EndpointTokenView, IssuedEndpointToken};
use crate::model::token::IpPolicy;
use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::drafts::{self, draw, DraftedSecret};
use crate::server::entity::endpoint_token;
use crate::server::error::{Result, ServiceError};

fn token_view(token: endpoint_token::Model) -> EndpointTokenView {
    EndpointTokenView {
        previous_valid_until: running_overlap(
            token.previous_digest.as_deref(),
            token.previous_valid_until,
        ),
        allowed_ips: allowlist::ranges(&token.allowed_ips),
        ip_policy: IpPolicy::parse(&token.ip_policy).unwrap_or_default(),
        id: token.id,
        name: token.name,
        description: token.description,
        hint: token.hint,
        enabled: token.enabled,
        active: token.active,
        created_at: token.created_at,
        updated_at: token.updated_at,
    }
}

fn secret_taken(err: sea_orm::DbErr) -> ServiceError {
    ServiceError::from_db_unique(err, "secret", "Use Regenerate token for a new value")
}

pub struct NewEndpointToken {
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

#[tracing::instrument(skip_all)]
pub async fn create_token(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    new: NewEndpointToken,
) -> Result<IssuedEndpointToken> {
    let (secret, value) = draw();
    Ok(IssuedEndpointToken {
        endpoint_token: insert_token(db, cache, admin, new, value).await?,
        secret,
    })
}

/// "Token settings" Save for a new token, with the value drafted in the dialog.
#[tracing::instrument(skip_all)]
pub async fn create_token_from_draft(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    new: NewEndpointToken,
    draft: DraftedSecret,
) -> Result<EndpointTokenView> {
    insert_token(db, cache, admin, new, draft).await
}

async fn insert_token(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    new: NewEndpointToken,
    value: DraftedSecret,
) -> Result<EndpointTokenView> {
    let name = required_within(&new.name, "name", "Name", NAME_MAX)?;
    let description = trimmed_within(
        &new.description,
        "description",
        "Description",
        DESCRIPTION_MAX,
    )?;
    let now = Utc::now();
    let by = Some(admin.username().to_owned());
    let change = Change::acting(db, cache, admin.grant()).await?;
    let token = endpoint_token::ActiveModel {
        id: NotSet,
        name: Set(name),
        description: Set(description),
        secret_digest: Set(value.digest),
        hint: Set(value.hint),
        enabled: Set(new.enabled),
        active: Set(true),
        created_at: Set(now),
        created_by: Set(by.clone()),
        updated_at: Set(now),
        updated_by: Set(by),
        previous_digest: Set(None),
        previous_valid_until: Set(None),
        allowed_ips: Set(String::new()),
        ip_policy: Set(IpPolicy::Enforce.as_str().to_owned()),
    }
    .insert(change.db())
    .await
    .map_err(secret_taken)?;
    change
        .audit(
            Event::by(admin.username(), Action::EndpointTokenCreate, &token.name).details(
                serde_json::json!({ "id": token.id, "hint": token.hint, "enabled": token.enabled }),
            ),
        )
        .await?;
    change.commit().await?;
    Ok(token_view(token))
}

/// Endpoint tokens by name; inactive ones only when asked for.
#[tracing::instrument(skip_all)]
pub async fn list_tokens(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
    include_inactive: bool,
) -> Result<Vec<EndpointTokenView>> {
    let mut select = endpoint_token::Entity::find()
        .order_by_asc(endpoint_token::Column::Name)
        .order_by_asc(endpoint_token::Column::Id);
    if !include_inactive {
        select = select.filter(endpoint_token::Column::Active.eq(true));
    }
    Ok(select.all(db).await?.into_iter().map(token_view).collect())
}

pub(super) async fn find_token(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<endpoint_token::Model> {
    endpoint_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

#[derive(Clone, Debug, Default)]
pub struct EndpointTokenChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
    pub active: Option<bool>,
    /// A value drafted in the "Token settings" dialog, replacing the current one.
    pub secret: Option<DraftedSecret>,
    /// With a new `secret`: seconds the replaced one keeps working (0: it stops at once).
    pub grace_seconds: i64,
    /// IP addresses or CIDR ranges; empty for anywhere.
    pub allowed_ips: Option<Vec<String>>,
    pub ip_policy: Option<IpPolicy>,
}

/// Changes an endpoint token; answers the new secret when one was set.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update_token(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    changes: EndpointTokenChanges,
) -> Result<EndpointTokenView> {
    let overlap = overlap_until(changes.grace_seconds, Utc::now())?;
    let allowed_ips = changes
        .allowed_ips
        .as_deref()
        .map(allowlist::normalise)
        .transpose()?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    let current = find_token(change.db(), id).await?;
    let replaced = current.secret_digest.clone();
    let mut active: endpoint_token::ActiveModel = current.into();
    if let Some(allowed) = &allowed_ips {
        active.allowed_ips = Set(allowed.clone());
    }
    if let Some(policy) = changes.ip_policy {
        active.ip_policy = Set(policy.as_str().to_owned());
    }
    if let Some(name) = &changes.name {
        active.name = Set(required_within(name, "name", "Name", NAME_MAX)?);
    }
    if let Some(description) = &changes.description {
        active.description = Set(trimmed_within(
            description,
            "description",
            "Description",
            DESCRIPTION_MAX,
        )?);
    }
    if let Some(enabled) = changes.enabled {
        active.enabled = Set(enabled);
    }
    if let Some(is_active) = changes.active {
        active.active = Set(is_active);
    }
    let new_hint = changes.secret.map(|value| {
        active.secret_digest = Set(value.digest);
        active.hint = Set(value.hint.clone());
        // A new rotation ends any overlap still running: only the value just replaced may
        // keep working.
        active.previous_digest = Set(overlap.map(|_| replaced));
        active.previous_valid_until = Set(overlap);
        value.hint
    });
    active.updated_at = Set(Utc::now());
    active.updated_by = Set(Some(admin.username().to_owned()));
    let token = active.update(change.db()).await.map_err(secret_taken)?;
    change
        .audit(
            Event::by(admin.username(), Action::EndpointTokenUpdate, &token.name).details(
                serde_json::json!({
                    "id": token.id,
                    "name": changes.name,
                    "description": changes.description.is_some(),
                    "enabled": changes.enabled,
                    "active": changes.active,
                    "new_hint": new_hint,
                    "previous_valid_until": new_hint.is_some().then_some(overlap).flatten(),
                    "allowed_ips": allowed_ips.as_deref().map(allowlist::ranges),
                    "ip_policy": changes.ip_policy.map(IpPolicy::as_str),
                }),
            ),
        )
        .await?;
    change.commit().await?;
    Ok(token_view(token))
}

/// A new secret for an endpoint token (the API's regenerate); the old one stops at once or
/// keeps working for `grace_seconds`.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn regenerate_token(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    grace_seconds: i64,
) -> Result<IssuedEndpointToken> {
    let (secret, value) = draw();
    let token = update_token(
        db,
        cache,
        admin,
        id,
        EndpointTokenChanges {
            secret: Some(value),
            grace_seconds,
            ..Default::default()
        },
    )
    .await?;
    Ok(IssuedEndpointToken {
        endpoint_token: token,
        secret,
    })
}

/// Save in the "Token settings" dialog: a new token takes the value drafted for it (it
/// needs one); an existing one takes a drafted value if the form names one. Saved, the
/// draft lapses, so it cannot set another token's value.
#[tracing::instrument(skip_all)]
pub async fn save_token(
    db: &DatabaseConnection,
    cache: &AuthCache,
    session: &Session,
    admin: &Admin,
    form: EndpointTokenForm,
) -> Result<EndpointTokenView> {
    let draft = match form.draft.as_deref() {
        Some(id) => Some(drafts::find(session, admin, id).await?),
        None => None,
    };
    let saved = match (form.id, draft) {
        (None, Some(draft)) => {
            let new = NewEndpointToken {
                name: form.name,
                description: form.description,
                enabled: form.enabled,
            };
            create_token_from_draft(db, cache, admin, new, draft).await?
        }
        (None, None) => {
            return Err(ServiceError::validation(
                "secret",
                "Use Regenerate token to draw a value first",
            ))
        }
        (Some(id), draft) => {
            let changes = EndpointTokenChanges {
                name: Some(form.name),
                description: Some(form.description),
                enabled: Some(form.enabled),
                secret: draft,
                grace_seconds: form.grace_seconds,
                allowed_ips: form.allowed_ips,
                ip_policy: form.ip_policy,
                active: None,
            };
            update_token(db, cache, admin, id, changes).await?
        }
    };
    if let Some(id) = form.draft.as_deref() {
        drafts::discard(session, admin, id).await?;
    }
    Ok(saved)
}

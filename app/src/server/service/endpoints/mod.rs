//! Endpoints and their primary tokens; endpoint tokens (secondaries) and the assignments
//! that let a secondary stand in for a primary live beside. Every change goes through
//! `server::change`: audited with it, and the verification cache follows.
mod assignments;
mod endpoint_tokens;

pub use assignments::{assign, assignments, set_assignment, unassign};
use chrono::{DateTime, Utc};
pub use endpoint_tokens::{
    create_token, create_token_from_draft, list_tokens, regenerate_token, save_token, update_token,
    EndpointTokenChanges, NewEndpointToken,
};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, NotSet, QueryFilter, QueryOrder, Set,
};

use super::tokens::{overlap_until, running_overlap};
use super::{required_within, trimmed_within};
use crate::model::endpoint::{EndpointView, PrimaryView};
use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{endpoint, endpoint_assignment, endpoint_primary};
use crate::server::error::{Result, ServiceError};
use crate::server::secrets;

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 1000;
pub const PATH_MAX: usize = 64;

pub use crate::model::endpoint::{AuthType, Method};

/// The authentication type a form or request names, or a message saying which there are.
pub fn auth_type(text: &str) -> Result<AuthType> {
    AuthType::parse(text).ok_or_else(|| {
        ServiceError::validation("auth_type", "Authentication type must be none or token")
    })
}

/// A path is a slug: lower-case letters, digits and single hyphens, as it appears in URLs.
pub fn validate_path(path: &str) -> Result<String> {
    let path = path.trim();
    let invalid = |message: &str| Err(ServiceError::validation("path", message));
    if path.is_empty() {
        return invalid("Enter a path");
    }
    if path.len() > PATH_MAX {
        return invalid("Path must be at most 64 characters");
    }
    let slug = path
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !path.starts_with('-')
        && !path.ends_with('-')
        && !path.contains("--");
    if !slug {
        return invalid(
            "Path may contain only lower-case letters, digits and single hyphens inside, e.g. orders-in",
        );
    }
    Ok(path.to_owned())
}

/// What "+ Endpoint" and `POST /api/v1/admin/endpoints` send.
#[derive(Clone, Debug, Default)]
pub struct EndpointFields {
    pub name: String,
    pub path: String,
    pub description: String,
    pub auth_type: String,
    pub allow_deleting: bool,
}

/// Fields to change; absent ones stay.
#[derive(Clone, Debug, Default)]
pub struct EndpointChanges {
    pub name: Option<String>,
    pub path: Option<String>,
    pub description: Option<String>,
    pub auth_type: Option<String>,
    pub allow_deleting: Option<bool>,
}

fn endpoint_view(
    endpoint: endpoint::Model,
    primaries: Vec<endpoint_primary::Model>,
) -> EndpointView {
    let mut primaries: Vec<PrimaryView> = primaries
        .into_iter()
        .filter_map(|p| {
            Some(PrimaryView {
                method: Method::parse(&p.method)?,
                hint: p.hint,
                generated_at: p.generated_at,
                issued: p.issued,
                previous_valid_until: running_overlap(
                    p.previous_digest.as_deref(),
                    p.previous_valid_until,
                ),
            })
        })
        .collect();
    primaries.sort_by_key(|p| p.method as u8);
    EndpointView {
        id: endpoint.id,
        name: endpoint.name,
        path: endpoint.path,
        description: endpoint.description,
        auth_type: AuthType::parse(&endpoint.auth_type).unwrap_or_default(),
        allow_deleting: endpoint.allow_deleting,
        primaries,
        created_at: endpoint.created_at,
        updated_at: endpoint.updated_at,
    }
}

async fn primaries_of(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
) -> Result<Vec<endpoint_primary::Model>> {
    Ok(endpoint_primary::Entity::find()
        .filter(endpoint_primary::Column::EndpointId.eq(endpoint_id))
        .all(db)
        .await?)
}

pub(super) async fn find(db: &impl ConnectionTrait, id: i64) -> Result<endpoint::Model> {
    endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

/// Administrators only, as every read and change here: the proof is the permission.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(db: &impl ConnectionTrait, _overseer: &Overseer, id: i64) -> Result<EndpointView> {
    let endpoint = find(db, id).await?;
    let primaries = primaries_of(db, id).await?;
    Ok(endpoint_view(endpoint, primaries))
}

#[tracing::instrument(skip_all)]
pub async fn list(db: &impl ConnectionTrait, _overseer: &Overseer) -> Result<Vec<EndpointView>> {
    let endpoints = endpoint::Entity::find()
        .order_by_asc(endpoint::Column::Name)
        .order_by_asc(endpoint::Column::Id)
        .all(db)
        .await?;
    let primaries = endpoint_primary::Entity::find().all(db).await?;
    Ok(endpoints
        .into_iter()
        .map(|e| {
            let own = primaries
                .iter()
                .filter(|p| p.endpoint_id == e.id)
                .cloned()
                .collect();
            endpoint_view(e, own)
        })
        .collect())
}

/// Stores a new secret for the primary `method` of `endpoint_id` (creating it if needed)
/// and answers it. The old value stops with this write, or keeps working until `overlap`.
/// `issued`: the caller shows it.
/// A primary's value replaced by one never shown (`issued` false) and no overlap: what it
/// was stops at once, and the endpoint's page offers "Generate" for a new one.
#[tracing::instrument(skip_all, fields(endpoint_id = endpoint_id))]
pub(crate) async fn withdraw_primary(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    method: Method,
) -> Result<()> {
    put_primary(db, endpoint_id, method, false, None)
        .await
        .map(drop)
}

async fn put_primary(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    method: Method,
    issued: bool,
    overlap: Option<DateTime<Utc>>,
) -> Result<String> {
    let secret = secrets::new_endpoint_secret();
    let current = endpoint_primary::Entity::find_by_id((endpoint_id, method.as_str().to_owned()))
        .one(db)
        .await?;
    let previous_digest = overlap
        .and(current.as_ref())
        .map(|row| row.secret_digest.clone());
    let row = endpoint_primary::ActiveModel {
        endpoint_id: Set(endpoint_id),
        method: Set(method.as_str().to_owned()),
        secret_digest: Set(secrets::digest(&secret)),
        hint: Set(secrets::hint(&secret)),
        generated_at: Set(Utc::now()),
        issued: Set(issued),
        previous_valid_until: Set(previous_digest.as_ref().and(overlap)),
        previous_digest: Set(previous_digest),
    };
    if current.is_some() {
        row.update(db).await?;
    } else {
        row.insert(db).await?;
    }
    Ok(secret)
}

/// Brings primaries and assignments in line with the endpoint's settings: POST and GET while
/// the type is Token, DELETE only while deleting is allowed; assignments follow.
async fn reconcile_primaries(db: &impl ConnectionTrait, endpoint: &endpoint::Model) -> Result<()> {
    let token = endpoint.auth_type == AuthType::Token.as_str();
    let existing = primaries_of(db, endpoint.id).await?;
    for method in Method::ALL {
        let wanted = token && (method != Method::Delete || endpoint.allow_deleting);
        let present = existing.iter().any(|p| p.method == method.as_str());
        if wanted && !present {
            put_primary(db, endpoint.id, method, false, None).await?;
        } else if !wanted && present {
            endpoint_primary::Entity::delete_by_id((endpoint.id, method.as_str().to_owned()))
                .exec(db)
                .await?;
        }
    }
    if !token {
        endpoint_assignment::Entity::delete_many()
            .filter(endpoint_assignment::Column::EndpointId.eq(endpoint.id))
            .exec(db)
            .await?;
    } else if !endpoint.allow_deleting {
        endpoint_assignment::Entity::update_many()
            .col_expr(endpoint_assignment::Column::Delete, Expr::value(false))
            .filter(endpoint_assignment::Column::EndpointId.eq(endpoint.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

fn path_taken(err: sea_orm::DbErr) -> ServiceError {
    ServiceError::from_db_unique(err, "path", "Another endpoint already has this path")
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    fields: EndpointFields,
) -> Result<EndpointView> {
    let name = required_within(&fields.name, "name", "Name", NAME_MAX)?;
    let path = validate_path(&fields.path)?;
    let description = trimmed_within(
        &fields.description,
        "description",
        "Description",
        DESCRIPTION_MAX,
    )?;
    let auth_type = auth_type(&fields.auth_type)?;
    let now = Utc::now();
    let by = Some(admin.username().to_owned());
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let endpoint = endpoint::ActiveModel {
        id: NotSet,
        name: Set(name),
        path: Set(path),
        description: Set(description),
        auth_type: Set(auth_type.as_str().to_owned()),
        allow_deleting: Set(fields.allow_deleting),
        created_at: Set(now),
        created_by: Set(by.clone()),
        updated_at: Set(now),
        updated_by: Set(by),
    }
    .insert(txn)
    .await
    .map_err(path_taken)?;
    reconcile_primaries(txn, &endpoint).await?;
    change
        .audit(
            Event::by(admin.username(), Action::EndpointCreate, &endpoint.path).details(
                serde_json::json!({
                    "name": endpoint.name,
                    "auth_type": endpoint.auth_type,
                    "allow_deleting": endpoint.allow_deleting,
                }),
            ),
        )
        .await?;
    change.commit().await?;
    get(db, &admin.into(), endpoint.id).await
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    changes: EndpointChanges,
) -> Result<EndpointView> {
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let current = find(txn, id).await?;
    let mut active: endpoint::ActiveModel = current.clone().into();
    if let Some(name) = &changes.name {
        active.name = Set(required_within(name, "name", "Name", NAME_MAX)?);
    }
    if let Some(path) = &changes.path {
        active.path = Set(validate_path(path)?);
    }
    if let Some(description) = &changes.description {
        active.description = Set(trimmed_within(
            description,
            "description",
            "Description",
            DESCRIPTION_MAX,
        )?);
    }
    if let Some(text) = &changes.auth_type {
        active.auth_type = Set(auth_type(text)?.as_str().to_owned());
    }
    if let Some(allow) = changes.allow_deleting {
        active.allow_deleting = Set(allow);
    }
    active.updated_at = Set(Utc::now());
    active.updated_by = Set(Some(admin.username().to_owned()));
    let endpoint = active.update(txn).await.map_err(path_taken)?;
    if endpoint.path != current.path {
        super::groups::follow_endpoint(txn, &current.path, &endpoint.path).await?;
    }
    reconcile_primaries(txn, &endpoint).await?;
    change
        .audit(
            Event::by(admin.username(), Action::EndpointUpdate, &endpoint.path).details(
                serde_json::json!({
                    "name": changes.name,
                    "path": changes.path.map(|_| &endpoint.path),
                    "description": changes.description.is_some(),
                    "auth_type": changes.auth_type.map(|_| &endpoint.auth_type),
                    "allow_deleting": changes.allow_deleting,
                }),
            ),
        )
        .await?;
    change.commit().await?;
    get(db, &admin.into(), id).await
}

/// "Generate <METHOD> token": a new value for an existing primary; the old one stops at once
/// or, with `grace_seconds`, keeps working until the instant answered.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn regenerate_primary(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    method: Method,
    grace_seconds: i64,
) -> Result<(String, Option<DateTime<Utc>>)> {
    let overlap = overlap_until(grace_seconds, Utc::now())?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    let endpoint = find(change.db(), id).await?;
    let exists = endpoint_primary::Entity::find_by_id((id, method.as_str().to_owned()))
        .one(change.db())
        .await?
        .is_some();
    if !exists {
        return Err(ServiceError::Conflict {
            field: "method",
            message: if endpoint.auth_type != AuthType::Token.as_str() {
                "This endpoint takes no tokens: set its authentication type to Token first".into()
            } else {
                "This endpoint has no DELETE token: allow deleting first".into()
            },
        });
    }
    let secret = put_primary(change.db(), id, method, true, overlap).await?;
    change
        .audit(
            Event::by(
                admin.username(),
                Action::EndpointPrimaryRegenerate,
                &endpoint.path,
            )
            .details(serde_json::json!({
                "method": method.as_str(),
                "hint": secrets::hint(&secret),
                "grace_seconds": grace_seconds,
                "previous_valid_until": overlap,
            })),
        )
        .await?;
    change.commit().await?;
    Ok((secret, overlap))
}

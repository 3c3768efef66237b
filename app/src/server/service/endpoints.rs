//! Endpoints, their primary tokens, endpoint tokens (secondaries) and the assignments that
//! let a secondary stand in for a primary. Every change is audited and clears the
//! verification cache, so the next call sees it.
use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, NotSet, QueryFilter, QueryOrder, Set,
};

use super::audit::{Action, Event};
use super::{required_within, trimmed_within};
use crate::model::endpoint::{
    Assignment, AssignmentView, EndpointTokenView, EndpointView, IssuedEndpointToken, PrimaryView,
};
use crate::server::authz::Admin;
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{endpoint, endpoint_assignment, endpoint_primary, endpoint_token};
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

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<endpoint::Model> {
    endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<EndpointView> {
    let endpoint = find(db, id).await?;
    let primaries = primaries_of(db, id).await?;
    Ok(endpoint_view(endpoint, primaries))
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<EndpointView>> {
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
/// and answers it; the old value stops working with this write.
async fn put_primary(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    method: Method,
) -> Result<String> {
    let secret = secrets::new_endpoint_secret();
    let row = endpoint_primary::ActiveModel {
        endpoint_id: Set(endpoint_id),
        method: Set(method.as_str().to_owned()),
        secret_digest: Set(secrets::digest(&secret)),
        hint: Set(secrets::hint(&secret)),
        generated_at: Set(Utc::now()),
    };
    let exists = endpoint_primary::Entity::find_by_id((endpoint_id, method.as_str().to_owned()))
        .one(db)
        .await?
        .is_some();
    if exists {
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
            put_primary(db, endpoint.id, method).await?;
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
    let change = Change::begin(db, cache).await?;
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
    get(db, endpoint.id).await
}

pub async fn update(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    changes: EndpointChanges,
) -> Result<EndpointView> {
    let change = Change::begin(db, cache).await?;
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
    get(db, id).await
}

/// "Generate <METHOD> token": a new value for an existing primary; the old one stops at once.
pub async fn regenerate_primary(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    method: Method,
) -> Result<String> {
    let endpoint = find(db, id).await?;
    let exists = endpoint_primary::Entity::find_by_id((id, method.as_str().to_owned()))
        .one(db)
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
    let change = Change::begin(db, cache).await?;
    let secret = put_primary(change.db(), id, method).await?;
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
            })),
        )
        .await?;
    change.commit().await?;
    Ok(secret)
}

fn token_view(token: endpoint_token::Model) -> EndpointTokenView {
    EndpointTokenView {
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

/// A value drafted on the server (see `server::drafts`): only its digest and hint, never
/// a secret the browser chose.
#[derive(Clone, Debug)]
pub struct DraftedSecret {
    pub digest: String,
    pub hint: String,
}

/// A new value: the secret to answer once, and what is stored of it.
fn draw() -> (String, DraftedSecret) {
    let secret = secrets::new_endpoint_secret();
    let stored = DraftedSecret {
        digest: secrets::digest(&secret),
        hint: secrets::hint(&secret),
    };
    (secret, stored)
}

fn secret_taken(err: sea_orm::DbErr) -> ServiceError {
    ServiceError::from_db_unique(err, "secret", "Use Regenerate token for a new value")
}

pub struct NewEndpointToken {
    pub name: String,
    pub description: String,
    pub enabled: bool,
}

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
    let change = Change::begin(db, cache).await?;
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
pub async fn list_tokens(
    db: &impl ConnectionTrait,
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

async fn find_token(db: &impl ConnectionTrait, id: i64) -> Result<endpoint_token::Model> {
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
}

/// Changes an endpoint token; answers the new secret when one was set.
pub async fn update_token(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    changes: EndpointTokenChanges,
) -> Result<EndpointTokenView> {
    let change = Change::begin(db, cache).await?;
    let current = find_token(change.db(), id).await?;
    let mut active: endpoint_token::ActiveModel = current.into();
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
                }),
            ),
        )
        .await?;
    change.commit().await?;
    Ok(token_view(token))
}

/// A new secret for an endpoint token (the API's regenerate); the old one stops at once.
pub async fn regenerate_token(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
) -> Result<IssuedEndpointToken> {
    let (secret, value) = draw();
    let token = update_token(
        db,
        cache,
        admin,
        id,
        EndpointTokenChanges {
            secret: Some(value),
            ..Default::default()
        },
    )
    .await?;
    Ok(IssuedEndpointToken {
        endpoint_token: token,
        secret,
    })
}

/// Assigns `token_id` to the primaries of `endpoint_id` that `assignment` names; DELETE only
/// where deleting is allowed, and only on endpoints that take tokens.
pub async fn assign(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    endpoint_id: i64,
    token_id: i64,
    assignment: Assignment,
) -> Result<AssignmentView> {
    let endpoint = find(db, endpoint_id).await?;
    let token = find_token(db, token_id).await?;
    if endpoint.auth_type != AuthType::Token.as_str() {
        return Err(ServiceError::Conflict {
            field: "endpoint",
            message: "This endpoint takes no tokens: set its authentication type to Token first"
                .into(),
        });
    }
    if assignment.delete && !endpoint.allow_deleting {
        return Err(ServiceError::validation(
            "delete",
            "This endpoint does not allow deleting",
        ));
    }
    let row = endpoint_assignment::ActiveModel {
        endpoint_id: Set(endpoint_id),
        endpoint_token_id: Set(token_id),
        post: Set(assignment.post),
        get: Set(assignment.get),
        delete: Set(assignment.delete),
        enabled: Set(assignment.enabled),
    };
    let change = Change::begin(db, cache).await?;
    let exists = endpoint_assignment::Entity::find_by_id((endpoint_id, token_id))
        .one(change.db())
        .await?
        .is_some();
    if exists {
        row.update(change.db()).await?;
    } else {
        row.insert(change.db()).await?;
    }
    change
        .audit(
            Event::by(admin.username(), Action::EndpointAssign, &endpoint.path).details(
                serde_json::json!({
                    "endpoint_token": token.name,
                    "post": assignment.post,
                    "get": assignment.get,
                    "delete": assignment.delete,
                    "enabled": assignment.enabled,
                }),
            ),
        )
        .await?;
    change.commit().await?;
    Ok(AssignmentView {
        endpoint_id,
        endpoint_path: endpoint.path,
        endpoint_token_id: token_id,
        endpoint_token_name: token.name,
        assignment,
    })
}

pub async fn unassign(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    endpoint_id: i64,
    token_id: i64,
) -> Result<()> {
    if remove_assignment(db, cache, admin, endpoint_id, token_id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// Saves what the page's checkboxes show: an assignment with no method left is removed
/// (removing one that is not there is no error).
pub async fn set_assignment(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    endpoint_id: i64,
    token_id: i64,
    assignment: Assignment,
) -> Result<()> {
    if assignment.post || assignment.get || assignment.delete {
        assign(db, cache, admin, endpoint_id, token_id, assignment).await?;
    } else {
        remove_assignment(db, cache, admin, endpoint_id, token_id).await?;
    }
    Ok(())
}

/// Removes an assignment; false when there was none. An unknown endpoint or token is
/// NotFound.
async fn remove_assignment(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    endpoint_id: i64,
    token_id: i64,
) -> Result<bool> {
    let endpoint = find(db, endpoint_id).await?;
    let token = find_token(db, token_id).await?;
    let change = Change::begin(db, cache).await?;
    let deleted = endpoint_assignment::Entity::delete_by_id((endpoint_id, token_id))
        .exec(change.db())
        .await?;
    if deleted.rows_affected == 0 {
        return Ok(false);
    }
    change
        .audit(
            Event::by(admin.username(), Action::EndpointUnassign, &endpoint.path)
                .details(serde_json::json!({ "endpoint_token": token.name })),
        )
        .await?;
    change.commit().await?;
    Ok(true)
}

/// The assignments of one endpoint, or of one endpoint token, or all.
pub async fn assignments(
    db: &impl ConnectionTrait,
    endpoint_id: Option<i64>,
    token_id: Option<i64>,
) -> Result<Vec<AssignmentView>> {
    let mut select = endpoint_assignment::Entity::find();
    if let Some(id) = endpoint_id {
        select = select.filter(endpoint_assignment::Column::EndpointId.eq(id));
    }
    if let Some(id) = token_id {
        select = select.filter(endpoint_assignment::Column::EndpointTokenId.eq(id));
    }
    let rows = select.all(db).await?;
    let endpoints = endpoint::Entity::find().all(db).await?;
    let tokens = endpoint_token::Entity::find().all(db).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let endpoint = endpoints.iter().find(|e| e.id == row.endpoint_id)?;
            let token = tokens.iter().find(|t| t.id == row.endpoint_token_id)?;
            Some(AssignmentView {
                endpoint_id: row.endpoint_id,
                endpoint_path: endpoint.path.clone(),
                endpoint_token_id: row.endpoint_token_id,
                endpoint_token_name: token.name.clone(),
                assignment: Assignment {
                    post: row.post,
                    get: row.get,
                    delete: row.delete,
                    enabled: row.enabled,
                },
            })
        })
        .collect())
}

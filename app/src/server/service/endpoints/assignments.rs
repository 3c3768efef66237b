//! Assignments: which endpoint token may stand in for which primaries of an endpoint.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use super::endpoint_tokens::find_token;
use super::{find, AuthType};
use crate::model::endpoint::{Assignment, AssignmentView};
use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{endpoint, endpoint_assignment, endpoint_token};
use crate::server::error::{Result, ServiceError};

/// Assigns `token_id` to the primaries of `endpoint_id` that `assignment` names; DELETE only
/// where deleting is allowed, and only on endpoints that take tokens.
#[tracing::instrument(skip_all, fields(endpoint_id = endpoint_id, token_id = token_id))]
pub async fn assign(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    endpoint_id: i64,
    token_id: i64,
    assignment: Assignment,
) -> Result<AssignmentView> {
    // Read within the change, so that a concurrent update of the endpoint cannot slip
    // between these checks and the write.
    let change = Change::acting(db, cache, admin.grant()).await?;
    let endpoint = find(change.db(), endpoint_id).await?;
    let token = find_token(change.db(), token_id).await?;
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

#[tracing::instrument(skip_all, fields(endpoint_id = endpoint_id, token_id = token_id))]
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
#[tracing::instrument(skip_all, fields(endpoint_id = endpoint_id, token_id = token_id))]
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
    let change = Change::acting(db, cache, admin.grant()).await?;
    let endpoint = find(change.db(), endpoint_id).await?;
    let token = find_token(change.db(), token_id).await?;
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
#[tracing::instrument(skip_all)]
pub async fn assignments(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
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

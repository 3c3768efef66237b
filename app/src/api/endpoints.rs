//! Server functions of the endpoint pages.
pub use crate::model::endpoint::{
    Assignment, AssignmentView, AuthType, Chart, EndpointDraft, EndpointForm, EndpointTokenForm,
    EndpointTokenView, EndpointView, IssuedEndpointToken, Method, PrimaryView, RecordView,
    RequestView, Series, Traffic, TrafficFilter, TrafficRange,
};

use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;

#[server(prefix = "/sfn", endpoint = "list_endpoints")]
pub async fn list_endpoints() -> Result<Vec<EndpointView>, AppError> {
    use crate::server::service::endpoints;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(endpoints::list(&state.db, &overseer).await?)
}

#[server(prefix = "/sfn", endpoint = "get_endpoint")]
pub async fn get_endpoint(id: i64) -> Result<EndpointView, AppError> {
    use crate::server::service::endpoints;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(endpoints::get(&state.db, &overseer, id).await?)
}

#[server(prefix = "/sfn", endpoint = "create_endpoint", input = Json)]
pub async fn create_endpoint(form: EndpointForm) -> Result<EndpointView, AppError> {
    use crate::server::service::endpoints;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let fields = endpoints::EndpointFields {
        name: form.name,
        path: form.path,
        description: form.description,
        auth_type: form.auth_type,
        allow_deleting: form.allow_deleting,
    };
    Ok(endpoints::create(&state.db, &state.auth, &admin, fields).await?)
}

#[server(prefix = "/sfn", endpoint = "update_endpoint", input = Json)]
pub async fn update_endpoint(id: i64, form: EndpointForm) -> Result<EndpointView, AppError> {
    use crate::server::service::endpoints;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let changes = endpoints::EndpointChanges {
        name: Some(form.name),
        path: Some(form.path),
        description: Some(form.description),
        auth_type: Some(form.auth_type),
        allow_deleting: Some(form.allow_deleting),
    };
    Ok(endpoints::update(&state.db, &state.auth, &admin, id, changes).await?)
}

/// "Generate <METHOD> token": the fresh value, shown once; the old one keeps working for
/// `grace_seconds`.
#[server(prefix = "/sfn", endpoint = "generate_primary")]
pub async fn generate_primary(
    id: i64,
    method: Method,
    grace_seconds: i64,
) -> Result<String, AppError> {
    use crate::server::service::endpoints;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let (secret, _) =
        endpoints::regenerate_primary(&state.db, &state.auth, &admin, id, method, grace_seconds)
            .await?;
    Ok(secret)
}

#[server(prefix = "/sfn", endpoint = "list_endpoint_tokens")]
pub async fn list_endpoint_tokens(
    include_inactive: bool,
) -> Result<Vec<EndpointTokenView>, AppError> {
    use crate::server::service::endpoints;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(endpoints::list_tokens(&state.db, &overseer, include_inactive).await?)
}

/// A value for the "Token settings" dialog, kept in the session as a digest until Save.
#[server(prefix = "/sfn", endpoint = "draft_endpoint_secret")]
pub async fn draft_endpoint_secret() -> Result<EndpointDraft, AppError> {
    let admin = super::context::require_admin().await?;
    let session = super::context::session().await?;
    let (id, secret) = crate::server::drafts::draft(&session, &admin).await?;
    Ok(EndpointDraft { id, secret })
}

/// The dialog closed without saving: its draft lapses now.
#[server(prefix = "/sfn", endpoint = "discard_endpoint_draft")]
pub async fn discard_endpoint_draft(id: String) -> Result<(), AppError> {
    let admin = super::context::require_admin().await?;
    let session = super::context::session().await?;
    Ok(crate::server::drafts::discard(&session, &admin, &id).await?)
}

#[server(prefix = "/sfn", endpoint = "save_endpoint_token", input = Json)]
pub async fn save_endpoint_token(form: EndpointTokenForm) -> Result<EndpointTokenView, AppError> {
    use crate::server::service::endpoints;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let session = super::context::session().await?;
    Ok(endpoints::save_token(&state.db, &state.auth, &session, &admin, form).await?)
}

/// The row switches: "Enabled <name>" and Activate / Deactivate.
#[server(prefix = "/sfn", endpoint = "set_endpoint_token_state")]
pub async fn set_endpoint_token_state(
    id: i64,
    enabled: Option<bool>,
    active: Option<bool>,
) -> Result<EndpointTokenView, AppError> {
    use crate::server::service::endpoints;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let changes = endpoints::EndpointTokenChanges {
        enabled,
        active,
        ..Default::default()
    };
    Ok(endpoints::update_token(&state.db, &state.auth, &admin, id, changes).await?)
}

#[server(prefix = "/sfn", endpoint = "endpoint_assignments")]
pub async fn endpoint_assignments(
    endpoint_id: Option<i64>,
    token_id: Option<i64>,
) -> Result<Vec<AssignmentView>, AppError> {
    use crate::server::service::endpoints;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(endpoints::assignments(&state.db, &overseer, endpoint_id, token_id).await?)
}

/// Saves an assignment; one with nothing assigned is removed.
#[server(prefix = "/sfn", endpoint = "assign_endpoint_token", input = Json)]
pub async fn assign_endpoint_token(
    endpoint_id: i64,
    token_id: i64,
    assignment: Assignment,
) -> Result<(), AppError> {
    use crate::server::service::endpoints;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(endpoints::set_assignment(
        &state.db,
        &state.auth,
        &admin,
        endpoint_id,
        token_id,
        assignment,
    )
    .await?)
}

#[server(prefix = "/sfn", endpoint = "endpoint_traffic", input = Json)]
pub async fn endpoint_traffic(id: i64, filter: TrafficFilter) -> Result<Traffic, AppError> {
    use crate::server::service::traffic;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(traffic::traffic(&state.db, &overseer, id, filter).await?)
}

#[server(prefix = "/sfn", endpoint = "endpoint_record")]
pub async fn endpoint_record(endpoint_id: i64, id: i64) -> Result<RecordView, AppError> {
    use crate::server::service::traffic;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(traffic::get_record(&state.db, &overseer, endpoint_id, id).await?)
}

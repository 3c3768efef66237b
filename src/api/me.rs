use axum::Json;

use super::dto::{MeResponse, TokenInUse, UserObject};
use super::error::{ApiError, ApiResult};
use super::extract::Caller;
use app::api::tokens::number;
use app::model::scope::Scope;
use app::server::service::accounts::Account;

pub fn user_object(account: &Account) -> UserObject {
    let user = &account.user;
    UserObject {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        admin: account.is_admin(),
        technical: user.technical,
        locked: user.locked,
        active_until: user.active_until,
        created_at: user.created_at,
    }
}

/// The owner and the token in use.
#[utoipa::path(get, path = "/api/v1/me",
    operation_id = "getMe", tag = "me",
    responses((status = 200, body = MeResponse), (status = 401, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn me(caller: Caller) -> ApiResult<Json<MeResponse>> {
    let grant = caller.grant(Scope::ProfileRead).await?;
    // Every caller here presented a token; a grant without one has nothing to show.
    let token = grant.presented_token().ok_or_else(ApiError::forbidden)?;
    Ok(Json(MeResponse {
        user: user_object(grant.account()),
        token: TokenInUse {
            id: token.id,
            number: number(token.id),
            name: token.name.clone(),
            scopes: grant
                .scopes()
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            expires_at: token.expires_at,
        },
        groups: grant.account().groups.clone(),
        rights: grant.account().rights.iter().cloned().collect(),
    }))
}

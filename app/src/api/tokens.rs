//! Server functions of the token pages.
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::authz::Reach;

pub use crate::model::token::{
    number, parse_number, CreateTokenForm, ExpiryChoice, GenerateTokenForm, IpPolicy, IssuedToken,
    TokenDetail, TokenEdit, TokenFilter, TokenList, TokenPrefill, TokenView,
};

#[server(prefix = "/sfn", endpoint = "token_form_defaults")]
pub async fn token_form_defaults() -> Result<TokenPrefill, AppError> {
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    Ok(crate::server::service::tokens::form_defaults(&state.db, &grant).await?)
}

#[server(prefix = "/sfn", endpoint = "list_tokens", input = Json)]
pub async fn list_tokens(filter: TokenFilter) -> Result<TokenList, AppError> {
    use crate::server::service::tokens;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let query = tokens::TokenQuery {
        owner_text: filter.user,
        status: filter.state,
        text: filter.q,
        limit: Some(25),
        sort: tokens::sort(filter.sort.as_deref().unwrap_or_default())?,
        cursor: filter.cursor,
        ..Default::default()
    };
    let reach = Reach::Any(&admin);
    let (page, total) = tokio::try_join!(
        tokens::list(&state.db, reach, query.clone()),
        tokens::count_up_to(
            &state.db,
            reach,
            query,
            crate::model::token::TOTAL_COUNTED_MAX
        )
    )?;
    Ok(TokenList {
        items: page.items,
        next_cursor: page.next_cursor,
        total,
    })
}

#[server(prefix = "/sfn", endpoint = "create_token", input = Json)]
pub async fn create_token(form: CreateTokenForm) -> Result<IssuedToken, AppError> {
    use crate::server::service::tokens;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    Ok(tokens::create_from_form(&state.db, &state.auth, &admin, form).await?)
}

#[server(prefix = "/sfn", endpoint = "revoke_token")]
/// Answers the token's number, for the message that names it.
pub async fn revoke_token(id: i64) -> Result<String, AppError> {
    use crate::server::service::tokens;
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let admin = grant.admin();
    let reach = Reach::widest(&grant, admin.as_ref());
    tokens::revoke(&state.db, &state.auth, reach, id).await?;
    Ok(number(id))
}

#[server(prefix = "/sfn", endpoint = "delete_token")]
/// Answers the token's number, for the message that names it.
pub async fn delete_token(id: i64) -> Result<String, AppError> {
    use crate::server::service::tokens;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    tokens::delete(&state.db, &state.auth, &admin, id).await?;
    Ok(number(id))
}

/// Kill switch: revokes every token of the user; answers how many.
#[server(prefix = "/sfn", endpoint = "revoke_user_tokens")]
pub async fn revoke_user_tokens(user_id: i64) -> Result<u64, AppError> {
    use crate::server::service::tokens;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let sweep = tokens::Sweep::OfUser(user_id);
    Ok(tokens::revoke_all(
        &state.db,
        &state.auth,
        &admin,
        sweep,
        crate::model::token::KillMode::Revoke,
    )
    .await?)
}

/// Kill switch: revokes every token whose secret was issued before `before` (now when
/// absent); answers how many.
#[server(prefix = "/sfn", endpoint = "revoke_issued_before")]
pub async fn revoke_issued_before(
    before: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<u64, AppError> {
    use crate::server::service::tokens;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let sweep = tokens::Sweep::IssuedBefore(before.unwrap_or_else(chrono::Utc::now));
    Ok(tokens::revoke_all(
        &state.db,
        &state.auth,
        &admin,
        sweep,
        crate::model::token::KillMode::Revoke,
    )
    .await?)
}

/// The tokens of `user_id` (administrators), or of the caller when `None`.
#[server(prefix = "/sfn", endpoint = "account_tokens")]
pub async fn account_tokens(user_id: Option<i64>) -> Result<Vec<TokenView>, AppError> {
    use crate::server::service::tokens;
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let admin = grant.admin();
    let reach = Reach::widest(&grant, admin.as_ref());
    Ok(tokens::all_of(&state.db, reach, user_id).await?)
}

/// "Generate Access Token": a token for `user_id` (administrators) or the caller, as the
/// form chose; an empty name is filled in with the creation time.
#[server(prefix = "/sfn", endpoint = "generate_access_token", input = Json)]
pub async fn generate_access_token(
    user_id: Option<i64>,
    form: GenerateTokenForm,
) -> Result<IssuedToken, AppError> {
    use crate::server::service::tokens;
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let admin = grant.admin();
    let reach = Reach::widest(&grant, admin.as_ref());
    Ok(tokens::generate(&state.db, &state.auth, reach, user_id, form).await?)
}

/// One token's page: any token for administrators, one's own otherwise.
#[server(prefix = "/sfn", endpoint = "token_detail")]
pub async fn load_token_detail(id: i64) -> Result<TokenDetail, AppError> {
    use crate::server::service::tokens;
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let admin = grant.admin();
    Ok(tokens::detail(&state.db, Reach::widest(&grant, admin.as_ref()), id).await?)
}

/// A new secret for the token; the old one stops at once, or after `grace_seconds`.
#[server(prefix = "/sfn", endpoint = "regenerate_token")]
pub async fn regenerate_token(
    id: i64,
    grace_seconds: Option<i64>,
) -> Result<IssuedToken, AppError> {
    use crate::server::service::tokens;
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let admin = grant.admin();
    let reach = Reach::widest(&grant, admin.as_ref());
    let rotation = tokens::Rotation {
        grace_seconds: grace_seconds.unwrap_or(0),
        only_if_current: None,
    };
    Ok(tokens::regenerate(&state.db, &state.auth, reach, id, rotation).await?)
}

/// Changes a token's description, allowlist or IP policy; answers the token as it is now.
#[server(prefix = "/sfn", endpoint = "update_token", input = Json)]
pub async fn update_token(id: i64, edit: TokenEdit) -> Result<TokenView, AppError> {
    use crate::server::service::tokens;
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let admin = grant.admin();
    let reach = Reach::widest(&grant, admin.as_ref());
    Ok(tokens::update(&state.db, &state.auth, reach, id, edit).await?)
}

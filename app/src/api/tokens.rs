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
    use crate::server::service::settings;
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let policy = settings::load(&state.db).await?;
    let today = chrono::Utc::now().date_naive();
    let days = |n: u32| today + chrono::Duration::days(i64::from(n));
    Ok(TokenPrefill {
        expires_at: Some(days(policy.default_lifetime_days)),
        max_expires_at: (policy.max_lifetime_days > 0).then(|| days(policy.max_lifetime_days)),
        default_days: policy.default_lifetime_days,
        max_days: (policy.max_lifetime_days > 0).then_some(policy.max_lifetime_days),
        identifier_mandatory: policy.identifier_mandatory,
        pass_code_mandatory: policy.pass_code_mandatory,
        technical_users_only: policy.admin_issued_only_for_technical_users,
        scopes: grant
            .holds()
            .iter()
            .map(|scope| scope.as_str().to_owned())
            .collect(),
    })
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
    let secret = match form.secret.as_str() {
        "" => None,
        given => Some(tokens::ImportedSecret::check(&admin, given)?),
    };
    let new = tokens::NewToken {
        secret,
        name: form.name,
        description: Some(form.description),
        scopes: form.scopes,
        expires: super::context::optional_date(&form.expires_at, "expires_at")?
            .map_or(tokens::Expiry::Never, tokens::Expiry::On),
        identifier: Some(form.identifier),
        pass_code: Some(form.pass_code),
    };
    let user = form.user.trim();
    if user.is_empty() {
        return Err(super::context::invalid("user", "Choose a user"));
    }
    Ok(tokens::create(
        &state.db,
        &state.auth,
        tokens::Owner::User(&admin, user),
        new,
    )
    .await?)
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
    Ok(tokens::revoke_all(&state.db, &state.auth, &admin, sweep).await?)
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
    Ok(tokens::revoke_all(&state.db, &state.auth, &admin, sweep).await?)
}

/// The tokens of `user_id` (administrators), or of the caller when `None`.
#[server(prefix = "/sfn", endpoint = "account_tokens")]
pub async fn account_tokens(user_id: Option<i64>) -> Result<Vec<TokenView>, AppError> {
    use crate::server::service::tokens;
    let grant = super::context::require_grant().await?;
    let admin = grant.admin();
    let reach = Reach::widest(&grant, admin.as_ref());
    let owner_id = reach.owner_of(user_id)?;
    let state = super::context::state()?;
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let page = tokens::list(
            &state.db,
            reach,
            tokens::TokenQuery {
                owner_id: Some(owner_id),
                limit: Some(tokens::LIST_LIMIT_MAX),
                cursor,
                ..Default::default()
            },
        )
        .await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(items)
}

/// "Generate Access Token": a token for `user_id` (administrators) or the caller, as the
/// form chose; an empty name is filled in with the creation time.
#[server(prefix = "/sfn", endpoint = "generate_access_token", input = Json)]
pub async fn generate_access_token(
    user_id: Option<i64>,
    form: GenerateTokenForm,
) -> Result<IssuedToken, AppError> {
    use crate::server::service::{accounts, tokens};
    let grant = super::context::require_grant().await?;
    let state = super::context::state()?;
    let admin = grant.admin();
    let owner_id = Reach::widest(&grant, admin.as_ref()).owner_of(user_id)?;
    let owner = accounts::find_by_id(&state.db, owner_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let whose = match &admin {
        Some(admin) if owner.id != grant.account().user.id => {
            tokens::Owner::User(admin, &owner.username)
        }
        _ => tokens::Owner::Myself(&grant),
    };
    let expires = match form.expiry {
        ExpiryChoice::Never => tokens::Expiry::Never,
        ExpiryChoice::Days(days) => chrono::Utc::now()
            .date_naive()
            .checked_add_days(chrono::Days::new(days.into()))
            .map(tokens::Expiry::On)
            .ok_or_else(|| super::context::invalid("expires_at", "That is too far ahead"))?,
        ExpiryChoice::On(day) => super::context::optional_date(&day, "expires_at")?
            .map(tokens::Expiry::On)
            .ok_or_else(|| super::context::invalid("expires_at", "Choose a date"))?,
    };
    let generated = tokens::generated_token();
    let new = tokens::NewToken {
        name: match form.name.trim() {
            "" => generated.name,
            _ => form.name,
        },
        scopes: form.scopes,
        expires,
        identifier: Some(form.identifier),
        pass_code: Some(form.pass_code),
        ..generated
    };
    Ok(tokens::create(&state.db, &state.auth, whose, new).await?)
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

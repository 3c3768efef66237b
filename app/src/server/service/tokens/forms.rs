//! The console's token forms, in the token rules' terms: what "Create token" and "Generate
//! Access Token" send, the defaults they open with, and a user's whole list of tokens.
use chrono::{Days, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::super::{accounts, optional_date, settings};
use super::changes::{create, Owner};
use super::import::ImportedSecret;
use super::listing::{list, TokenQuery, LIST_LIMIT_MAX};
use super::rules::{generated_token, Expiry, NewToken};
use crate::model::token::{
    CreateTokenForm, ExpiryChoice, GenerateTokenForm, IssuedToken, TokenPrefill, TokenView,
};
use crate::server::authz::{Admin, Grant, Reach};
use crate::server::cache::AuthCache;
use crate::server::error::{Result, ServiceError};

/// What the creation forms open with: the policy's lifetimes and demands, and the scopes
/// the caller may give.
#[tracing::instrument(skip_all)]
pub async fn form_defaults(db: &impl ConnectionTrait, grant: &Grant) -> Result<TokenPrefill> {
    let policy = settings::load(db).await?;
    let today = Utc::now().date_naive();
    let days = |n: u32| today.checked_add_days(Days::new(n.into()));
    let max_days = (policy.max_lifetime_days > 0).then_some(policy.max_lifetime_days);
    Ok(TokenPrefill {
        expires_at: days(policy.default_lifetime_days),
        max_expires_at: max_days.and_then(days),
        default_days: policy.default_lifetime_days,
        max_days,
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

/// "Create token" (administrators): for the named user, with a generated or imported secret.
#[tracing::instrument(skip_all)]
pub async fn create_from_form(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    form: CreateTokenForm,
) -> Result<IssuedToken> {
    let secret = match form.secret.as_str() {
        "" => None,
        given => Some(ImportedSecret::check(admin, given)?),
    };
    let new = NewToken {
        secret,
        name: form.name,
        description: Some(form.description),
        scopes: form.scopes,
        expires: optional_date(&form.expires_at, "expires_at")?.map_or(Expiry::Never, Expiry::On),
        identifier: Some(form.identifier),
        pass_code: Some(form.pass_code),
    };
    let user = form.user.trim();
    if user.is_empty() {
        return Err(ServiceError::validation("user", "Choose a user"));
    }
    create(db, cache, Owner::User(admin, user), new).await
}

/// "Generate Access Token": for `user_id` within reach (administrators issue for others),
/// or the caller; an empty name is filled in with the creation time.
#[tracing::instrument(skip_all)]
pub async fn generate(
    db: &DatabaseConnection,
    cache: &AuthCache,
    reach: Reach<'_>,
    user_id: Option<i64>,
    form: GenerateTokenForm,
) -> Result<IssuedToken> {
    let owner_id = reach.owner_of(user_id)?;
    let grant = reach.grant();
    let username;
    let whose = match reach {
        Reach::Any(admin) if owner_id != grant.account().user.id => {
            let owner = accounts::find_by_id(db, owner_id).await?;
            username = owner.ok_or(ServiceError::NotFound)?.username;
            Owner::User(admin, &username)
        }
        _ => Owner::Myself(grant),
    };
    let expires = match form.expiry {
        ExpiryChoice::Never => Expiry::Never,
        ExpiryChoice::Days(days) => Utc::now()
            .date_naive()
            .checked_add_days(Days::new(days.into()))
            .map(Expiry::On)
            .ok_or_else(|| ServiceError::validation("expires_at", "That is too far ahead"))?,
        ExpiryChoice::On(day) => optional_date(&day, "expires_at")?
            .map(Expiry::On)
            .ok_or_else(|| ServiceError::validation("expires_at", "Choose a date"))?,
    };
    let generated = generated_token();
    let new = NewToken {
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
    create(db, cache, whose, new).await
}

/// Every token of `user_id` within reach (the caller's own when `None`), for the user's
/// page, read a page at a time.
#[tracing::instrument(skip_all)]
pub async fn all_of(
    db: &DatabaseConnection,
    reach: Reach<'_>,
    user_id: Option<i64>,
) -> Result<Vec<TokenView>> {
    let owner_id = reach.owner_of(user_id)?;
    let mut items = Vec::new();
    let mut cursor = None;
    loop {
        let query = TokenQuery {
            owner_id: Some(owner_id),
            limit: Some(LIST_LIMIT_MAX),
            cursor,
            ..Default::default()
        };
        let page = list(db, reach, query).await?;
        items.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(items),
        }
    }
}

//! Access tokens: create, list, revoke, delete, regenerate; scopes and the life cycle state.
//! The REST API, the CLI and the pages all come through here.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    sea_query::{Expr, ExprTrait, Func},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    NotSet, Order, QueryFilter, QueryOrder, QuerySelect, Set, UpdateMany,
};

use super::accounts::{self, Account};
use super::settings::TokenSettings;
use super::{audit, passwords, settings, trimmed_within};
use crate::api::tokens::{number, parse_number, IssuedToken, TokenView};
use crate::server::cache::AuthCache;
use crate::server::entity::{access_token, user};
use crate::server::error::{Result, ServiceError};
use crate::server::secrets;

pub const SCOPE_PROFILE_READ: &str = "profile:read";
pub const SCOPE_TOKENS_READ: &str = "tokens:read";
pub const SCOPE_TOKENS_WRITE: &str = "tokens:write";
pub const SCOPE_TOKENS_INTROSPECT: &str = "tokens:introspect";
pub const SCOPE_ADMIN: &str = "admin";
pub const SCOPES: [&str; 5] = [
    SCOPE_PROFILE_READ,
    SCOPE_TOKENS_READ,
    SCOPE_TOKENS_WRITE,
    SCOPE_TOKENS_INTROSPECT,
    SCOPE_ADMIN,
];

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 1000;
pub const IDENTIFIER_MAX: usize = 200;
pub const LIST_LIMIT_MAX: u64 = 200;

/// What the owner may do now; a token never grants more.
pub fn owner_permissions(is_admin: bool) -> impl Iterator<Item = &'static str> {
    SCOPES
        .into_iter()
        .filter(move |s| is_admin || *s != SCOPE_ADMIN)
}

/// The token's scopes ∩ the owner's permissions now.
pub fn effective_scopes(token_scopes: &str, owner_is_admin: bool) -> Vec<&'static str> {
    owner_permissions(owner_is_admin)
        .filter(|s| token_scopes.split(' ').any(|t| t == *s))
        .collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Revoked,
    Expired,
    OwnerLocked,
    OwnerInactive,
    TokensDisabled,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::OwnerLocked => "owner_locked",
            Self::OwnerInactive => "owner_inactive",
            Self::TokensDisabled => "tokens_disabled",
        }
    }
}

/// The life cycle state, derived each time and never stored: `None` means Effective.
pub fn life_cycle(
    token: &access_token::Model,
    owner: &user::Model,
    settings: &TokenSettings,
    today: NaiveDate,
) -> Option<Reason> {
    if token.revoked_at.is_some() {
        Some(Reason::Revoked)
    } else if token.expires_at.is_some_and(|last_day| last_day < today) {
        Some(Reason::Expired)
    } else if owner.locked {
        Some(Reason::OwnerLocked)
    } else if owner.active_until.is_some_and(|until| until < today) {
        Some(Reason::OwnerInactive)
    } else if !settings.api_tokens_enabled {
        Some(Reason::TokensDisabled)
    } else {
        None
    }
}

pub fn view(
    token: &access_token::Model,
    owner: &user::Model,
    settings: &TokenSettings,
    today: NaiveDate,
) -> TokenView {
    let reason = life_cycle(token, owner, settings, today);
    TokenView {
        id: token.id,
        number: number(token.id),
        name: token.name.clone(),
        description: token.description.clone(),
        owner: owner.username.clone(),
        scopes: token
            .scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        hint: token.hint.clone(),
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
        last_used_ips: token
            .last_used_ips
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default(),
        revoked_at: token.revoked_at,
        state: if reason.is_none() {
            "effective"
        } else {
            "not_effective"
        }
        .to_owned(),
        reason: reason.map(|r| r.as_str().to_owned()),
    }
}

/// When the new token should expire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expiry {
    /// The policy's default lifetime.
    #[default]
    Default,
    /// Never; allowed only when the policy has no maximum.
    Never,
    /// The last day it works.
    On(NaiveDate),
}

#[derive(Clone, Debug, Default)]
pub struct NewToken {
    pub name: String,
    pub description: Option<String>,
    pub scopes: Vec<String>,
    pub expires: Expiry,
    pub identifier: Option<String>,
    pub pass_code: Option<String>,
}

/// Whose token it is: the caller's own, or (administrators only) a named user's.
#[derive(Clone, Copy, Debug)]
pub enum Owner<'a> {
    Myself,
    User(&'a str),
}

fn validate_scopes(scopes: &[String], owner_is_admin: bool) -> Result<String> {
    if scopes.is_empty() {
        return Err(ServiceError::validation(
            "scopes",
            "Choose at least one scope",
        ));
    }
    let mut chosen: Vec<&'static str> = Vec::new();
    for scope in scopes {
        let Some(known) = SCOPES.iter().find(|s| **s == scope.trim()) else {
            return Err(ServiceError::validation(
                "scopes",
                format!(
                    "Unknown scope \"{scope:.50}\"; known scopes: {}",
                    SCOPES.join(", ")
                ),
            ));
        };
        if *known == SCOPE_ADMIN && !owner_is_admin {
            return Err(ServiceError::validation(
                "scopes",
                "The scope \"admin\" needs an owner in Administrators",
            ));
        }
        if !chosen.contains(known) {
            chosen.push(known);
        }
    }
    Ok(chosen.join(" "))
}

fn resolve_expiry(
    expires: Expiry,
    policy: &TokenSettings,
    today: NaiveDate,
) -> Result<Option<NaiveDate>> {
    let max = policy.max_lifetime_days;
    let latest = (max > 0).then(|| today + Duration::days(i64::from(max)));
    match expires {
        Expiry::Default => Ok(Some(
            today + Duration::days(i64::from(policy.default_lifetime_days)),
        )),
        Expiry::Never if max == 0 => Ok(None),
        Expiry::Never => Err(ServiceError::validation(
            "expires_at",
            format!("Tokens must expire within {max} days"),
        )),
        Expiry::On(day) if day < today => Err(ServiceError::validation(
            "expires_at",
            "The expiration date is in the past",
        )),
        Expiry::On(day) if latest.is_some_and(|latest| day > latest) => {
            Err(ServiceError::validation(
                "expires_at",
                format!("Tokens must expire within {max} days"),
            ))
        }
        Expiry::On(day) => Ok(Some(day)),
    }
}

/// The settings as verification sees them: from memory, loaded once after each change.
pub async fn current_settings(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
) -> Result<std::sync::Arc<TokenSettings>> {
    match cache.settings() {
        Some(settings) => Ok(settings),
        None => Ok(cache.put_settings(settings::load(db).await?)),
    }
}

/// Creates a token; answers it with its secret, which is not kept anywhere.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Account,
    owner: Owner<'_>,
    new: NewToken,
) -> Result<IssuedToken> {
    let policy = settings::load(db).await?;
    let today = Utc::now().date_naive();
    let owner = match owner {
        Owner::Myself => actor.clone(),
        Owner::User(username) => {
            if !actor.is_admin {
                return Err(ServiceError::Forbidden);
            }
            let user = accounts::find_by_username(db, username)
                .await?
                .ok_or_else(|| ServiceError::validation("user", "No user has this username"))?;
            let is_admin = accounts::is_admin(db, user.id).await?;
            Account { user, is_admin }
        }
    };
    let issued_for_other = owner.user.id != actor.user.id;
    if issued_for_other && policy.admin_issued_only_for_technical_users {
        let active_today = owner.user.active_until.is_none_or(|until| until >= today);
        if !owner.user.technical || owner.user.locked || !active_today {
            return Err(ServiceError::validation(
                "user",
                "Tokens can be issued only to technical users who are active today",
            ));
        }
    }

    let name = trimmed_within(&new.name, "name", "Name", NAME_MAX)?;
    if name.is_empty() {
        return Err(ServiceError::validation("name", "Enter a name"));
    }
    let description = trimmed_within(
        new.description.as_deref().unwrap_or_default(),
        "description",
        "Description",
        DESCRIPTION_MAX,
    )?;
    let scopes = validate_scopes(&new.scopes, owner.is_admin)?;
    let expires_at = resolve_expiry(new.expires, &policy, today)?;
    let identifier = match new
        .identifier
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => Some(trimmed_within(
            id,
            "identifier",
            "Identifier",
            IDENTIFIER_MAX,
        )?),
        None if policy.identifier_mandatory => {
            return Err(ServiceError::validation(
                "identifier",
                "Enter an identifier",
            ))
        }
        None => None,
    };
    let pass_code_hash = match new.pass_code.filter(|p| !p.is_empty()) {
        Some(code) => {
            if code.chars().count() > passwords::MAX_LEN {
                return Err(ServiceError::validation(
                    "pass_code",
                    format!(
                        "Pass code must be at most {} characters",
                        passwords::MAX_LEN
                    ),
                ));
            }
            Some(passwords::hash(code).await?)
        }
        None if policy.pass_code_mandatory => {
            return Err(ServiceError::validation("pass_code", "Enter a pass code"))
        }
        None => None,
    };

    let secret = secrets::new_access_token();
    let now = Utc::now();
    let actor_name = Some(actor.user.username.clone());
    let token = access_token::ActiveModel {
        id: NotSet,
        name: Set(name),
        description: Set(description),
        owner_id: Set(owner.user.id),
        issuer_id: Set(Some(actor.user.id)),
        scopes: Set(scopes),
        expires_at: Set(expires_at),
        identifier: Set(identifier),
        pass_code_hash: Set(pass_code_hash),
        secret_digest: Set(secrets::digest(&secret)),
        hint: Set(secrets::hint(&secret)),
        created_at: Set(now),
        created_by: Set(actor_name.clone()),
        updated_at: Set(now),
        updated_by: Set(actor_name),
        last_used_at: Set(None),
        last_used_ips: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
    }
    .insert(db)
    .await?;
    let token_number = number(token.id);
    audit::record(
        db,
        audit::Event {
            actor: Some(&actor.user.username),
            action: "token.create",
            target: Some(&token_number),
            details: Some(serde_json::json!({
                "owner": owner.user.username,
                "name": token.name,
                "scopes": token.scopes,
                "expires_at": token.expires_at,
                "hint": token.hint,
            })),
            ..Default::default()
        },
    )
    .await?;
    Ok(IssuedToken {
        token: view(&token, &owner.user, &policy, today),
        secret,
    })
}

/// "Generate Access Token": named by its creation time, reading the owner's profile and
/// tokens, with the policy's default lifetime.
pub fn generated_token() -> NewToken {
    NewToken {
        name: format!("Access token {}", Utc::now().format("%Y-%m-%d %H:%M")),
        scopes: vec![SCOPE_PROFILE_READ.into(), SCOPE_TOKENS_READ.into()],
        ..Default::default()
    }
}

/// The owner id a "user" filter means; an unknown username matches no token (an empty list,
/// not an error).
pub async fn owner_filter(
    db: &impl ConnectionTrait,
    username: Option<&str>,
) -> Result<Option<i64>> {
    match username.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(username) => Ok(Some(
            accounts::find_by_username(db, username)
                .await?
                .map_or(-1, |u| u.id),
        )),
    }
}

/// Which tokens a list shows.
#[derive(Clone, Debug, Default)]
pub struct TokenQuery {
    pub owner_id: Option<i64>,
    /// `Some(true)`: effective only; `Some(false)`: not effective only.
    pub effective: Option<bool>,
    pub text: Option<String>,
    pub limit: Option<u64>,
    pub sort: TokenSort,
    /// `next_cursor` of the previous page, for the same sort.
    pub cursor: Option<String>,
}

pub struct TokenPage {
    pub items: Vec<TokenView>,
    pub next_cursor: Option<String>,
}

/// The order of a token list. Each is a keyset on (value, id), so every page costs the same
/// however deep it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TokenSort {
    /// Newest first.
    #[default]
    Created,
    /// Soonest expiry first; tokens that never expire last.
    Expires,
    /// Most recently used first; never used last.
    LastUsed,
}

/// Stands for "never expires" in the expiry order. Not `NaiveDate::MAX`: SQLite stores dates
/// as text, and that one is written with a sign ("+262142-12-31") that sorts first.
pub const NEVER: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(day) => day,
    None => panic!("9999-12-31 is a date"),
};

impl TokenSort {
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "" | "created" => Ok(Self::Created),
            "expires" => Ok(Self::Expires),
            "last_used" => Ok(Self::LastUsed),
            _ => Err(ServiceError::Validation {
                field: "sort",
                message: "sort must be created, expires or last_used".into(),
            }),
        }
    }

    fn ascending(self) -> bool {
        self == Self::Expires
    }

    /// The sorted value, with nulls mapped so that they come last.
    fn key(self) -> Option<Expr> {
        let coalesce = |column: access_token::Column, stand_in: Expr| -> Expr {
            Func::coalesce([Expr::col((access_token::Entity, column)), stand_in]).into()
        };
        match self {
            Self::Created => None,
            Self::Expires => Some(coalesce(access_token::Column::ExpiresAt, Expr::val(NEVER))),
            Self::LastUsed => Some(coalesce(
                access_token::Column::LastUsedAt,
                Expr::val(DateTime::<Utc>::UNIX_EPOCH),
            )),
        }
    }

    /// The cursor after `token`: its sorted value and its id.
    fn cursor(self, token: &access_token::Model) -> String {
        match self {
            Self::Created => token.id.to_string(),
            Self::Expires => format!("{}_{}", token.expires_at.unwrap_or(NEVER), token.id),
            Self::LastUsed => format!(
                "{}_{}",
                token
                    .last_used_at
                    .and_then(|at| at.timestamp_nanos_opt())
                    .unwrap_or(0),
                token.id
            ),
        }
    }

    /// The keyset condition "after the cursor", or None when the cursor is not one of ours.
    fn after(self, cursor: &str) -> Option<Condition> {
        let id_column = Expr::col((access_token::Entity, access_token::Column::Id));
        let (value, id) = match self {
            Self::Created => (None, cursor.parse::<i64>().ok()?),
            _ => {
                let (value, id) = cursor.split_once('_')?;
                let value = match self {
                    Self::Expires => Expr::val(value.parse::<NaiveDate>().ok()?),
                    _ => Expr::val(DateTime::from_timestamp_nanos(value.parse().ok()?)),
                };
                (Some(value), id.parse::<i64>().ok()?)
            }
        };
        let beyond = |left: Expr, right: Expr| {
            if self.ascending() {
                left.gt(right)
            } else {
                left.lt(right)
            }
        };
        let id_beyond = beyond(id_column, Expr::val(id));
        Some(match (self.key(), value) {
            (Some(key), Some(value)) => Condition::any()
                .add(beyond(key.clone(), value.clone()))
                .add(Condition::all().add(key.eq(value)).add(id_beyond)),
            _ => Condition::all().add(id_beyond),
        })
    }
}

/// One page in the query's order, by keyset pagination: no page scans the ones before it.
pub async fn list(db: &DatabaseConnection, query: TokenQuery) -> Result<TokenPage> {
    let policy = settings::load(db).await?;
    let today = Utc::now().date_naive();
    let limit = query.limit.unwrap_or(50).clamp(1, LIST_LIMIT_MAX);
    let sort = query.sort;
    let order = if sort.ascending() {
        Order::Asc
    } else {
        Order::Desc
    };
    let mut select = access_token::Entity::find().find_also_related(user::Entity);
    if let Some(key) = sort.key() {
        select = select.order_by(key, order.clone());
    }
    let mut select = select
        .order_by(access_token::Column::Id, order)
        .limit(limit + 1);
    if let Some(owner) = query.owner_id {
        select = select.filter(access_token::Column::OwnerId.eq(owner));
    }
    if let Some(cursor) = query.cursor.as_deref().filter(|c| !c.is_empty()) {
        let after = sort.after(cursor).ok_or_else(|| ServiceError::Validation {
            field: "cursor",
            message: "The cursor is not valid".into(),
        })?;
        select = select.filter(after);
    }
    if let Some(text) = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let pattern = format!("%{}%", text.to_lowercase().replace(['%', '_'], ""));
        let mut matches = Condition::any().add(
            Expr::expr(Func::lower(Expr::col((
                access_token::Entity,
                access_token::Column::Name,
            ))))
            .like(pattern.clone()),
        );
        matches = matches.add(
            Expr::expr(Func::lower(Expr::col((
                user::Entity,
                user::Column::Username,
            ))))
            .like(pattern),
        );
        if let Some(id) = parse_number(text) {
            matches = matches.add(access_token::Column::Id.eq(id));
        }
        select = select.filter(matches);
    }
    if let Some(effective) = query.effective {
        let effective_now = Condition::all()
            .add(access_token::Column::RevokedAt.is_null())
            .add(
                Condition::any()
                    .add(access_token::Column::ExpiresAt.is_null())
                    .add(access_token::Column::ExpiresAt.gte(today)),
            )
            .add(user::Column::Locked.eq(false))
            .add(
                Condition::any()
                    .add(user::Column::ActiveUntil.is_null())
                    .add(user::Column::ActiveUntil.gte(today)),
            );
        select = match (effective, policy.api_tokens_enabled) {
            (true, true) => select.filter(effective_now),
            (true, false) => {
                return Ok(TokenPage {
                    items: Vec::new(),
                    next_cursor: None,
                })
            }
            (false, true) => select.filter(effective_now.not()),
            (false, false) => select,
        };
    }
    let mut rows = select.all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|(token, _)| sort.cursor(token))
    } else {
        None
    };
    let items = rows
        .iter()
        .filter_map(|(token, owner)| owner.as_ref().map(|o| view(token, o, &policy, today)))
        .collect();
    Ok(TokenPage { items, next_cursor })
}

/// Who may touch a token: its owner, or an administrator when `any` is set. Anyone else
/// gets NotFound, so ids of other users' tokens reveal nothing.
async fn find_visible(
    db: &impl ConnectionTrait,
    actor: &Account,
    id: i64,
    any: bool,
) -> Result<(access_token::Model, user::Model)> {
    let (token, owner) = access_token::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .and_then(|(t, o)| o.map(|o| (t, o)))
        .ok_or(ServiceError::NotFound)?;
    if owner.id != actor.user.id && !(any && actor.is_admin) {
        return Err(ServiceError::NotFound);
    }
    Ok((token, owner))
}

pub async fn get(
    db: &DatabaseConnection,
    actor: &Account,
    id: i64,
    any: bool,
) -> Result<TokenView> {
    let (token, owner) = find_visible(db, actor, id, any).await?;
    Ok(view(
        &token,
        &owner,
        &settings::load(db).await?,
        Utc::now().date_naive(),
    ))
}

/// Applies `change` to the token unless it is revoked, stamping who changed it; a single
/// conditional UPDATE, so concurrent revokes and regenerations cannot interleave.
async fn update_unrevoked(
    db: &DatabaseConnection,
    actor: &Account,
    id: i64,
    change: impl FnOnce(UpdateMany<access_token::Entity>) -> UpdateMany<access_token::Entity>,
) -> Result<sea_orm::UpdateResult> {
    Ok(change(access_token::Entity::update_many())
        .col_expr(access_token::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(
            access_token::Column::UpdatedBy,
            Expr::value(actor.user.username.clone()),
        )
        .filter(access_token::Column::Id.eq(id))
        .filter(access_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?)
}

/// Soft: the row stays with its removal date and stops working at once. Revoking a revoked
/// token changes nothing.
pub async fn revoke(
    db: &DatabaseConnection,
    cache: &AuthCache,
    actor: &Account,
    id: i64,
    any: bool,
) -> Result<()> {
    find_visible(db, actor, id, any).await?;
    let updated = update_unrevoked(db, actor, id, |update| {
        update
            .col_expr(access_token::Column::RevokedAt, Expr::value(Utc::now()))
            .col_expr(
                access_token::Column::RevokedBy,
                Expr::value(actor.user.username.clone()),
            )
    })
    .await?;
    if updated.rows_affected > 0 {
        cache.changed(db).await?;
        audit::record(
            db,
            audit::Event {
                actor: Some(&actor.user.username),
                action: "token.revoke",
                target: Some(&number(id)),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

/// Sets the description, e.g. right after "Generate Access Token".
pub async fn describe(
    db: &DatabaseConnection,
    actor: &Account,
    id: i64,
    description: &str,
    any: bool,
) -> Result<()> {
    let (token, _) = find_visible(db, actor, id, any).await?;
    let description = trimmed_within(description, "description", "Description", DESCRIPTION_MAX)?;
    let mut active: access_token::ActiveModel = token.into();
    active.description = Set(description);
    active.updated_at = Set(Utc::now());
    active.updated_by = Set(Some(actor.user.username.clone()));
    active.update(db).await?;
    audit::record(
        db,
        audit::Event {
            actor: Some(&actor.user.username),
            action: "token.describe",
            target: Some(&number(id)),
            ..Default::default()
        },
    )
    .await
}

/// Hard: the row is gone; the audit log keeps the fact.
pub async fn delete(
    db: &DatabaseConnection,
    cache: &AuthCache,
    actor: &Account,
    id: i64,
) -> Result<()> {
    let (token, owner) = find_visible(db, actor, id, true).await?;
    let deleted = access_token::Entity::delete_by_id(id).exec(db).await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    cache.changed(db).await?;
    audit::record(
        db,
        audit::Event {
            actor: Some(&actor.user.username),
            action: "token.delete",
            target: Some(&number(id)),
            details: Some(serde_json::json!({ "owner": owner.username, "name": token.name })),
            ..Default::default()
        },
    )
    .await
}

/// A new secret for the same record; the old one stops working at once.
pub async fn regenerate(
    db: &DatabaseConnection,
    cache: &AuthCache,
    actor: &Account,
    id: i64,
    any: bool,
) -> Result<IssuedToken> {
    find_visible(db, actor, id, any).await?;
    let secret = secrets::new_access_token();
    let now = Utc::now();
    let updated = update_unrevoked(db, actor, id, |update| {
        update
            .col_expr(
                access_token::Column::SecretDigest,
                Expr::value(secrets::digest(&secret)),
            )
            .col_expr(
                access_token::Column::Hint,
                Expr::value(secrets::hint(&secret)),
            )
    })
    .await?;
    if updated.rows_affected == 0 {
        return Err(ServiceError::Conflict {
            field: "id",
            message: "This token is revoked; create a new one instead".into(),
        });
    }
    cache.changed(db).await?;
    audit::record(
        db,
        audit::Event {
            actor: Some(&actor.user.username),
            action: "token.regenerate",
            target: Some(&number(id)),
            details: Some(serde_json::json!({ "hint": secrets::hint(&secret) })),
            ..Default::default()
        },
    )
    .await?;
    let (token, owner) = find_visible(db, actor, id, any).await?;
    Ok(IssuedToken {
        token: view(&token, &owner, &settings::load(db).await?, now.date_naive()),
        secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_scopes_never_exceed_the_owner() {
        assert_eq!(
            effective_scopes("admin tokens:read", false),
            ["tokens:read"]
        );
        assert_eq!(
            effective_scopes("admin tokens:read", true),
            ["tokens:read", "admin"]
        );
    }

    #[test]
    fn expiry_follows_the_policy() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let policy = TokenSettings::default();
        assert_eq!(
            resolve_expiry(Expiry::Default, &policy, today).unwrap(),
            Some(today + Duration::days(90))
        );
        assert!(resolve_expiry(Expiry::Never, &policy, today).is_err());
        assert!(resolve_expiry(Expiry::On(today - Duration::days(1)), &policy, today).is_err());
        assert!(resolve_expiry(Expiry::On(today + Duration::days(366)), &policy, today).is_err());
        let unlimited = TokenSettings {
            max_lifetime_days: 0,
            ..policy
        };
        assert_eq!(
            resolve_expiry(Expiry::Never, &unlimited, today).unwrap(),
            None
        );
    }
}

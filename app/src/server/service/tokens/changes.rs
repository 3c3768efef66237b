//! Creating, describing, revoking, deleting and regenerating tokens. Each change goes
//! through `server::change` (write, audit event and change counter in one transaction) and
//! each first checks that the request holds every scope of the token it touches.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, NotSet, QueryFilter, Set, UpdateMany,
};

use super::super::accounts;
use super::super::{passwords, required_within, settings, trimmed_within};
use super::allowlist;
use super::import::ImportedSecret;
use super::rules::{
    check_owner_may_hold, escalation, overlap_until, parse_scopes, resolve_expiry, set_above_owner,
    suspension, view, Act, Expiry, NewToken, DESCRIPTION_MAX, IDENTIFIER_MAX, NAME_MAX,
};
use crate::model::scope::Scopes;
use crate::model::token::{
    may_be_issued_a_token, number, IpPolicy, IssuedToken, SuspendUntil, SuspensionSource,
    TokenEdit, TokenView,
};
use crate::server::audit_log::{self, Action, Event};
use crate::server::authz::{Admin, Grant, Reach, Secret, Sight, Via};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{access_token, token_usage_day, user};
use crate::server::error::{Result, ServiceError};
use crate::server::rate_limits::PER_MINUTE_MAX;
use crate::server::secrets;

/// Whose token a new one is: the caller's own, or (with an administrator's proof) a named
/// user's.
#[derive(Clone, Copy, Debug)]
pub enum Owner<'a> {
    Myself(&'a Grant),
    User(&'a Admin, &'a str),
}

/// 403 when `grant` may not give or touch a token with `scopes`. The attempt is logged and
/// audited (throttled like every refusal) outside any change: the refusal is the event.
async fn refuse_escalation(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
    grant: &Grant,
    scopes: Scopes,
    act: Act,
    target: &str,
) -> Result<()> {
    let Some(why) = escalation(grant, scopes, act) else {
        return Ok(());
    };
    let credential = grant.via().label();
    audit_log::refused(
        db,
        &cache.refusals,
        audit_log::Refusal {
            credential: &credential,
            known: true,
            actor: Some(grant.username()),
            ip: grant.ip(),
            reason: "forbidden",
        },
        Action::TokenEscalationRefused,
        Some(serde_json::json!({
            "token": target,
            "scopes": scopes.to_list(),
            "held": grant.holds().to_list(),
            "why": why,
        })),
    )
    .await?;
    Err(ServiceError::Forbidden)
}

/// A token never creates one that outlives it: the new one's last day is at most the
/// creating token's. A default lifetime beyond it is cut to it; an explicit one is refused.
fn outlived_by(
    grant: &Grant,
    asked: Expiry,
    expires_at: Option<NaiveDate>,
) -> Result<Option<NaiveDate>> {
    let Via::Token(parent) = grant.via() else {
        return Ok(expires_at);
    };
    let Some(last_day) = parent.expires_at else {
        return Ok(expires_at);
    };
    match expires_at {
        Some(day) if day <= last_day => Ok(Some(day)),
        _ if asked == Expiry::Default => Ok(Some(last_day)),
        _ => Err(ServiceError::validation(
            "expires_at",
            format!("A token cannot create one that outlives it: expire on {last_day} or earlier"),
        )),
    }
}

/// Creates a token; answers it with its secret, which is not kept anywhere.
#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    cache: &AuthCache,
    owner: Owner<'_>,
    new: NewToken,
) -> Result<IssuedToken> {
    let policy = settings::load(db).await?;
    let today = Utc::now().date_naive();
    let (grant, owner) = match owner {
        Owner::Myself(grant) => (grant, grant.account().clone()),
        Owner::User(admin, username) => {
            let user = accounts::find_by_username(db, username)
                .await?
                .ok_or_else(|| ServiceError::validation("user", "No user has this username"))?;
            (admin.grant(), accounts::account_of(db, user).await?)
        }
    };
    let actor = grant.username();
    let issued_for_other = owner.user.id != grant.account().user.id;
    let technical_only = policy.admin_issued_only_for_technical_users;
    let usable = accounts::unusable_reason(&owner.user).is_none();
    if issued_for_other
        && technical_only
        && !may_be_issued_a_token(usable, owner.user.technical, technical_only)
    {
        return Err(ServiceError::validation(
            "user",
            "Tokens can be issued only to technical users who are active today",
        ));
    }

    let name = required_within(&new.name, "name", "Name", NAME_MAX)?;
    let description = trimmed_within(
        new.description.as_deref().unwrap_or_default(),
        "description",
        "Description",
        DESCRIPTION_MAX,
    )?;
    let scopes = parse_scopes(&new.scopes)?;
    refuse_escalation(db, cache, grant, scopes, Act::Give, &owner.user.username).await?;
    check_owner_may_hold(scopes, &owner.rights)?;
    let expires_at = outlived_by(
        grant,
        new.expires,
        resolve_expiry(new.expires, &policy, today)?,
    )?;
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
            passwords::check_length(&code, "pass_code", "Pass code")?;
            Some(passwords::hash(code).await?)
        }
        None if policy.pass_code_mandatory => {
            return Err(ServiceError::validation("pass_code", "Enter a pass code"))
        }
        None => None,
    };

    let imported = new.secret.is_some();
    let secret = match new.secret {
        Some(given) => given.expose().to_owned(),
        None => secrets::new_access_token(),
    };
    let now = Utc::now();
    let change = Change::acting(db, cache, grant).await?;
    if imported {
        // Inside the change, so two imports of one secret cannot both pass.
        ImportedSecret::check_unused(&secret, change.db()).await?;
    }
    let token = access_token::ActiveModel {
        id: NotSet,
        name: Set(name),
        description: Set(description),
        owner_id: Set(owner.user.id),
        issuer_id: Set(Some(grant.account().user.id)),
        scopes: Set(scopes.to_list()),
        expires_at: Set(expires_at),
        identifier: Set(identifier),
        pass_code_hash: Set(pass_code_hash),
        secret_digest: Set(secrets::digest(&secret)),
        hint: Set(secrets::hint(&secret)),
        created_at: Set(now),
        issued_at: Set(now),
        created_by: Set(Some(actor.to_owned())),
        updated_at: Set(now),
        updated_by: Set(Some(actor.to_owned())),
        last_used_at: Set(None),
        last_used_ips: Set(None),
        revoked_at: Set(None),
        revoked_by: Set(None),
        allowed_ips: Set(String::new()),
        ip_policy: Set(IpPolicy::Enforce.as_str().to_owned()),
        previous_digest: Set(None),
        previous_valid_until: Set(None),
        previous_used_at: Set(None),
        scopes_used: Set(None),
        rate_limit_per_minute: Set(None),
        imported: Set(imported),
        suspended_at: NotSet,
        suspended_until: NotSet,
        suspended_by: NotSet,
        suspension_source: NotSet,
    }
    .insert(change.db())
    .await?;
    let token_number = number(token.id);
    change
        .audit(
            Event::by(actor, Action::TokenCreate, &token_number).details(serde_json::json!({
                "owner": owner.user.username,
                "name": token.name,
                "scopes": token.scopes,
                "expires_at": token.expires_at,
                "hint": token.hint,
                "via": grant.via().label(),
                "imported": imported,
            })),
        )
        .await?;
    change.commit().await?;
    // An imported secret is the administrator's already, and is never shown again.
    Ok(IssuedToken::new(
        view(&token, &owner.user, &policy, today),
        if imported { String::new() } else { secret },
    ))
}

/// The token and its owner if `sight` covers it; anyone else gets NotFound, so ids of
/// other users' tokens reveal nothing.
pub(super) async fn find_visible(
    db: &impl ConnectionTrait,
    sight: Sight<'_>,
    id: i64,
) -> Result<(access_token::Model, user::Model)> {
    access_token::Entity::find_by_id(id)
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .and_then(|(t, o)| o.map(|o| (t, o)))
        .filter(|(_, owner)| sight.covers(owner.id))
        .ok_or(ServiceError::NotFound)
}

/// Like [`find_visible`], and the request must hold every scope of the token.
async fn find_touchable(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
    reach: Reach<'_>,
    id: i64,
) -> Result<(access_token::Model, user::Model)> {
    let (token, owner) = find_visible(db, reach.into(), id).await?;
    refuse_escalation(
        db,
        cache,
        reach.grant(),
        Scopes::parse_list(&token.scopes),
        Act::Touch,
        &number(id),
    )
    .await?;
    Ok((token, owner))
}

/// Applies `change` to the token unless it is revoked, stamping who changed it; a single
/// conditional UPDATE, so concurrent revokes and regenerations cannot interleave.
async fn update_unrevoked(
    db: &impl ConnectionTrait,
    actor: &str,
    id: i64,
    change: impl FnOnce(UpdateMany<access_token::Entity>) -> UpdateMany<access_token::Entity>,
) -> Result<u64> {
    Ok(change(access_token::Entity::update_many())
        .col_expr(access_token::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(access_token::Column::UpdatedBy, Expr::value(actor))
        .filter(access_token::Column::Id.eq(id))
        .filter(access_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// Soft: the row stays with its removal date and stops working at once. Revoking a revoked
/// token changes nothing.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn revoke(
    db: &DatabaseConnection,
    cache: &AuthCache,
    reach: Reach<'_>,
    id: i64,
) -> Result<()> {
    find_touchable(db, cache, reach, id).await?;
    let actor = reach.grant().username();
    let change = Change::acting(db, cache, reach.grant()).await?;
    let updated = update_unrevoked(change.db(), actor, id, |update| {
        update
            .col_expr(access_token::Column::RevokedAt, Expr::value(Utc::now()))
            .col_expr(access_token::Column::RevokedBy, Expr::value(actor))
    })
    .await?;
    if updated > 0 {
        change
            .audit(Event::by(actor, Action::TokenRevoke, &number(id)))
            .await?;
        change.commit().await?;
    }
    Ok(())
}

/// Changes a token's name, description, allowlist, IP policy or rate limit; answers the token as it is
/// now. The request must hold every scope of the token. Audited with what was set.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    db: &DatabaseConnection,
    cache: &AuthCache,
    reach: Reach<'_>,
    id: i64,
    changes: TokenEdit,
) -> Result<TokenView> {
    find_touchable(db, cache, reach, id).await?;
    let mut update = access_token::Entity::update_many();
    let mut details = serde_json::Map::new();
    let now = Utc::now();
    if let Some(Some(SuspendUntil::Until(at))) = changes.suspended_until {
        if at <= now {
            return Err(ServiceError::validation(
                "suspended_until",
                "Choose a time in the future, or \"indefinite\"",
            ));
        }
    }
    if let Some(name) = changes.name {
        let name = required_within(&name, "name", "Name", NAME_MAX)?;
        details.insert("name".into(), name.clone().into());
        update = update.col_expr(access_token::Column::Name, Expr::value(name));
    }
    if let Some(description) = changes.description {
        let description =
            trimmed_within(&description, "description", "Description", DESCRIPTION_MAX)?;
        details.insert("description".into(), description.clone().into());
        update = update.col_expr(access_token::Column::Description, Expr::value(description));
    }
    if let Some(entries) = changes.allowed_ips {
        let allowed = allowlist::normalise(&entries)?;
        details.insert("allowed_ips".into(), allowlist::ranges(&allowed).into());
        update = update.col_expr(access_token::Column::AllowedIps, Expr::value(allowed));
    }
    if let Some(policy) = changes.ip_policy {
        details.insert("ip_policy".into(), policy.as_str().into());
        update = update.col_expr(access_token::Column::IpPolicy, Expr::value(policy.as_str()));
    }
    if let Some(limit) = changes.rate_limit_per_minute {
        // The limit protects the service from the token: whoever holds the token may not
        // lift it, and a new limit starts a fresh budget.
        if !matches!(reach, Reach::Any(_)) {
            return Err(ServiceError::validation(
                "rate_limit_per_minute",
                "Only an administrator may set a token's rate limit",
            ));
        }
        if let Some(limit) = limit {
            if !(1..=PER_MINUTE_MAX).contains(&limit) {
                return Err(ServiceError::validation(
                    "rate_limit_per_minute",
                    format!(
                        "A rate limit is from 1 to {PER_MINUTE_MAX} requests a minute, or null for the policy default"
                    ),
                ));
            }
        }
        details.insert("rate_limit_per_minute".into(), limit.into());
        update = update.col_expr(
            access_token::Column::RateLimitPerMinute,
            Expr::value(limit.map(|limit| limit as i32)),
        );
    }
    let actor = reach.grant().username();
    if let Some(wanted) = changes.suspended_until {
        details.insert("suspended_until".into(), serde_json::json!(wanted));
    }
    if !details.is_empty() {
        let change = Change::acting(db, cache, reach.grant()).await?;
        if let Some(wanted) = changes.suspended_until {
            update = suspend(change.db(), reach, id, wanted, now, update).await?;
        }
        let action = match changes.suspended_until {
            Some(Some(_)) => Action::TokenSuspend,
            Some(None) => Action::TokenResume,
            None => Action::TokenUpdate,
        };
        let updated = update
            .col_expr(access_token::Column::UpdatedAt, Expr::value(Utc::now()))
            .col_expr(access_token::Column::UpdatedBy, Expr::value(actor))
            .filter(access_token::Column::Id.eq(id))
            .exec(change.db())
            .await?;
        if updated.rows_affected == 0 {
            return Err(ServiceError::NotFound);
        }
        change
            .audit(
                Event::by(actor, action, &number(id)).details(serde_json::Value::Object(details)),
            )
            .await?;
        change.commit().await?;
    }
    let (token, owner) = find_visible(db, reach.into(), id).await?;
    let policy = settings::load(db).await?;
    Ok(view(&token, &owner, &policy, Utc::now().date_naive()))
}

/// Adds suspending the token until `wanted` (or, with `None`, resuming it) to `update`,
/// read within the change: a revoked token stays revoked (409), and an owner may not
/// change a suspension an administrator or officer set (403).
async fn suspend(
    db: &impl ConnectionTrait,
    reach: Reach<'_>,
    id: i64,
    wanted: Option<SuspendUntil>,
    now: DateTime<Utc>,
    update: UpdateMany<access_token::Entity>,
) -> Result<UpdateMany<access_token::Entity>> {
    let token = access_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if token.revoked_at.is_some() {
        return Err(ServiceError::Conflict {
            field: "suspended_until",
            message: "A revoked token stays revoked: it cannot be suspended or resumed".into(),
        });
    }
    let by_owner = matches!(reach, Reach::Own(_));
    if by_owner && suspension(&token, now).is_some() && set_above_owner(&token) {
        return Err(ServiceError::Forbidden);
    }
    let source = if by_owner {
        SuspensionSource::Owner
    } else {
        SuspensionSource::Manager
    };
    let (at, until, by, source) = match wanted {
        Some(until) => (
            Some(now),
            until.end(),
            Some(reach.grant().username().to_owned()),
            Some(source.as_str()),
        ),
        None => (None, None, None, None),
    };
    Ok(update
        .col_expr(access_token::Column::SuspendedAt, Expr::value(at))
        .col_expr(access_token::Column::SuspendedUntil, Expr::value(until))
        .col_expr(access_token::Column::SuspendedBy, Expr::value(by))
        .col_expr(access_token::Column::SuspensionSource, Expr::value(source)))
}

/// Hard: the row is gone; the audit log keeps the fact.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn delete(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
) -> Result<()> {
    let (token, owner) = find_touchable(db, cache, Reach::Any(admin), id).await?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    let deleted = access_token::Entity::delete_by_id(id)
        .exec(change.db())
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    token_usage_day::Entity::delete_many()
        .filter(token_usage_day::Column::TokenId.eq(id))
        .exec(change.db())
        .await?;
    super::super::expiry::forget(change.db(), id).await?;
    change
        .audit(
            Event::by(admin.username(), Action::TokenDelete, &number(id))
                .details(serde_json::json!({ "owner": owner.username, "name": token.name })),
        )
        .await?;
    change.commit().await
}

/// `tessera token create`: a token for `username` with every right that user has, made by
/// whoever runs the command line (they have the database). No lifetime means the policy's
/// default, 0 days never (where the policy allows it).
#[tracing::instrument(skip_all)]
pub async fn create_by_operator(
    db: &DatabaseConnection,
    cache: &AuthCache,
    username: &str,
    name: String,
    scopes: &str,
    expires_in_days: Option<u32>,
) -> Result<IssuedToken> {
    let owner = accounts::find_by_username(db, username)
        .await?
        .ok_or_else(|| {
            ServiceError::validation("user", format!("no user has the username {username}"))
        })?;
    let grant = Grant::operator(accounts::account_of(db, owner).await?);
    let expires = match expires_in_days {
        None => Expiry::Default,
        Some(0) => Expiry::Never,
        Some(days) => Utc::now()
            .date_naive()
            .checked_add_days(chrono::Days::new(days.into()))
            .map(Expiry::On)
            .ok_or_else(|| {
                ServiceError::validation("expires_at", format!("{days} days is too far ahead"))
            })?,
    };
    let new = NewToken {
        name,
        scopes: scopes.split(',').map(|s| s.trim().to_owned()).collect(),
        expires,
        ..Default::default()
    };
    create(db, cache, Owner::Myself(&grant), new).await
}

/// How a regeneration treats the secret it replaces.
#[derive(Clone, Copy, Debug, Default)]
pub struct Rotation<'a> {
    /// Seconds the old secret keeps working, 0 to 7 days: 0 stops it at once.
    pub grace_seconds: i64,
    /// Only if the current secret still has this digest (a token rotating itself): of two
    /// rotations with the same secret, the second finds it replaced and is refused.
    pub only_if_current: Option<&'a str>,
}

impl<'a> Rotation<'a> {
    /// A token rotating itself with the secret its call presented: only the current one may
    /// (the replaced one would take the new secret over), and only while it is current.
    /// Answers the token's id with the rotation; a grant without a token has none to rotate.
    pub fn of_itself(grant: &'a Grant, grace_seconds: i64) -> Result<(i64, Self)> {
        let token = grant.presented_token().ok_or(ServiceError::Forbidden)?;
        if grant.secret() == Secret::Previous {
            return Err(rotated_already());
        }
        let rotation = Self {
            grace_seconds,
            only_if_current: Some(&token.secret_digest),
        };
        Ok((token.id, rotation))
    }
}

fn rotated_already() -> ServiceError {
    ServiceError::Conflict {
        field: "token",
        message: "This secret was rotated already: use the newest one".into(),
    }
}

/// A new secret for the same record. The old one stops at once, or at the end of the
/// rotation's overlap (replacing any earlier overlap).
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn regenerate(
    db: &DatabaseConnection,
    cache: &AuthCache,
    reach: Reach<'_>,
    id: i64,
    rotation: Rotation<'_>,
) -> Result<IssuedToken> {
    let now = Utc::now();
    overlap_until(rotation.grace_seconds, now)?;
    let (token, _) = find_touchable(db, cache, reach, id).await?;
    // An expired token gets a working secret, as on GitHub: a new life of the policy's
    // default length. Its old secret stays dead: no overlap brings it back.
    let today = now.date_naive();
    let renewed = match token.expires_at {
        Some(last_day) if last_day < today => {
            let policy = settings::load(db).await?;
            resolve_expiry(Expiry::Default, &policy, today)?
        }
        _ => None,
    };
    let grace = if renewed.is_some() {
        0
    } else {
        rotation.grace_seconds
    };
    let valid_until = overlap_until(grace, now)?;
    let actor = reach.grant().username();
    let secret = secrets::new_access_token();
    let hint = secrets::hint(&secret);
    let change = match Change::acting(db, cache, reach.grant()).await {
        // A self-rotation that lost a race to another with the same secret.
        Err(ServiceError::PreviousSecret) if rotation.only_if_current.is_some() => {
            return Err(rotated_already())
        }
        change => change?,
    };
    let updated = update_unrevoked(change.db(), actor, id, |update| {
        // Every right-hand side reads the row as it was: the old digest becomes the previous.
        let previous = if grace > 0 {
            Expr::col(access_token::Column::SecretDigest)
        } else {
            Expr::value(None::<String>)
        };
        let update = update
            .col_expr(access_token::Column::PreviousDigest, previous)
            .col_expr(
                access_token::Column::PreviousValidUntil,
                Expr::value(valid_until),
            )
            .col_expr(
                access_token::Column::PreviousUsedAt,
                Expr::value(None::<chrono::DateTime<Utc>>),
            )
            .col_expr(
                access_token::Column::SecretDigest,
                Expr::value(secrets::digest(&secret)),
            )
            .col_expr(access_token::Column::Hint, Expr::value(hint.clone()))
            // A generated secret replaces whatever was imported.
            .col_expr(access_token::Column::Imported, Expr::value(false))
            .col_expr(access_token::Column::IssuedAt, Expr::value(now));
        let update = match renewed {
            Some(last_day) => {
                update.col_expr(access_token::Column::ExpiresAt, Expr::value(last_day))
            }
            None => update,
        };
        match rotation.only_if_current {
            Some(digest) => update.filter(access_token::Column::SecretDigest.eq(digest)),
            None => update,
        }
    })
    .await?;
    if updated == 0 {
        return Err(match rotation.only_if_current {
            Some(_) => rotated_already(),
            None => ServiceError::Conflict {
                field: "id",
                message: "This token is revoked; create a new one instead".into(),
            },
        });
    }
    if renewed.is_some() {
        // The notices of the life that ended are not the new life's.
        super::super::expiry::forget(change.db(), id).await?;
    }
    change
        .audit(
            Event::by(actor, Action::TokenRegenerate, &number(id)).details(serde_json::json!({
                "hint": hint,
                "grace_seconds": grace,
                "previous_valid_until": valid_until,
                "renewed_until": renewed,
            })),
        )
        .await?;
    change.commit().await?;
    let (token, owner) = find_visible(db, reach.into(), id).await?;
    let policy = settings::load(db).await?;
    Ok(IssuedToken::new(
        view(&token, &owner, &policy, Utc::now().date_naive()),
        secret,
    ))
}

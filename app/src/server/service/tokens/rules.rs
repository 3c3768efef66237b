//! What a token is allowed to be: scopes and who may grant them, expiry within the policy,
//! and the life cycle state derived from the token, its owner and the settings.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait};

use super::super::settings::{self, TokenSettings};
use super::allowlist;
use crate::model::rights::Rights;
use crate::model::scope::{Scope, Scopes};
use crate::model::token::{
    number, IpPolicy, Reason, SuspendUntil, SuspensionSource, TokenState, TokenView,
    GRACE_SECONDS_MAX, SCOPE_USE_DAYS,
};
use crate::server::authz::{self, Grant};
use crate::server::cache::AuthCache;
use crate::server::entity::{access_token, user};
use crate::server::error::{Result, ServiceError};
use crate::server::secrets::still_overlapping;

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 1000;
pub const IDENTIFIER_MAX: usize = 200;

/// The token's scopes ∩ the owner's permissions now.
pub fn effective_scopes(token_scopes: &str, owner: &Rights) -> Scopes {
    Scopes::parse_list(token_scopes).intersection(authz::permissions(owner))
}

/// The scopes a request asks for, known and without repeats, or a message naming the first
/// one that is not a scope.
pub fn parse_scopes(scopes: &[String]) -> Result<Scopes> {
    if scopes.is_empty() {
        return Err(ServiceError::validation(
            "scopes",
            "Choose at least one scope",
        ));
    }
    scopes
        .iter()
        .map(|scope| {
            Scope::parse(scope.trim()).ok_or_else(|| {
                ServiceError::validation(
                    "scopes",
                    format!(
                        "Unknown scope \"{scope:.50}\"; known scopes: {}",
                        Scopes::all().to_list().replace(' ', ", ")
                    ),
                )
            })
        })
        .collect()
}

/// What a request does with a token's scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// Creates a token with them.
    Give,
    /// Regenerates, describes or revokes a token that has them.
    Touch,
}

/// Why `grant` may not give or touch a token with `scopes`, if it may not: a request never
/// reaches beyond what it holds, and only administrators give gateways `tokens:introspect`.
pub fn escalation(grant: &Grant, scopes: Scopes, act: Act) -> Option<&'static str> {
    if !scopes.is_subset(grant.holds()) {
        Some("The token has scopes this request does not hold")
    } else if act == Act::Give
        && scopes.contains(Scope::TokensIntrospect)
        && !grant.grants_introspection()
    {
        Some("Only administrators grant tokens:introspect")
    } else {
        None
    }
}

/// An `admin` token needs an owner who holds `admin`, an `audit:read` token one who may
/// read what administrators read.
pub fn check_owner_may_hold(scopes: Scopes, owner: &Rights) -> Result<()> {
    if scopes.contains(Scope::Admin) && !owner.is_admin() {
        return Err(ServiceError::validation(
            "scopes",
            "The scope \"admin\" needs an owner in Administrators",
        ));
    }
    if scopes.contains(Scope::AuditRead) && !owner.may_audit() {
        return Err(ServiceError::validation(
            "scopes",
            "The scope \"audit:read\" needs an owner in Auditors or Administrators",
        ));
    }
    Ok(())
}

/// The token's suspension, if it is suspended at `now` (one whose time has come is not).
pub fn suspension(token: &access_token::Model, now: DateTime<Utc>) -> Option<SuspendUntil> {
    token.suspended_at?;
    match token.suspended_until {
        None => Some(SuspendUntil::Indefinite),
        Some(until) if until > now => Some(SuspendUntil::Until(until)),
        Some(_) => None,
    }
}

/// Whether an administrator or officer set `token`'s suspension (its owner may not lift
/// that one).
pub fn set_above_owner(token: &access_token::Model) -> bool {
    token
        .suspension_source
        .as_deref()
        .and_then(SuspensionSource::parse)
        == Some(SuspensionSource::Manager)
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
    } else if suspension(token, Utc::now()).is_some() {
        Some(Reason::Suspended)
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

/// Until when a secret replaced at `now` keeps working, for an overlap of `grace_seconds`;
/// `None` for 0, when it stops at once. The same rule for every kind of credential.
pub fn overlap_until(grace_seconds: i64, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    if !(0..=GRACE_SECONDS_MAX).contains(&grace_seconds) {
        return Err(ServiceError::validation(
            "grace_seconds",
            format!("The overlap must be between 0 and {GRACE_SECONDS_MAX} seconds (7 days)"),
        ));
    }
    Ok((grace_seconds > 0).then(|| now + Duration::seconds(grace_seconds)))
}

/// Until when a credential's replaced secret still works, for its view: `None` when there
/// is none or its overlap ended.
pub fn running_overlap(
    previous_digest: Option<&str>,
    until: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    until.filter(|_| previous_digest.is_some() && still_overlapping(until))
}

/// Rows whose current or previous secret has `digest` (both columns are indexed or small):
/// a random digest is never one credential's current secret and another's previous one.
pub fn either_digest<C: ColumnTrait>(current: C, previous: C, digest: &str) -> Condition {
    Condition::any()
        .add(current.eq(digest))
        .add(previous.eq(digest))
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
        allowed_ips: allowlist::ranges(&token.allowed_ips),
        ip_policy: IpPolicy::parse(&token.ip_policy).unwrap_or_default(),
        previous_valid_until: running_overlap(
            token.previous_digest.as_deref(),
            token.previous_valid_until,
        ),
        previous_used_at: token.previous_used_at,
        scopes_used: scopes_used_since(
            token.scopes_used.as_deref(),
            today - Duration::days(SCOPE_USE_DAYS),
        ),
        imported: token.imported,
        suspended_until: suspension(token, Utc::now()),
        suspended_by: suspension(token, Utc::now()).and(token.suspended_by.clone()),
        suspended_above_owner: suspension(token, Utc::now()).is_some() && set_above_owner(token),
        rate_limit_per_minute: token.own_rate_limit(),
        idle: reason.is_none()
            && settings.idle_since(today).is_some_and(|since| {
                token.issued_at < since && token.last_used_at.is_none_or(|used| used < since)
            }),
        state: if reason.is_none() {
            TokenState::Effective
        } else {
            TokenState::NotEffective
        },
        reason,
    }
}

/// The scopes whose last recorded use (`stored`, as the usage log writes it) is on or after
/// `since`, in the order of [`Scope::ALL`].
pub fn scopes_used_since(stored: Option<&str>, since: NaiveDate) -> Vec<String> {
    let used: std::collections::HashMap<String, NaiveDate> = stored
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default();
    Scope::ALL
        .iter()
        .filter(|scope| used.get(scope.as_str()).is_some_and(|day| *day >= since))
        .map(|scope| scope.as_str().to_owned())
        .collect()
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

pub fn resolve_expiry(
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
        // Beyond year 9999 a date is stored with a sign and sorts before every other.
        Expiry::On(day) if day > super::NEVER => Err(ServiceError::validation(
            "expires_at",
            "The expiration date must be in year 9999 or before",
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
#[tracing::instrument(skip_all)]
pub async fn current_settings(
    db: &impl ConnectionTrait,
    cache: &AuthCache,
) -> Result<std::sync::Arc<TokenSettings>> {
    match cache.settings() {
        Some(settings) => Ok(settings),
        None => {
            let stamp = cache.stamp();
            Ok(cache.put_settings(stamp, settings::load(db).await?))
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct NewToken {
    pub name: String,
    pub description: Option<String>,
    pub scopes: Vec<String>,
    pub expires: Expiry,
    pub identifier: Option<String>,
    pub pass_code: Option<String>,
    /// An administrator's existing secret, instead of a generated one.
    pub secret: Option<super::ImportedSecret>,
}

/// "Generate Access Token": named by its creation time, reading the owner's profile and
/// tokens, with the policy's default lifetime.
pub fn generated_token() -> NewToken {
    NewToken {
        name: format!("Access token {}", Utc::now().format("%Y-%m-%d %H:%M")),
        scopes: vec![
            Scope::ProfileRead.as_str().into(),
            Scope::TokensRead.as_str().into(),
        ],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_scopes_never_exceed_the_owner() {
        use crate::model::rights::{Right, RightKind};
        let holding = |kind| [Right::plain(kind)].into_iter().collect::<Rights>();
        let scopes = "admin audit:read tokens:read";
        assert_eq!(
            effective_scopes(scopes, &Rights::default()).to_list(),
            "tokens:read"
        );
        assert_eq!(
            effective_scopes(scopes, &holding(RightKind::AuditRead)).to_list(),
            "tokens:read audit:read"
        );
        assert_eq!(
            effective_scopes(scopes, &holding(RightKind::Admin)).to_list(),
            "tokens:read audit:read admin"
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
        // Without a maximum, the last day is still at most 9999-12-31: later dates would be
        // stored with a sign and sort before today.
        let far = super::super::NEVER;
        assert_eq!(
            resolve_expiry(Expiry::On(far), &unlimited, today).unwrap(),
            Some(far)
        );
        let beyond = far + Duration::days(1);
        assert!(resolve_expiry(Expiry::On(beyond), &unlimited, today).is_err());
    }
}

//! Settings that govern tokens, stored in the database as one JSON value.
use chrono::Utc;
use sea_orm::{sea_query::OnConflict, ConnectionTrait, DatabaseConnection, EntityTrait, Set};

pub use crate::model::settings::TokenSettings;

use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::setting;
use crate::server::error::{Result, ServiceError};
use crate::server::rate_limits::PER_MINUTE_MAX;

const TOKENS_KEY: &str = "tokens";

/// Longest lifetime a policy may set: about a hundred years.
const LIFETIME_LIMIT_DAYS: u32 = 36_500;

/// Longest an audit log may be kept: ten years.
const AUDIT_RETENTION_LIMIT_DAYS: u32 = 3_650;

/// Expiry notices a policy may ask for.
const EXPIRY_NOTICES_MAX: usize = 5;

impl TokenSettings {
    pub fn validate(&self) -> Result<()> {
        if self.default_lifetime_days == 0 {
            return Err(ServiceError::validation(
                "default_lifetime_days",
                "The default lifetime must be at least 1 day",
            ));
        }
        if self.default_lifetime_days > LIFETIME_LIMIT_DAYS
            || self.max_lifetime_days > LIFETIME_LIMIT_DAYS
        {
            return Err(ServiceError::validation(
                "max_lifetime_days",
                format!("Lifetimes may be at most {LIFETIME_LIMIT_DAYS} days"),
            ));
        }
        if self.retention_days == 0 || self.retention_days > LIFETIME_LIMIT_DAYS {
            return Err(ServiceError::validation(
                "retention_days",
                format!("Records must be kept between 1 and {LIFETIME_LIMIT_DAYS} days"),
            ));
        }
        if !(1..=AUDIT_RETENTION_LIMIT_DAYS).contains(&self.audit_retention_days) {
            return Err(ServiceError::validation(
                "audit_retention_days",
                format!(
                    "Audit events must be kept between 1 and {AUDIT_RETENTION_LIMIT_DAYS} days"
                ),
            ));
        }
        for (field, days) in [
            ("idle_after_days", self.idle_after_days),
            ("revoke_idle_after_days", self.revoke_idle_after_days),
        ] {
            if days > LIFETIME_LIMIT_DAYS {
                return Err(ServiceError::validation(
                    field,
                    format!("Idle periods may be at most {LIFETIME_LIMIT_DAYS} days"),
                ));
            }
        }
        if self.revoke_idle_after_days != 0
            && self.idle_after_days != 0
            && self.revoke_idle_after_days < self.idle_after_days
        {
            return Err(ServiceError::validation(
                "revoke_idle_after_days",
                "Revoke idle tokens no sooner than they are flagged idle",
            ));
        }
        if self.default_rate_limit_per_minute > PER_MINUTE_MAX {
            return Err(ServiceError::validation(
                "default_rate_limit_per_minute",
                format!("A rate limit may be at most {PER_MINUTE_MAX} requests a minute"),
            ));
        }
        if self.expiry_notice_days.len() > EXPIRY_NOTICES_MAX
            || self.expiry_notice_days.iter().any(|&d| d == 0 || d > 365)
        {
            return Err(ServiceError::validation(
                "expiry_notice_days",
                format!(
                    "Expiry notices: up to {EXPIRY_NOTICES_MAX} numbers of days, each from 1 to 365"
                ),
            ));
        }
        if self.max_lifetime_days != 0 && self.default_lifetime_days > self.max_lifetime_days {
            return Err(ServiceError::validation(
                "default_lifetime_days",
                "The default lifetime cannot exceed the maximum lifetime",
            ));
        }
        Ok(())
    }
}

/// Writes one settings row, creating or replacing it.
async fn put(db: &impl ConnectionTrait, key: &str, value: String) -> Result<()> {
    setting::Entity::insert(setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key)
            .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// The settings, for the administrators' settings page and API.
#[tracing::instrument(skip_all)]
pub async fn read(db: &impl ConnectionTrait, _overseer: &Overseer) -> Result<TokenSettings> {
    load(db).await
}

/// The settings as stored (the defaults until first saved), for the rules that follow them.
#[tracing::instrument(skip_all)]
pub async fn load(db: &impl ConnectionTrait) -> Result<TokenSettings> {
    let Some(row) = setting::Entity::find_by_id(TOKENS_KEY).one(db).await? else {
        return Ok(TokenSettings::default());
    };
    serde_json::from_str(&row.value)
        .map_err(|e| ServiceError::Internal(format!("stored token settings do not parse: {e}")))
}

/// Saves validated settings; every instance sees them on its next request.
#[tracing::instrument(skip_all)]
pub async fn save(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    settings: &TokenSettings,
) -> Result<()> {
    settings.validate()?;
    let value = serde_json::to_string(settings)
        .map_err(|e| ServiceError::Internal(format!("encoding settings: {e}")))?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    put(change.db(), TOKENS_KEY, value).await?;
    let mut event = Event::by(admin.username(), Action::SettingsUpdate, TOKENS_KEY);
    event.details = serde_json::to_value(settings).ok();
    change.audit(event).await?;
    change.commit().await
}

//! The append-only audit log.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, NotSet, Set};

use crate::server::entity::audit_event;
use crate::server::error::Result;

/// One event to append. `target` is what the action was about (a username, a token number).
#[derive(Debug, Default)]
pub struct Event<'a> {
    pub actor: Option<&'a str>,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub details: Option<serde_json::Value>,
}

pub async fn record(db: &impl ConnectionTrait, event: Event<'_>) -> Result<()> {
    audit_event::ActiveModel {
        id: NotSet,
        at: Set(Utc::now()),
        actor: Set(event.actor.map(str::to_owned)),
        action: Set(event.action.to_owned()),
        target: Set(event.target.map(str::to_owned)),
        ip: Set(event.ip.map(str::to_owned)),
        details: Set(event.details.map(|d| d.to_string())),
    }
    .insert(db)
    .await?;
    Ok(())
}

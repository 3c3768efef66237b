use sea_orm::entity::prelude::*;

/// One event for one webhook: the outbox row, then its delivery state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub webhook_id: i64,
    /// `webhook-id`: the same on every attempt, so receivers can drop duplicates.
    pub message_id: String,
    pub event_type: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub next_attempt_at: DateTimeUtc,
    /// Failed attempts are retried until then (24 hours from the event or a redelivery).
    pub retry_until: DateTimeUtc,
    /// An instance sending it holds it until then.
    pub locked_until: Option<DateTimeUtc>,
    pub last_status: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

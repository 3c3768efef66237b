use sea_orm::entity::prelude::*;

/// The email an audit event (an expiry or leak notice) owes its token's owner.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "email_notices")]
pub struct Model {
    /// The event it tells of: one email per event, whichever instance claims it.
    #[sea_orm(primary_key, auto_increment = false)]
    pub audit_id: i64,
    /// None when the owner has no address (then `state` is `skipped`).
    pub recipient: Option<String>,
    /// `pending`, `sent`, `failed` or `skipped`.
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub retry_until: DateTimeUtc,
    pub locked_until: Option<DateTimeUtc>,
    /// Why the last attempt failed.
    pub error: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

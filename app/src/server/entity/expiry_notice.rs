use sea_orm::entity::prelude::*;

/// An expiry notice sent: the key lets one instance, once, send each (token, threshold).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expiry_notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_id: i64,
    /// Days before expiry; 0 is the day it expired.
    #[sea_orm(primary_key, auto_increment = false)]
    pub days: i32,
    pub sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

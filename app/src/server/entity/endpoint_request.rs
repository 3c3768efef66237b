use sea_orm::entity::prelude::*;

/// One call to an endpoint, refused ones included.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoint_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    pub at: DateTimeUtc,
    pub method: String,
    /// "POST primary", the endpoint token's name, "anonymous" or "unknown token".
    pub sender: String,
    pub endpoint_token_id: Option<i64>,
    pub status: i16,
    /// Body size in bytes.
    pub size: i64,
    pub ip: Option<String>,
    /// The record a POST stored.
    pub record_id: Option<i64>,
    /// Calls this row stands for: refused calls of one minute from one address are one row.
    pub calls: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A JSON value POSTed to an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoint_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub endpoint_id: i64,
    pub received_at: DateTimeUtc,
    /// "POST primary", the endpoint token's name, or "anonymous".
    pub sender: String,
    pub endpoint_token_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub data: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// Which of an endpoint's primaries an endpoint token may stand in for.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoint_assignments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub endpoint_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub endpoint_token_id: i64,
    pub post: bool,
    pub get: bool,
    pub delete: bool,
    pub enabled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

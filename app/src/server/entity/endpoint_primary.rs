use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoint_primaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub endpoint_id: i64,
    /// `POST`, `GET` or `DELETE`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub method: String,
    #[sea_orm(unique)]
    pub secret_digest: String,
    pub hint: String,
    pub generated_at: DateTimeUtc,
    /// The current value was shown to someone (not only drawn when tokens were switched on).
    pub issued: bool,
    /// The secret the last regeneration replaced, while it still works.
    pub previous_digest: Option<String>,
    pub previous_valid_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

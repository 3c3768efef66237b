use sea_orm::entity::prelude::*;

/// A secondary token: one per client application, assigned onto endpoints' primaries.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "endpoint_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub description: String,
    #[sea_orm(unique)]
    pub secret_digest: String,
    pub hint: String,
    pub enabled: bool,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub created_by: Option<String>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<String>,
    /// The secret the last regeneration replaced, while it still works.
    pub previous_digest: Option<String>,
    pub previous_valid_until: Option<DateTimeUtc>,
    /// CIDR ranges it may be used from, space-separated and normalised; empty for anywhere.
    pub allowed_ips: String,
    /// `enforce` or `report`.
    pub ip_policy: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

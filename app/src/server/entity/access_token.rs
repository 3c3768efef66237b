use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "access_tokens")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub description: String,
    pub owner_id: i64,
    pub issuer_id: Option<i64>,
    /// Space-separated.
    pub scopes: String,
    pub expires_at: Option<Date>,
    pub identifier: Option<String>,
    pub pass_code_hash: Option<String>,
    #[sea_orm(unique)]
    pub secret_digest: String,
    pub hint: String,
    pub created_at: DateTimeUtc,
    /// When the current secret was issued: at creation, then at each regeneration.
    pub issued_at: DateTimeUtc,
    pub created_by: Option<String>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<String>,
    pub last_used_at: Option<DateTimeUtc>,
    /// JSON array of up to 5 distinct addresses, most recent first.
    pub last_used_ips: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<String>,
    /// CIDR ranges the token may be used from, space-separated and normalised; empty for
    /// anywhere.
    pub allowed_ips: String,
    /// `enforce` or `report`.
    pub ip_policy: String,
    /// The secret the last regeneration replaced, while it still works.
    pub previous_digest: Option<String>,
    pub previous_valid_until: Option<DateTimeUtc>,
    pub previous_used_at: Option<DateTimeUtc>,
    /// JSON: the last day each scope was exercised, e.g. `{"profile:read": "2026-11-24"}`.
    pub scopes_used: Option<String>,
    /// Requests a minute this token may make; `None` leaves it to the policy default.
    pub rate_limit_per_minute: Option<i32>,
    /// The secret was given by an administrator (imported), not generated.
    pub imported: bool,
    /// Set while suspended (see `suspended_until`).
    pub suspended_at: Option<DateTimeUtc>,
    /// When a suspension ends by itself; empty with `suspended_at` set: indefinite.
    pub suspended_until: Option<DateTimeUtc>,
    pub suspended_by: Option<String>,
    /// Who set it (see `model::token::SuspensionSource`).
    pub suspension_source: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::OwnerId",
        to = "super::user::Column::Id"
    )]
    Owner,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Owner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// Its own requests-a-minute limit, if it has one.
    pub fn own_rate_limit(&self) -> Option<u32> {
        self.rate_limit_per_minute
            .and_then(|limit| u32::try_from(limit).ok())
    }
}

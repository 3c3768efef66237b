use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// Lower-cased name: unique regardless of case.
    #[sea_orm(unique)]
    pub name_key: String,
    pub description: String,
    /// Administrators and Auditors: never deleted or renamed, rights fixed.
    pub builtin: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::group_right::Entity")]
    Right,
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::group_right::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Right.def()
    }
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

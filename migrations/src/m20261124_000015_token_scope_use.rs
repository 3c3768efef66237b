use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The last day each scope of a token was exercised, as a JSON object (`{"profile:read":
/// "2026-11-24"}`), written with the batched last use.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .add_column(text_null(AccessTokens::ScopesUsed))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .drop_column(AccessTokens::ScopesUsed)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    ScopesUsed,
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A token's own requests-per-minute limit; null leaves it to the policy default.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .add_column(integer_null(AccessTokens::RateLimitPerMinute))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .drop_column(AccessTokens::RateLimitPerMinute)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    RateLimitPerMinute,
}

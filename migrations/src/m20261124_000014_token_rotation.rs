use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Rotation with an overlap: the secret a regeneration replaced keeps working until
/// `previous_valid_until`, and its last use is recorded apart.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string_len_null(AccessTokens::PreviousDigest, 64),
            timestamp_with_time_zone_null(AccessTokens::PreviousValidUntil),
            timestamp_with_time_zone_null(AccessTokens::PreviousUsedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessTokens::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_access_tokens_previous_digest")
                    .table(AccessTokens::Table)
                    .col(AccessTokens::PreviousDigest)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_access_tokens_previous_digest")
                    .table(AccessTokens::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            AccessTokens::PreviousDigest,
            AccessTokens::PreviousValidUntil,
            AccessTokens::PreviousUsedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AccessTokens::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    PreviousDigest,
    PreviousValidUntil,
    PreviousUsedAt,
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Where each access token may be used from: CIDR ranges (space-separated, normalised; empty
/// for anywhere) and whether a call from elsewhere is refused or only reported.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .add_column(text(AccessTokens::AllowedIps).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .add_column(string_len(AccessTokens::IpPolicy, 16).default("enforce"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [AccessTokens::AllowedIps, AccessTokens::IpPolicy] {
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
    AllowedIps,
    IpPolicy,
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Endpoint primaries and endpoint tokens rotate with an overlap like access tokens (the
/// replaced secret's digest, and until when it works); endpoint tokens get an IP allowlist.
/// One column per statement: SQLite alters no more at a time.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (
                EndpointPrimaries::Table.into_iden(),
                string_len_null(Column::PreviousDigest, 64),
            ),
            (
                EndpointPrimaries::Table.into_iden(),
                timestamp_with_time_zone_null(Column::PreviousValidUntil),
            ),
            (
                EndpointTokens::Table.into_iden(),
                string_len_null(Column::PreviousDigest, 64),
            ),
            (
                EndpointTokens::Table.into_iden(),
                timestamp_with_time_zone_null(Column::PreviousValidUntil),
            ),
            (
                EndpointTokens::Table.into_iden(),
                text(Column::AllowedIps).default("").to_owned(),
            ),
            (
                EndpointTokens::Table.into_iden(),
                string_len(Column::IpPolicy, 16)
                    .default("enforce")
                    .to_owned(),
            ),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            (EndpointPrimaries::Table.into_iden(), Column::PreviousDigest),
            (
                EndpointPrimaries::Table.into_iden(),
                Column::PreviousValidUntil,
            ),
            (EndpointTokens::Table.into_iden(), Column::PreviousDigest),
            (
                EndpointTokens::Table.into_iden(),
                Column::PreviousValidUntil,
            ),
            (EndpointTokens::Table.into_iden(), Column::AllowedIps),
            (EndpointTokens::Table.into_iden(), Column::IpPolicy),
        ];
        for (table, column) in columns {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum EndpointPrimaries {
    Table,
}

#[derive(DeriveIden)]
enum EndpointTokens {
    Table,
}

#[derive(DeriveIden)]
enum Column {
    PreviousDigest,
    PreviousValidUntil,
    AllowedIps,
    IpPolicy,
}

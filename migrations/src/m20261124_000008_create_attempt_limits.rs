use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Attempts counted per key (a username, a client address, a token) in a fixed window.
/// An attempt is reserved here with one conditional update before the expensive check, so
/// the limit holds whatever the parallelism and across instances.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AttemptLimits::Table)
                    .col(string_len(AttemptLimits::Key, 200).primary_key())
                    .col(big_integer(AttemptLimits::WindowStart))
                    .col(integer(AttemptLimits::Attempts))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AttemptLimits::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AttemptLimits {
    Table,
    Key,
    WindowStart,
    Attempts,
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Refused calls are logged one row per (endpoint, status, sender, client address, minute)
/// with how many there were, so a flood of refusals costs a row a minute, not a row a call.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EndpointRequests::Table)
                    .add_column(integer(EndpointRequests::Calls).default(1))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EndpointRequests::Table)
                    .drop_column(EndpointRequests::Calls)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum EndpointRequests {
    Table,
    Calls,
}

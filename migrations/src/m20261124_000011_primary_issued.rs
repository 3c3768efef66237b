use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Whether a primary's current value was ever shown. One drawn when the endpoint switched to
/// tokens was never shown, so nobody can be using it: replacing it needs no confirmation.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EndpointPrimaries::Table)
                    // Existing values may be in use: counted as shown.
                    .add_column(boolean(EndpointPrimaries::Issued).default(true))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(EndpointPrimaries::Table)
                    .drop_column(EndpointPrimaries::Issued)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum EndpointPrimaries {
    Table,
    Issued,
}

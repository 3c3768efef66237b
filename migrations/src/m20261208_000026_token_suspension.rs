use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Suspension (CRM.COM's Effective ⇄ Not effective): a token refused until it is resumed
/// or its time comes, with the same secret afterwards. `suspended_at` set and
/// `suspended_until` empty is indefinite; `suspended_by` names who, `suspension_source`
/// whether the owner (who may lift it) or someone above them set it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut suspended_at = ColumnDef::new(AccessTokens::SuspendedAt);
        let mut suspended_until = ColumnDef::new(AccessTokens::SuspendedUntil);
        let mut suspended_by = ColumnDef::new(AccessTokens::SuspendedBy);
        let mut source = ColumnDef::new(AccessTokens::SuspensionSource);
        for column in [
            suspended_at.timestamp_with_time_zone().null(),
            suspended_until.timestamp_with_time_zone().null(),
            suspended_by.string().null(),
            source.string_len(16).null(),
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            AccessTokens::SuspensionSource,
            AccessTokens::SuspendedBy,
            AccessTokens::SuspendedUntil,
            AccessTokens::SuspendedAt,
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

#[derive(DeriveIden, Clone, Copy)]
enum AccessTokens {
    Table,
    SuspendedAt,
    SuspendedUntil,
    SuspendedBy,
    SuspensionSource,
}

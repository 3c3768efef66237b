use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Refused requests are audited one row per (action, code, credential, client address,
/// minute) with how many there were: `refusal_key` names that bucket (unique, so instances
/// refusing at once add to one row), `count` says how many. Other events keep a NULL key
/// and a count of 1. Audit events are purged by age, hence the index on `at`.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(big_integer(AuditEvents::Count).default(1))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AuditEvents::Table)
                    .add_column(string_len_null(AuditEvents::RefusalKey, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_refusal_key")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::RefusalKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_events_at")
                    .table(AuditEvents::Table)
                    .col(AuditEvents::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for index in ["idx_audit_events_at", "idx_audit_events_refusal_key"] {
            manager
                .drop_index(
                    Index::drop()
                        .name(index)
                        .table(AuditEvents::Table)
                        .to_owned(),
                )
                .await?;
        }
        for column in [AuditEvents::RefusalKey, AuditEvents::Count] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AuditEvents::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    At,
    Count,
    RefusalKey,
}

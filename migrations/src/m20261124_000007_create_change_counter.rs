use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// One row counting every change that can alter a verification. Each change increments it
/// in its own transaction: the row lock orders concurrent changes (on PostgreSQL as on
/// SQLite) and no increment is lost, which the random generation value it replaces could.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ChangeCounter::Table)
                    .col(integer(ChangeCounter::Id).primary_key())
                    .col(big_integer(ChangeCounter::Value))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ChangeCounter::Table)
                    .columns([ChangeCounter::Id, ChangeCounter::Value])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::delete()
                    .from_table(Settings::Table)
                    .and_where(Expr::col(Settings::Key).eq("cache_generation"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ChangeCounter::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ChangeCounter {
    Table,
    Id,
    Value,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
}

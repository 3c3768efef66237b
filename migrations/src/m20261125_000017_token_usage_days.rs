use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Calls per token per day (UTC), added to with the batched last use: the token page's chart
/// of requests per day, without a row per request. No foreign key: a flush racing a delete
/// must not fail for it; deleting a token deletes its days, and the hourly purge the rest.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TokenUsageDays::Table)
                    .col(big_integer(TokenUsageDays::TokenId))
                    .col(date(TokenUsageDays::Day))
                    .col(big_integer(TokenUsageDays::Requests))
                    .primary_key(
                        Index::create()
                            .col(TokenUsageDays::TokenId)
                            .col(TokenUsageDays::Day),
                    )
                    .to_owned(),
            )
            .await?;
        // The hourly purge finds old days by date alone.
        manager
            .create_index(
                Index::create()
                    .name("idx_token_usage_days_day")
                    .table(TokenUsageDays::Table)
                    .col(TokenUsageDays::Day)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TokenUsageDays::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TokenUsageDays {
    Table,
    TokenId,
    Day,
    Requests,
}

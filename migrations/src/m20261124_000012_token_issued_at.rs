use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// When each access token's current secret was issued (creation, or the last regeneration):
/// "revoke every token issued before …" asks about the secret, not the record.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    // SQLite adds a NOT NULL column only with a constant default; every
                    // existing row gets its real value just below.
                    .add_column(
                        timestamp_with_time_zone(AccessTokens::IssuedAt)
                            .default("1970-01-01 00:00:00+00:00"),
                    )
                    .to_owned(),
            )
            .await?;
        // A secret regenerated before this migration is counted from its token's creation:
        // older than it is, so a cut-off revokes it rather than sparing it.
        manager
            .exec_stmt(
                Query::update()
                    .table(AccessTokens::Table)
                    .value(AccessTokens::IssuedAt, Expr::col(AccessTokens::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_access_tokens_issued_at")
                    .table(AccessTokens::Table)
                    .col(AccessTokens::IssuedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_access_tokens_issued_at")
                    .table(AccessTokens::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AccessTokens::Table)
                    .drop_column(AccessTokens::IssuedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    IssuedAt,
    CreatedAt,
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccessTokens::Table)
                    // Autoincrement ids are never reused; the number AT-000001 is derived from them.
                    .col(big_pk_auto(AccessTokens::Id))
                    .col(string_len(AccessTokens::Name, 200))
                    .col(text(AccessTokens::Description))
                    .col(big_integer(AccessTokens::OwnerId))
                    .col(big_integer_null(AccessTokens::IssuerId))
                    .col(text(AccessTokens::Scopes))
                    .col(date_null(AccessTokens::ExpiresAt))
                    .col(string_len_null(AccessTokens::Identifier, 200))
                    .col(string_null(AccessTokens::PassCodeHash))
                    // Hex SHA-256 of the secret: the only form in which it is kept.
                    .col(string_len_uniq(AccessTokens::SecretDigest, 64))
                    .col(string_len(AccessTokens::Hint, 32))
                    .col(timestamp_with_time_zone(AccessTokens::CreatedAt))
                    .col(string_len_null(AccessTokens::CreatedBy, 64))
                    .col(timestamp_with_time_zone(AccessTokens::UpdatedAt))
                    .col(string_len_null(AccessTokens::UpdatedBy, 64))
                    .col(timestamp_with_time_zone_null(AccessTokens::LastUsedAt))
                    .col(text_null(AccessTokens::LastUsedIps))
                    .col(timestamp_with_time_zone_null(AccessTokens::RevokedAt))
                    .col(string_len_null(AccessTokens::RevokedBy, 64))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AccessTokens::Table, AccessTokens::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Keyset pagination per owner, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_access_tokens_owner_id_id")
                    .table(AccessTokens::Table)
                    .col(AccessTokens::OwnerId)
                    .col(AccessTokens::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccessTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AccessTokens {
    Table,
    Id,
    Name,
    Description,
    OwnerId,
    IssuerId,
    Scopes,
    ExpiresAt,
    Identifier,
    PassCodeHash,
    SecretDigest,
    Hint,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    UpdatedBy,
    LastUsedAt,
    LastUsedIps,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

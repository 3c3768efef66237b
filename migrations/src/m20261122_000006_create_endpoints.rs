use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Endpoints::Table)
                    .col(big_pk_auto(Endpoints::Id))
                    .col(string_len(Endpoints::Name, 200))
                    .col(string_len_uniq(Endpoints::Path, 64))
                    .col(text(Endpoints::Description))
                    // "none" or "token".
                    .col(string_len(Endpoints::AuthType, 8))
                    .col(boolean(Endpoints::AllowDeleting))
                    .col(timestamp_with_time_zone(Endpoints::CreatedAt))
                    .col(string_len_null(Endpoints::CreatedBy, 64))
                    .col(timestamp_with_time_zone(Endpoints::UpdatedAt))
                    .col(string_len_null(Endpoints::UpdatedBy, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndpointPrimaries::Table)
                    .col(big_integer(EndpointPrimaries::EndpointId))
                    // "POST", "GET" or "DELETE".
                    .col(string_len(EndpointPrimaries::Method, 8))
                    .col(string_len_uniq(EndpointPrimaries::SecretDigest, 64))
                    .col(string_len(EndpointPrimaries::Hint, 32))
                    .col(timestamp_with_time_zone(EndpointPrimaries::GeneratedAt))
                    .primary_key(
                        Index::create()
                            .col(EndpointPrimaries::EndpointId)
                            .col(EndpointPrimaries::Method),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointPrimaries::Table, EndpointPrimaries::EndpointId)
                            .to(Endpoints::Table, Endpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndpointTokens::Table)
                    .col(big_pk_auto(EndpointTokens::Id))
                    .col(string_len(EndpointTokens::Name, 200))
                    .col(text(EndpointTokens::Description))
                    .col(string_len_uniq(EndpointTokens::SecretDigest, 64))
                    .col(string_len(EndpointTokens::Hint, 32))
                    .col(boolean(EndpointTokens::Enabled))
                    .col(boolean(EndpointTokens::Active))
                    .col(timestamp_with_time_zone(EndpointTokens::CreatedAt))
                    .col(string_len_null(EndpointTokens::CreatedBy, 64))
                    .col(timestamp_with_time_zone(EndpointTokens::UpdatedAt))
                    .col(string_len_null(EndpointTokens::UpdatedBy, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndpointAssignments::Table)
                    .col(big_integer(EndpointAssignments::EndpointId))
                    .col(big_integer(EndpointAssignments::EndpointTokenId))
                    .col(boolean(EndpointAssignments::Post))
                    .col(boolean(EndpointAssignments::Get))
                    .col(boolean(EndpointAssignments::Delete))
                    .col(boolean(EndpointAssignments::Enabled))
                    .primary_key(
                        Index::create()
                            .col(EndpointAssignments::EndpointId)
                            .col(EndpointAssignments::EndpointTokenId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointAssignments::Table, EndpointAssignments::EndpointId)
                            .to(Endpoints::Table, Endpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(
                                EndpointAssignments::Table,
                                EndpointAssignments::EndpointTokenId,
                            )
                            .to(EndpointTokens::Table, EndpointTokens::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndpointRecords::Table)
                    .col(big_pk_auto(EndpointRecords::Id))
                    .col(big_integer(EndpointRecords::EndpointId))
                    .col(timestamp_with_time_zone(EndpointRecords::ReceivedAt))
                    // Who sent it: "POST primary", an endpoint token's name, or "anonymous".
                    .col(string_len(EndpointRecords::Sender, 200))
                    .col(big_integer_null(EndpointRecords::EndpointTokenId))
                    .col(text(EndpointRecords::Data))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointRecords::Table, EndpointRecords::EndpointId)
                            .to(Endpoints::Table, Endpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_endpoint_records_endpoint_id_id")
                    .table(EndpointRecords::Table)
                    .col(EndpointRecords::EndpointId)
                    .col(EndpointRecords::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EndpointRequests::Table)
                    .col(big_pk_auto(EndpointRequests::Id))
                    .col(big_integer(EndpointRequests::EndpointId))
                    .col(timestamp_with_time_zone(EndpointRequests::At))
                    .col(string_len(EndpointRequests::Method, 8))
                    .col(string_len(EndpointRequests::Sender, 200))
                    .col(big_integer_null(EndpointRequests::EndpointTokenId))
                    .col(small_integer(EndpointRequests::Status))
                    .col(big_integer(EndpointRequests::Size))
                    .col(string_len_null(EndpointRequests::Ip, 64))
                    // The record a POST stored, for "View JSON" in the data viewer.
                    .col(big_integer_null(EndpointRequests::RecordId))
                    .foreign_key(
                        ForeignKey::create()
                            .from(EndpointRequests::Table, EndpointRequests::EndpointId)
                            .to(Endpoints::Table, Endpoints::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_endpoint_requests_endpoint_id_at")
                    .table(EndpointRequests::Table)
                    .col(EndpointRequests::EndpointId)
                    .col(EndpointRequests::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EndpointRequests::Table.into_iden(),
            EndpointRecords::Table.into_iden(),
            EndpointAssignments::Table.into_iden(),
            EndpointTokens::Table.into_iden(),
            EndpointPrimaries::Table.into_iden(),
            Endpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Endpoints {
    Table,
    Id,
    Name,
    Path,
    Description,
    AuthType,
    AllowDeleting,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum EndpointPrimaries {
    Table,
    EndpointId,
    Method,
    SecretDigest,
    Hint,
    GeneratedAt,
}

#[derive(DeriveIden)]
enum EndpointTokens {
    Table,
    Id,
    Name,
    Description,
    SecretDigest,
    Hint,
    Enabled,
    Active,
    CreatedAt,
    CreatedBy,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum EndpointAssignments {
    Table,
    EndpointId,
    EndpointTokenId,
    Post,
    Get,
    Delete,
    Enabled,
}

#[derive(DeriveIden)]
enum EndpointRecords {
    Table,
    Id,
    EndpointId,
    ReceivedAt,
    Sender,
    EndpointTokenId,
    Data,
}

#[derive(DeriveIden)]
enum EndpointRequests {
    Table,
    Id,
    EndpointId,
    At,
    Method,
    Sender,
    EndpointTokenId,
    Status,
    Size,
    Ip,
    RecordId,
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Webhooks and their outbox: one delivery row per webhook and event, written in the
/// transaction of the change that caused it, then sent (and retried) by any instance; every
/// attempt is kept for the delivery log. And the expiry notices already sent, one row per
/// token and threshold, whose primary key lets only one instance send each; and the emails
/// those notices owe their owners, one row per audit event, claimed the same way.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(pk_auto(Webhooks::Id).big_integer())
                    .col(string(Webhooks::Url))
                    .col(string(Webhooks::Secret))
                    .col(text(Webhooks::Events))
                    .col(boolean(Webhooks::Enabled))
                    .col(string_null(Webhooks::DisabledReason))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(pk_auto(WebhookDeliveries::Id).big_integer())
                    .col(big_integer(WebhookDeliveries::WebhookId))
                    .col(string(WebhookDeliveries::MessageId))
                    .col(string(WebhookDeliveries::EventType))
                    .col(text(WebhookDeliveries::Payload))
                    .col(string(WebhookDeliveries::State))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone(WebhookDeliveries::RetryUntil))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LockedUntil,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatus))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::WebhookId)
                            .to(Webhooks::Table, Webhooks::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The worker's question: what is pending and due.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_due")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::State)
                    .col(WebhookDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // The delivery log: one webhook's, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_webhook")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookAttempts::Table)
                    .col(pk_auto(WebhookAttempts::Id).big_integer())
                    .col(big_integer(WebhookAttempts::DeliveryId))
                    .col(timestamp_with_time_zone(WebhookAttempts::At))
                    .col(integer_null(WebhookAttempts::Status))
                    .col(string_null(WebhookAttempts::Error))
                    .col(big_integer(WebhookAttempts::DurationMs))
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookAttempts::Table, WebhookAttempts::DeliveryId)
                            .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_attempts_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailNotices::Table)
                    .col(big_integer(EmailNotices::AuditId).primary_key())
                    .col(string_null(EmailNotices::Recipient))
                    .col(string(EmailNotices::State))
                    .col(integer(EmailNotices::Attempts))
                    .col(timestamp_with_time_zone(EmailNotices::NextAttemptAt))
                    .col(timestamp_with_time_zone(EmailNotices::RetryUntil))
                    .col(timestamp_with_time_zone_null(EmailNotices::LockedUntil))
                    .col(string_null(EmailNotices::Error))
                    .to_owned(),
            )
            .await?;
        // The mailer's question, as for webhooks: what is pending and due.
        manager
            .create_index(
                Index::create()
                    .name("idx_email_notices_due")
                    .table(EmailNotices::Table)
                    .col(EmailNotices::State)
                    .col(EmailNotices::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ExpiryNotices::Table)
                    .col(big_integer(ExpiryNotices::TokenId))
                    .col(integer(ExpiryNotices::Days))
                    .col(timestamp_with_time_zone(ExpiryNotices::SentAt))
                    .primary_key(
                        Index::create()
                            .col(ExpiryNotices::TokenId)
                            .col(ExpiryNotices::Days),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            EmailNotices::Table.into_iden(),
            ExpiryNotices::Table.into_iden(),
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            Webhooks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Secret,
    Events,
    Enabled,
    DisabledReason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    MessageId,
    EventType,
    Payload,
    State,
    Attempts,
    CreatedAt,
    NextAttemptAt,
    RetryUntil,
    LockedUntil,
    LastStatus,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    At,
    Status,
    Error,
    DurationMs,
}

#[derive(DeriveIden)]
enum ExpiryNotices {
    Table,
    TokenId,
    Days,
    SentAt,
}

#[derive(DeriveIden)]
enum EmailNotices {
    Table,
    AuditId,
    Recipient,
    State,
    Attempts,
    NextAttemptAt,
    RetryUntil,
    LockedUntil,
    Error,
}

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The token list's sorts by expiry and by last use, served by an index each, so that a page
/// costs the same at a million tokens as at a hundred. The expressions are the list's sort
/// keys exactly (`app/src/server/service/tokens/listing.rs`): a planner uses an expression
/// index only for the same expression, stand-ins for "never" included.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (expiry, last_use) = match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => (
                "COALESCE(expires_at, '9999-12-31'::date)",
                "COALESCE(last_used_at, '1970-01-01T00:00:00+00:00'::timestamptz)",
            ),
            _ => (
                "COALESCE(expires_at, '9999-12-31')",
                "COALESCE(last_used_at, '1970-01-01T00:00:00+00:00')",
            ),
        };
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX idx_access_tokens_expiry ON access_tokens (({expiry}), id)"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX idx_access_tokens_last_use ON access_tokens (({last_use}), id)"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_access_tokens_expiry")
            .await?;
        db.execute_unprepared("DROP INDEX idx_access_tokens_last_use")
            .await?;
        Ok(())
    }
}

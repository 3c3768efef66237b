use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What each username looks like (Unicode TR39's skeleton), so that a new username that
/// looks like an existing one is refused. Text without a length: a skeleton may be several
/// times longer than its name (a Hangul syllable becomes three letters and more). Filled by the server at start for the users
/// created before it (the rule is Tessera's, not SQL's).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE users ADD COLUMN username_skeleton TEXT")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX idx_users_username_skeleton ON users (username_skeleton)",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_users_username_skeleton")
            .await?;
        db.execute_unprepared("ALTER TABLE users DROP COLUMN username_skeleton")
            .await?;
        Ok(())
    }
}

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A trigram index over token names, so that a search for a rare part of a name
/// (`LIKE '%grafana 4242%'`) reads the few tokens that hold it instead of every token.
/// SQLite: an FTS5 table with the trigram tokenizer, kept by triggers in the transaction of
/// each change. PostgreSQL: a GIN index with `pg_trgm` on `lower(name)`, the list's own
/// expression; where the extension cannot be installed, the list searches without it.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => {
                // Refused where the role may not install it, where the server has no contrib
                // package, or where a managed service does not allow it: Tessera then runs
                // without the index rather than not at all.
                db.execute_unprepared(
                    "DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; \
                     EXCEPTION WHEN others THEN \
                       RAISE NOTICE 'pg_trgm is not available: %', SQLERRM; \
                     END $$",
                )
                .await?;
                // The operator class named by the schema the extension lives in, which need
                // not be on the search path.
                let schema = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DatabaseBackend::Postgres,
                        "SELECT quote_ident(n.nspname) AS schema FROM pg_extension e \
                         JOIN pg_namespace n ON n.oid = e.extnamespace \
                         WHERE e.extname = 'pg_trgm'",
                    ))
                    .await?
                    .map(|row| row.try_get::<String>("", "schema"))
                    .transpose()?;
                if let Some(schema) = schema {
                    db.execute_unprepared(&format!(
                        "CREATE INDEX idx_access_tokens_name_trgm \
                         ON access_tokens USING gin (lower(name) {schema}.gin_trgm_ops)"
                    ))
                    .await?;
                }
            }
            _ => {
                // The table keeps its own copy of each name (not `content=`): a stale row
                // can then be deleted by its rowid alone, whatever the name was.
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE access_token_names \
                     USING fts5(name, tokenize = 'trigram')",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER access_token_names_insert AFTER INSERT ON access_tokens \
                     BEGIN \
                       DELETE FROM access_token_names WHERE rowid = new.id; \
                       INSERT INTO access_token_names (rowid, name) VALUES (new.id, new.name); \
                     END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER access_token_names_update \
                     AFTER UPDATE OF name ON access_tokens \
                     BEGIN \
                       DELETE FROM access_token_names WHERE rowid = old.id; \
                       INSERT INTO access_token_names (rowid, name) VALUES (new.id, new.name); \
                     END",
                )
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER access_token_names_delete AFTER DELETE ON access_tokens \
                     BEGIN \
                       DELETE FROM access_token_names WHERE rowid = old.id; \
                     END",
                )
                .await?;
                db.execute_unprepared(
                    "INSERT INTO access_token_names (rowid, name) \
                     SELECT id, name FROM access_tokens",
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            // The extension stays: other tables may use it.
            sea_orm::DatabaseBackend::Postgres => {
                db.execute_unprepared("DROP INDEX IF EXISTS idx_access_tokens_name_trgm")
                    .await?;
            }
            _ => {
                for trigger in ["insert", "update", "delete"] {
                    db.execute_unprepared(&format!("DROP TRIGGER access_token_names_{trigger}"))
                        .await?;
                }
                db.execute_unprepared("DROP TABLE access_token_names")
                    .await?;
            }
        }
        Ok(())
    }
}

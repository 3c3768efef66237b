use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Groups become more than Administrators: a case-insensitive unique name, a description,
/// the built-in flag, and rights (`group_rights`). The existing Administrators group, and
/// with it every administrator's membership, stays as it is and gains the `admin` right;
/// Auditors (`audit:read`) is new. A right without a target stores the empty string, so
/// that the unique index also refuses a repeated untargeted right (NULLs never collide).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in [
            "ALTER TABLE groups ADD COLUMN name_key VARCHAR(100) NOT NULL DEFAULT ''",
            "ALTER TABLE groups ADD COLUMN description TEXT NOT NULL DEFAULT ''",
            "ALTER TABLE groups ADD COLUMN builtin BOOLEAN NOT NULL DEFAULT FALSE",
            "UPDATE groups SET name_key = LOWER(name)",
            "UPDATE groups SET builtin = TRUE, description = 'Members may do everything.' \
             WHERE name = 'Administrators'",
            "CREATE UNIQUE INDEX idx_groups_name_key ON groups (name_key)",
            "INSERT INTO groups (name, name_key, description, builtin) VALUES ('Auditors', \
             'auditors', 'Members read every administrators'' list and detail and change \
             nothing.', TRUE)",
        ] {
            db.execute_unprepared(statement).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(GroupRights::Table)
                    .col(
                        ColumnDef::new(GroupRights::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(GroupRights::GroupId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(GroupRights::Right).string_len(32).not_null())
                    .col(
                        ColumnDef::new(GroupRights::Target)
                            .string_len(200)
                            .not_null()
                            .default(""),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(GroupRights::Table, GroupRights::GroupId)
                            .to(Groups::Table, Groups::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .index(
                        Index::create()
                            .name("idx_group_rights_unique")
                            .col(GroupRights::GroupId)
                            .col(GroupRights::Right)
                            .col(GroupRights::Target)
                            .unique(),
                    )
                    .to_owned(),
            )
            .await?;
        for (group, right) in [("Administrators", "admin"), ("Auditors", "audit:read")] {
            db.execute_unprepared(&format!(
                "INSERT INTO group_rights (group_id, \"right\", target) \
                 SELECT id, '{right}', '' FROM groups WHERE name = '{group}'"
            ))
            .await?;
        }
        // Who holds a right is read per user on every cache fill.
        db.execute_unprepared("CREATE INDEX idx_memberships_group ON memberships (group_id)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_memberships_group")
            .await?;
        manager
            .drop_table(Table::drop().table(GroupRights::Table).to_owned())
            .await?;
        for statement in [
            "DELETE FROM groups WHERE name <> 'Administrators'",
            "DROP INDEX idx_groups_name_key",
            "ALTER TABLE groups DROP COLUMN builtin",
            "ALTER TABLE groups DROP COLUMN description",
            "ALTER TABLE groups DROP COLUMN name_key",
        ] {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Groups {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum GroupRights {
    Table,
    Id,
    GroupId,
    Right,
    Target,
}

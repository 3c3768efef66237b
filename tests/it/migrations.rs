use migration::{Migrator, MigratorTrait};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(migrations_go_up_down_and_up_again);

async fn migrations_go_up_down_and_up_again(backend: Backend) {
    let db = TestDb::new(backend).await;
    let conn = db.connect().await;
    Migrator::down(&conn, None).await.expect("down");
    assert!(Migrator::get_applied_migrations(&conn)
        .await
        .unwrap()
        .is_empty());
    Migrator::up(&conn, None).await.expect("up again");
    assert_eq!(
        Migrator::get_applied_migrations(&conn).await.unwrap().len(),
        Migrator::migrations().len()
    );
}

on_both_backends!(tokens_made_before_issued_at_count_from_their_creation);

/// Migration 12 on a database with tokens: each gets `issued_at` = its `created_at`, so a
/// cut-off between two old tokens' creations revokes exactly the older one.
async fn tokens_made_before_issued_at_count_from_their_creation(backend: Backend) {
    use sea_orm::sea_query::{Alias, Query};
    use sea_orm::{ConnectionTrait, EntityTrait};

    let db = TestDb::new(backend).await;
    // A server once, for its bootstrap administrator to own the old tokens.
    let app = TestApp::spawn(&db).await;
    let owner = app.user_id("admin").await;
    app.stop().await;
    let conn = db.connect().await;
    // Back to before migration 12 (issued_at) and every later one.
    let later = u32::try_from(Migrator::migrations().len() - 11).unwrap();
    Migrator::down(&conn, Some(later))
        .await
        .expect("down to 11");
    let created = [
        chrono::Utc::now() - chrono::Duration::days(400),
        chrono::Utc::now() - chrono::Duration::days(3),
    ];
    for (i, at) in created.iter().enumerate() {
        let insert = Query::insert()
            .into_table(Alias::new("access_tokens"))
            .columns(
                [
                    "name",
                    "description",
                    "owner_id",
                    "scopes",
                    "secret_digest",
                    "hint",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                format!("old {i}").into(),
                "".into(),
                owner.into(),
                "profile:read".into(),
                format!("{i:064x}").into(),
                "tsr_…".into(),
                (*at).into(),
                (*at).into(),
            ])
            .to_owned();
        conn.execute(&insert).await.expect("an old token");
    }
    Migrator::up(&conn, None).await.expect("up");

    let tokens = app::server::entity::access_token::Entity::find()
        .all(&conn)
        .await
        .unwrap();
    assert_eq!(tokens.len(), 2);
    for token in &tokens {
        assert_eq!(token.issued_at, token.created_at, "{}", token.name);
        assert_eq!(token.allowed_ips, "");
        assert_eq!(token.ip_policy, "enforce");
    }
    let cutoff = chrono::Utc::now() - chrono::Duration::days(30);
    let older: Vec<_> = tokens.iter().filter(|t| t.issued_at < cutoff).collect();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].name, "old 0");
}

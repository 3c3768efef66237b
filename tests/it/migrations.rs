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
on_both_backends!(administrators_keep_their_power_through_the_groups_migration);

/// Migration 25 on a database made before it, with two administrators and a user: both
/// administrators hold `admin` afterwards (their tokens keep working), the user holds
/// nothing, and Auditors exists; down and up again changes none of it.
async fn administrators_keep_their_power_through_the_groups_migration(backend: Backend) {
    use app::server::entity::group;
    use sea_orm::{EntityTrait, QueryOrder};

    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("ada", true).await;
    app.create_user("bob", false).await;
    let ids = [
        app.user_id("admin").await,
        app.user_id("ada").await,
        app.user_id("bob").await,
    ];
    let token = app.issue("ada", &["admin"]).await.secret;
    app.stop().await;
    let conn = db.connect().await;
    // Back to before migration 25 and every later one.
    let later = u32::try_from(Migrator::migrations().len() - 24).unwrap();
    for _ in 0..2 {
        Migrator::down(&conn, Some(later))
            .await
            .expect("down to 24");
        let names: Vec<String> = sea_orm::ConnectionTrait::query_all_raw(
            &conn,
            sea_orm::Statement::from_string(conn.get_database_backend(), "SELECT name FROM groups"),
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect();
        assert_eq!(names, ["Administrators"], "as before migration 25");
        Migrator::up(&conn, None).await.expect("up");
        let mut held = Vec::new();
        for id in ids {
            held.push(is_admin(&conn, id).await);
        }
        assert_eq!(held, [true, true, false]);
        let groups = group::Entity::find()
            .order_by_asc(group::Column::Id)
            .all(&conn)
            .await
            .unwrap();
        let builtin: Vec<(&str, bool)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.builtin))
            .collect();
        assert_eq!(builtin, [("Administrators", true), ("Auditors", true)]);
    }
    let app = TestApp::spawn(&db).await;
    let (status, answer) = app
        .call(reqwest::Method::GET, "/api/v1/admin/users", &token, None)
        .await;
    assert_eq!(status, 200, "{answer}");
    app.stop().await;
}

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

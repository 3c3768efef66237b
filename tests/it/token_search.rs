//! The token list's text search (`q`): the same answer whether the name index (migration
//! 21) serves it or the list scans, kept current by every change to a name, and deaf to the
//! index's own query language.
use app::model::token::{number, TokenEdit};
use app::server::authz::{Admin, Reach};
use app::server::error::ServiceError;
use app::server::service::tokens::{self, NewToken, TokenQuery};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_search_finds_parts_of_names_and_owners_through_the_index,
    a_word_too_common_for_the_index_gives_the_same_answer,
    tokens_named_before_the_index_are_found
);

/// The ids of every token `q` finds, newest first, after checking that the total agrees.
async fn found(db: &DatabaseConnection, admin: &Admin, q: &str) -> Vec<i64> {
    let query = TokenQuery {
        text: Some(q.into()),
        limit: Some(200),
        ..Default::default()
    };
    let reach = Reach::Any(admin);
    let page = tokens::list(db, reach, query.clone()).await.expect("list");
    assert!(page.next_cursor.is_none(), "{q}: one page");
    let ids: Vec<i64> = page.items.iter().map(|t| t.id).collect();
    let total = tokens::count(db, reach, query).await.expect("count");
    assert_eq!(total, ids.len() as u64, "{q}: the total is the list's");
    ids
}

async fn named(app: &TestApp, owner: &str, name: &str) -> i64 {
    app.issue_with(
        owner,
        NewToken {
            name: name.into(),
            scopes: vec!["profile:read".into()],
            ..Default::default()
        },
    )
    .await
    .token
    .id
}

async fn a_search_finds_parts_of_names_and_owners_through_the_index(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("ops-bob", false).await;
    let admin = app.admin().await;
    let reader = named(&app, "admin", "Grafana 4242 reader").await;
    let backup = named(&app, "admin", "grafana 42420 backup").await;
    let literal = named(&app, "admin", r"deploy 100%_done\x").await;
    let quoted = named(&app, "admin", r#"say "hi" now"#).await;
    let cafe = named(&app, "admin", "Café sync").await;
    let bobs = named(&app, "ops-bob", "billing").await;
    let db = &app.db;

    assert_eq!(found(db, &admin, "grafana 4242").await, [backup, reader]);
    assert_eq!(found(db, &admin, "GRAFANA 4242 R").await, [reader]);
    assert_eq!(found(db, &admin, "  4242 ").await, [backup, reader]);
    // Fewer than three characters: no trigram to look up, the list scans.
    assert_eq!(found(db, &admin, "42").await, [backup, reader]);
    // The owner's username, and the number, as before.
    assert_eq!(found(db, &admin, "ops-b").await, [bobs]);
    assert_eq!(found(db, &admin, &number(cafe)).await, [cafe]);
    assert_eq!(found(db, &admin, "afé s").await, [cafe]);
    // What LIKE and the index's query language treat as special matches itself only.
    assert_eq!(found(db, &admin, "0%_d").await, [literal]);
    assert_eq!(found(db, &admin, r"e\x").await, [literal]);
    assert_eq!(found(db, &admin, "%_%").await, Vec::<i64>::new());
    assert_eq!(found(db, &admin, r#""hi""#).await, [quoted]);
    assert_eq!(found(db, &admin, r#"say "hi"#).await, [quoted]);
    for attempt in [
        r#"say" OR "now"#,
        r#"""""#,
        "gra* OR bil*",
        "NEAR(grafana billing)",
        "name:grafana",
        "grafana AND billing",
        "^grafana",
    ] {
        assert_eq!(
            found(db, &admin, attempt).await,
            Vec::<i64>::new(),
            "{attempt}"
        );
    }

    // A renamed token is found by its new name only.
    tokens::update(
        db,
        &app.state.auth,
        Reach::Any(&admin),
        reader,
        TokenEdit {
            name: Some("prometheus reader".into()),
            ..Default::default()
        },
    )
    .await
    .expect("rename");
    assert_eq!(found(db, &admin, "grafana 4242").await, [backup]);
    assert_eq!(found(db, &admin, "prometheus").await, [reader]);
    // A deleted token is gone from the index; the next token (which SQLite may give the
    // deleted one's id) is found by its own name only.
    tokens::delete(db, &app.state.auth, &admin, bobs)
        .await
        .expect("delete");
    assert_eq!(found(db, &admin, "billing").await, Vec::<i64>::new());
    let next = named(&app, "ops-bob", "grafana again").await;
    assert_eq!(found(db, &admin, "billing").await, Vec::<i64>::new());
    assert_eq!(found(db, &admin, "grafana").await, [next, backup]);

    // A user searching finds their own tokens only, whatever others' names hold.
    let bob = app.operator("ops-bob").await;
    let own = TokenQuery {
        text: Some("grafana".into()),
        ..Default::default()
    };
    let page = tokens::list(db, Reach::Own(&bob), own.clone())
        .await
        .unwrap();
    let ids: Vec<i64> = page.items.iter().map(|t| t.id).collect();
    assert_eq!(ids, [next]);
    assert_eq!(tokens::count(db, Reach::Own(&bob), own).await.unwrap(), 1);

    // A PostgreSQL where pg_trgm could not be installed has no index: the search scans.
    if matches!(backend, Backend::Postgres) {
        db.execute_unprepared("DROP INDEX idx_access_tokens_name_trgm")
            .await
            .unwrap();
        assert_eq!(found(db, &admin, "grafana").await, [next, backup]);
        assert_eq!(found(db, &admin, "prometheus").await, [reader]);
    }

    // Longer than anything a search looks in: refused, named, not sent to the database.
    let long = TokenQuery {
        text: Some("x".repeat(60_000)),
        ..Default::default()
    };
    let refused = tokens::list(db, Reach::Any(&admin), long).await;
    assert!(matches!(
        refused,
        Err(ServiceError::Validation { field: "q", .. })
    ));
    app.stop().await;
}

async fn a_word_too_common_for_the_index_gives_the_same_answer(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.admin().await;
    let owner = app.user_id("admin").await;
    // More tokens hold "common" than the index serves (20,000): the list scans for it.
    seed_tokens(&app.db, owner, "common ", 20_010).await;
    let rare = named(&app, "admin", "rare common 7").await;
    let query = |q: &str, cursor: Option<String>| TokenQuery {
        text: Some(q.into()),
        limit: Some(25),
        cursor,
        ..Default::default()
    };
    let reach = Reach::Any(&admin);
    let first = tokens::list(&app.db, reach, query("common", None))
        .await
        .unwrap();
    let ids: Vec<i64> = first.items.iter().map(|t| t.id).collect();
    assert_eq!(ids.len(), 25);
    assert_eq!(ids[0], rare, "newest first");
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    let second = tokens::list(&app.db, reach, query("common", first.next_cursor))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 25);
    assert!(second.items[0].id < ids[24], "the next page continues");
    assert_eq!(
        tokens::count(&app.db, reach, query("common", None))
            .await
            .unwrap(),
        20_011
    );
    // A total can stop counting past a maximum (the console's is 1,000).
    for (q, total) in [("common", 10_001), ("Common 1999", 11), ("no such", 0)] {
        assert_eq!(
            tokens::count_up_to(&app.db, reach, query(q, None), 10_000)
                .await
                .unwrap(),
            total,
            "{q}"
        );
    }
    // Fewer candidates: the index serves it, with the same answer a scan would give.
    let mut expected: Vec<String> = (0..20_010)
        .map(|i| format!("common {i}"))
        .filter(|n| n.contains("common 1999"))
        .collect();
    expected.sort();
    let page = tokens::list(&app.db, reach, query("Common 1999", None))
        .await
        .unwrap();
    let mut names: Vec<String> = page.items.iter().map(|t| t.name.clone()).collect();
    names.sort();
    assert_eq!(names, expected);
    assert_eq!(found(&app.db, &admin, "rare common").await, [rare]);
    assert_eq!(
        tokens::count(&app.db, reach, query("mon 7", None))
            .await
            .unwrap(),
        1 + 1 + 10 + 100 + 1_000
    );
    app.stop().await;
}

/// Migration 21 on a database that already holds tokens: their names go into the index.
async fn tokens_named_before_the_index_are_found(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let old = named(&app, "admin", "legacy grafana").await;
    app.stop().await;
    let conn = db.connect().await;
    Migrator::down(&conn, Some(1)).await.expect("down to 20");
    Migrator::up(&conn, None).await.expect("up to 21");
    let app = TestApp::spawn(&db).await;
    let admin = app.admin().await;
    assert_eq!(found(&app.db, &admin, "legacy graf").await, [old]);
    let new = named(&app, "admin", "new grafana").await;
    assert_eq!(found(&app.db, &admin, "grafana").await, [new, old]);
    app.stop().await;
}

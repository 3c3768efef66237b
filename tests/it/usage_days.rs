//! Requests per day: each instance adds its calls to one row per token and day with the
//! batched last use (no row per request), answered for the last 30 days, zeros included.
use chrono::{Duration, Utc};
use reqwest::Method;
use sea_orm::{EntityTrait, PaginatorTrait, Set};

use app::server::entity::token_usage_day;
use app::server::usage;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    calls_from_two_instances_add_up_in_one_row_a_day,
    the_window_is_30_days_and_older_days_are_forgotten,
    only_the_owner_or_an_administrator_sees_a_tokens_usage,
);

async fn calls_from_two_instances_add_up_in_one_row_a_day(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = TestApp::spawn(&db).await;
    let b = TestApp::spawn(&db).await;
    a.create_user("svc", false).await;
    let token = a.issue("svc", &["profile:read", "tokens:read"]).await;
    let calls = (0..25).map(|i| {
        let app = if i % 2 == 0 { &a } else { &b };
        app.me_status(&token.secret)
    });
    let statuses = futures_util::future::join_all(calls).await;
    assert!(statuses.iter().all(|&s| s == 200));
    // Both flush at once: the adds must not overwrite each other.
    let (first, second) = tokio::join!(a.state.usage.flush(&a.db), b.state.usage.flush(&b.db));
    first.unwrap();
    second.unwrap();
    // A second round on A adds to the same row.
    for _ in 0..5 {
        assert_eq!(a.me_status(&token.secret).await, 200);
    }
    a.state.usage.flush(&a.db).await.unwrap();
    let rows = token_usage_day::Entity::find().count(&a.db).await.unwrap();
    assert!(
        rows <= 2,
        "one row per token and day, not per request: {rows}"
    );

    let path = format!("/api/v1/tokens/{}/usage", token.token.id);
    let answer = a.get_json(&path, &token.secret).await;
    let days = answer["days"].as_array().unwrap();
    assert_eq!(days.len(), 30);
    let today = Utc::now().date_naive();
    assert_eq!(days[29]["day"], today.to_string());
    assert_eq!(days[0]["day"], (today - Duration::days(29)).to_string());
    // All on today (or yesterday too, for a run across midnight UTC).
    let counts: Vec<i64> = days
        .iter()
        .map(|d| d["requests"].as_i64().unwrap())
        .collect();
    assert_eq!(counts[28] + counts[29], 30);
    assert!(counts[..28].iter().all(|&n| n == 0));

    // Deleting the token deletes its days; a flush of calls it made before is harmless.
    assert_eq!(a.me_status(&token.secret).await, 200);
    let admin = a.admin().await;
    app::server::service::tokens::delete(&a.db, &a.state.auth, &admin, token.token.id)
        .await
        .unwrap();
    a.state.usage.flush(&a.db).await.unwrap();
    assert_eq!(
        token_usage_day::Entity::find().count(&a.db).await.unwrap(),
        0
    );
}

async fn the_window_is_30_days_and_older_days_are_forgotten(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read"]).await;
    let today = Utc::now().date_naive();
    let rows =
        [(3, 7), (29, 4), (30, 100), (45, 9)].map(|(ago, requests)| token_usage_day::ActiveModel {
            token_id: Set(token.token.id),
            day: Set(today - Duration::days(ago)),
            requests: Set(requests),
        });
    token_usage_day::Entity::insert_many(rows)
        .exec(&app.db)
        .await
        .unwrap();
    let path = format!("/api/v1/admin/tokens/{}/usage", token.token.id);
    let days = app.get_json(&path, &root).await["days"].clone();
    let counts: Vec<i64> = days
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["requests"].as_i64().unwrap())
        .collect();
    assert_eq!(counts.len(), 30);
    assert_eq!(
        counts.iter().sum::<i64>(),
        11,
        "30 and 45 days ago are outside"
    );
    assert_eq!(counts[0], 4);
    assert_eq!(counts[26], 7);

    // The hourly job forgets what the window no longer shows.
    let forgotten = usage::forget_days_before(&app.db, today - Duration::days(30))
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    assert_eq!(
        token_usage_day::Entity::find()
            .count(&app.db)
            .await
            .unwrap(),
        3
    );
}

async fn only_the_owner_or_an_administrator_sees_a_tokens_usage(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("alice", false).await;
    app.create_user("bob", false).await;
    let alice = app.issue("alice", &["profile:read", "tokens:read"]).await;
    let bob = app.issue("bob", &["profile:read", "tokens:read"]).await;
    let narrow = app.issue("alice", &["profile:read"]).await;
    let own = format!("/api/v1/tokens/{}/usage", alice.token.id);
    let call = |path: String, secret: String| {
        let app = &app;
        async move { app.call(Method::GET, &path, &secret, None).await.0 }
    };
    assert_eq!(call(own.clone(), alice.secret.clone()).await, 200);
    assert_eq!(call(own.clone(), bob.secret.clone()).await, 404);
    assert_eq!(call(own.clone(), narrow.secret.clone()).await, 403);
    let admin_path = format!("/api/v1/admin/tokens/{}/usage", alice.token.id);
    assert_eq!(call(admin_path, alice.secret.clone()).await, 403);
    assert_eq!(
        call("/api/v1/tokens/999999/usage".into(), alice.secret.clone()).await,
        404
    );
}

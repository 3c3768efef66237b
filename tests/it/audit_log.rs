//! The audit log stays bounded: refused requests are counted per (code, credential, client
//! address, minute), every unknown credential as one, and events older than the retention
//! are purged in batches.
use chrono::{Duration, Timelike, Utc};
use futures_util::{stream, StreamExt};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use app::server::entity::audit_event;
use app::server::service::audit;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_flood_of_made_up_tokens_is_a_few_rows_with_their_count,
    two_instances_refusing_at_once_add_to_one_row,
    events_older_than_the_retention_are_purged_in_batches,
    the_audit_retention_is_validated,
);

/// Made-up tokens in flight at once.
const IN_FLIGHT: usize = 32;

/// Sends `count` made-up tokens to `app` from one client, `IN_FLIGHT` at a time: how many
/// were refused with 401.
async fn made_up_tokens(app: &TestApp, count: usize) -> usize {
    let client = reqwest::Client::new();
    let url = app.url("/api/v1/me");
    stream::iter(0..count)
        .map(|_| {
            let request = client
                .get(&url)
                .bearer_auth(app::server::secrets::new_access_token());
            async move { request.send().await.unwrap().status().as_u16() }
        })
        .buffer_unordered(IN_FLIGHT)
        .filter(|status| std::future::ready(*status == 401))
        .count()
        .await
}

/// The refused-request rows, as the audit API shows them.
async fn refusals(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let page = app
        .get_json("/api/v1/admin/audit?action=auth.refused&limit=200", token)
        .await;
    assert_eq!(page["next_cursor"], serde_json::Value::Null, "{page}");
    page["items"].as_array().unwrap().clone()
}

fn counted(rows: &[serde_json::Value]) -> u64 {
    rows.iter().map(|row| row["count"].as_u64().unwrap()).sum()
}

/// Waits out the end of a minute, so that what follows falls in one.
async fn start_of_a_minute() {
    let second = Utc::now().second();
    if second >= 45 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(61 - second))).await;
    }
}

async fn a_flood_of_made_up_tokens_is_a_few_rows_with_their_count(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let reader = app.issue("admin", &["admin"]).await.secret;
    let refused = made_up_tokens(&app, 20_000).await;
    assert_eq!(
        refused, 20_000,
        "every made-up token is refused, none is limited"
    );
    tessera::flush_logs(&app.state).await.unwrap();
    let rows = refusals(&app, &reader).await;
    assert!(rows.len() <= 100, "{} rows", rows.len());
    assert_eq!(counted(&rows), 20_000);
    for row in &rows {
        assert_eq!(row["details"]["reason"], "invalid_token", "{row}");
        assert_eq!(row["details"]["unknown_credentials"], true, "{row}");
        assert_eq!(row["ip"], "127.0.0.1");
        // The first made-up token's hint, never a secret.
        assert!(row["target"].as_str().unwrap().contains('…'), "{row}");
    }
    let all = audit_event::Entity::find().count(&app.db).await.unwrap();
    assert!(all <= 110, "{all} audit events in all");
    // A known token's refusals stay apart from the flood's, under its number.
    let narrow = app.issue("admin", &["tokens:read"]).await;
    for _ in 0..3 {
        let (status, _) = app
            .call(Method::GET, "/api/v1/admin/users", &narrow.secret, None)
            .await;
        assert_eq!(status, 403);
    }
    tessera::flush_logs(&app.state).await.unwrap();
    let rows = refusals(&app, &reader).await;
    let forbidden: Vec<_> = rows
        .iter()
        .filter(|row| row["target"] == narrow.token.number)
        .collect();
    assert_eq!(forbidden.len(), 1, "{rows:?}");
    assert_eq!(forbidden[0]["count"], 3);
    assert_eq!(forbidden[0]["details"]["reason"], "forbidden");
    app.stop().await;
}

async fn two_instances_refusing_at_once_add_to_one_row(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (a, b) = (TestApp::spawn(&db).await, TestApp::spawn(&db).await);
    let reader = a.issue("admin", &["admin"]).await.secret;
    start_of_a_minute().await;
    let (first, second) = tokio::join!(made_up_tokens(&a, 500), made_up_tokens(&b, 500));
    assert_eq!(first + second, 1_000);
    let (flushed_a, flushed_b) =
        tokio::join!(tessera::flush_logs(&a.state), tessera::flush_logs(&b.state));
    flushed_a.unwrap();
    flushed_b.unwrap();
    let rows = refusals(&a, &reader).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(counted(&rows), 1_000);
    a.stop().await;
    b.stop().await;
}

/// `count` events of `action` at `at`, written as the log writes them.
async fn old_events(app: &TestApp, action: &str, at: chrono::DateTime<Utc>, count: usize) {
    let rows: Vec<_> = (0..count)
        .map(|_| audit_event::ActiveModel {
            at: Set(at),
            action: Set(action.to_owned()),
            count: Set(1),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        audit_event::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&app.db)
            .await
            .unwrap();
    }
}

async fn events_of(app: &TestApp, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&app.db)
        .await
        .unwrap()
}

async fn events_older_than_the_retention_are_purged_in_batches(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let now = Utc::now();
    // More than two batches past the default retention (365 days), and a few within it.
    let past = 2 * audit::PURGE_BATCH as usize + 500;
    old_events(&app, "test.past", now - Duration::days(366), past).await;
    old_events(&app, "test.recent", now - Duration::days(10), 3).await;
    old_events(&app, "test.new", now - Duration::hours(1), 2).await;
    assert_eq!(audit::purge(&app.db, now).await.unwrap(), past as u64);
    assert_eq!(events_of(&app, "test.past").await, 0);
    assert_eq!(events_of(&app, "test.recent").await, 3);
    // A shorter retention takes effect on the next purge; what is newer stays.
    app.save_settings(app::model::settings::TokenSettings {
        audit_retention_days: 7,
        ..Default::default()
    })
    .await;
    assert_eq!(audit::purge(&app.db, now).await.unwrap(), 3);
    assert_eq!(events_of(&app, "test.recent").await, 0);
    assert_eq!(events_of(&app, "test.new").await, 2);
    assert_eq!(events_of(&app, "settings.update").await, 1);
    // Eight days on, every event of today is past it too.
    let left = audit_event::Entity::find().count(&app.db).await.unwrap();
    let later = now + Duration::days(8);
    assert_eq!(audit::purge(&app.db, later).await.unwrap(), left);
    assert_eq!(audit_event::Entity::find().count(&app.db).await.unwrap(), 0);
    app.stop().await;
}

async fn the_audit_retention_is_validated(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "admin", ADMIN_PASSWORD).await.status(),
        200
    );
    let save = |days: u32| {
        let settings = app::model::settings::TokenSettings {
            audit_retention_days: days,
            ..Default::default()
        };
        client
            .post(app.url("/sfn/save_token_settings"))
            .json(&serde_json::json!({ "settings": settings }))
            .send()
    };
    for days in [0, 3_651] {
        let response = save(days).await.unwrap();
        assert_eq!(response.status(), 422, "{days}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], "audit_retention_days", "{body}");
    }
    assert_eq!(save(30).await.unwrap().status(), 200);
    let saved = app::server::service::settings::load(&app.db).await.unwrap();
    assert_eq!(saved.audit_retention_days, 30);
    // Settings saved before the field existed read as the default.
    let old: app::model::settings::TokenSettings =
        serde_json::from_str(r#"{"retention_days": 90}"#).unwrap();
    assert_eq!(old.audit_retention_days, 365);
    app.stop().await;
}

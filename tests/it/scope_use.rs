//! Scope usage: which of a token's scopes its calls exercised, gathered with the batched last
//! use (no write per call) and answered as `scopes_used` for the last 30 days.
use reqwest::Method;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use app::server::entity::access_token;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(the_scopes_a_token_exercised_are_listed_for_30_days);

/// `scopes_used` of the token at `path`, once the usage log is written.
async fn used(app: &TestApp, path: &str, root: &str) -> serde_json::Value {
    app.state.usage.flush(&app.db).await.unwrap();
    app.get_json(path, root).await["scopes_used"].clone()
}

async fn the_scopes_a_token_exercised_are_listed_for_30_days(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let token = app
        .issue("svc", &["profile:read", "tokens:read", "tokens:write"])
        .await;
    let path = format!("/api/v1/admin/tokens/{}", token.token.id);
    assert_eq!(used(&app, &path, &root).await, serde_json::json!([]));

    assert_eq!(app.me_status(&token.secret).await, 200);
    assert_eq!(
        used(&app, &path, &root).await,
        serde_json::json!(["profile:read"])
    );
    let list = app
        .api(Method::GET, "/api/v1/tokens", Some(&token.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    // A refused call exercises nothing: the token does not hold admin.
    let refused = app
        .api(Method::GET, "/api/v1/admin/users", Some(&token.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        used(&app, &path, &root).await,
        serde_json::json!(["profile:read", "tokens:read"])
    );

    // 31 days later, profile:read was not used again: only what was used within 30 days.
    let row = access_token::Entity::find_by_id(token.token.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(row.scopes_used.as_deref().unwrap()).unwrap();
    assert_eq!(stored.as_object().unwrap().len(), 2);
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(31)).date_naive();
    let mut row: access_token::ActiveModel = row.into();
    row.scopes_used = Set(Some(
        serde_json::json!({"profile:read": long_ago, "tokens:read": chrono::Utc::now().date_naive()})
            .to_string(),
    ));
    row.update(&app.db).await.unwrap();
    assert_eq!(
        used(&app, &path, &root).await,
        serde_json::json!(["tokens:read"])
    );
    app.stop().await;
}

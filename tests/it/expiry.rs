//! Expiry notices on a clock the test controls: `token.expiring` at each threshold and
//! `token.expired` after the last day, each exactly once however many instances run the
//! job; and the `Tessera-Token-Expires` header on every authenticated answer.
use chrono::{Duration, Utc};
use reqwest::Method;

use app::model::settings::TokenSettings;
use app::server::service::expiry;
use app::server::service::tokens::{Expiry, NewToken};

use crate::helpers::*;
use crate::on_both_backends;
use crate::receiver::Receiver;
use crate::webhooks::{add_webhook, send_at, spawn_allowing_private};

on_both_backends!(
    each_notice_goes_out_once_across_two_instances,
    answers_say_when_their_token_expires,
);

async fn expiring(app: &TestApp, name: &str, days: i64) -> i64 {
    app.issue_with(
        "svc",
        NewToken {
            name: name.into(),
            scopes: vec!["profile:read".into()],
            expires: Expiry::On(Utc::now().date_naive() + Duration::days(days)),
            ..Default::default()
        },
    )
    .await
    .token
    .id
}

async fn each_notice_goes_out_once_across_two_instances(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = spawn_allowing_private(&db).await;
    let b = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    let root = a.issue("admin", &["admin"]).await.secret;
    add_webhook(
        &a,
        &root,
        &receiver.url(),
        &["token.expiring", "token.expired"],
    )
    .await;
    a.create_user("svc", false).await;
    let thirty = expiring(&a, "thirty", 30).await;
    let five = expiring(&a, "five", 5).await;
    let one = expiring(&a, "one", 1).await;
    let forty = expiring(&a, "forty", 40).await;
    let revoked = expiring(&a, "revoked", 1).await;
    let (status, _) = a
        .call(
            Method::POST,
            &format!("/api/v1/admin/tokens/{revoked}/revoke"),
            &root,
            None,
        )
        .await;
    assert_eq!(status, 204);

    let start = Utc::now();
    let mut sent = Vec::new();
    for days in [0, 0, 2, 11, 23, 23] {
        let at = start + Duration::days(days);
        let (x, y) = tokio::join!(expiry::notify_due(&a.db, at), expiry::notify_due(&b.db, at));
        sent.push(x.unwrap() + y.unwrap());
    }
    // Day 0: 30, 7 and 1 days before; day 2: "one" expired; day 11: "five" expired and
    // "forty" within 30; day 23: "thirty" within 7. Repeats send nothing.
    assert_eq!(sent, [3, 0, 1, 2, 1, 0]);

    assert_eq!(send_at(&a, Utc::now()).await, 7);
    let mut notices: Vec<(String, i64, Option<i64>)> = receiver
        .received()
        .iter()
        .map(|r| {
            let details = &r.json()["data"]["details"];
            (
                r.kind(),
                details["token"].as_i64().unwrap(),
                details["threshold"].as_i64(),
            )
        })
        .collect();
    notices.sort();
    let expected = {
        let mut e = vec![
            ("token.expired".to_owned(), one, None),
            ("token.expired".to_owned(), five, None),
            ("token.expiring".to_owned(), thirty, Some(30)),
            ("token.expiring".to_owned(), thirty, Some(7)),
            ("token.expiring".to_owned(), five, Some(7)),
            ("token.expiring".to_owned(), one, Some(1)),
            ("token.expiring".to_owned(), forty, Some(30)),
        ];
        e.sort();
        e
    };
    assert_eq!(notices, expected);
    // The days actually left, not the threshold: "five" had 5 when its 7-day notice went.
    let five_notice = receiver
        .received()
        .into_iter()
        .map(|r| r.json()["data"]["details"].clone())
        .find(|d| d["token"] == five && d["threshold"] == 7)
        .unwrap();
    assert_eq!(five_notice["days_left"], 5);
    let owners: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| {
            r.json()["data"]["details"]["owner"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(owners.iter().all(|o| o == "svc"));
}

async fn answers_say_when_their_token_expires(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let day = Utc::now().date_naive() + Duration::days(12);
    let token = app
        .issue_with(
            "svc",
            NewToken {
                name: "dated".into(),
                scopes: vec!["profile:read".into()],
                expires: Expiry::On(day),
                ..Default::default()
            },
        )
        .await;
    let header = |response: &reqwest::Response| {
        response
            .headers()
            .get("tessera-token-expires")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let ok = app
        .api(Method::GET, "/api/v1/me", Some(&token.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(header(&ok), Some(day.format("%Y-%m-%d").to_string()));
    // Authenticated but not allowed: still told.
    let refused = app
        .api(Method::GET, "/api/v1/admin/users", Some(&token.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(header(&refused), Some(day.format("%Y-%m-%d").to_string()));
    // Over its rate limit: still told.
    let root = app.issue("admin", &["admin"]).await.secret;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/tokens/{}", token.token.id),
            &root,
            Some(serde_json::json!({ "rate_limit_per_minute": 1 })),
        )
        .await;
    assert_eq!(status, 200);
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let response = app
            .api(Method::GET, "/api/v1/me", Some(&token.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(header(&response), Some(day.format("%Y-%m-%d").to_string()));
        statuses.push(response.status().as_u16());
    }
    assert_eq!(statuses, [200, 429]);
    // Not authenticated: nothing to tell.
    let anonymous = app
        .api(Method::GET, "/api/v1/me", Some("tsr_nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(header(&anonymous), None);

    // A token that never expires carries no header.
    app.save_settings(TokenSettings {
        max_lifetime_days: 0,
        ..TokenSettings::default()
    })
    .await;
    let forever = app
        .issue_with(
            "svc",
            NewToken {
                name: "forever".into(),
                scopes: vec!["profile:read".into()],
                expires: Expiry::Never,
                ..Default::default()
            },
        )
        .await;
    let response = app
        .api(Method::GET, "/api/v1/me", Some(&forever.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response), None);
}

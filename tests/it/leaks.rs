//! Leak reports: anyone may report a secret; a match stops it (or flags it, by policy),
//! tells the owner, and the answer reveals only the label per SHA-256.
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::json;

use app::model::settings::{LeakResponse, TokenSettings};
use app::server::entity::{endpoint_primary, endpoint_token};
use app::server::secrets;

use crate::helpers::*;
use crate::on_both_backends;
use crate::receiver::Receiver;
use crate::webhooks::{add_webhook, send_at, spawn_allowing_private};

on_both_backends!(
    every_kind_of_secret_reported_stops,
    garbage_and_unknown_secrets_are_false_positives,
    a_flagging_policy_tells_but_keeps_the_token,
    reports_are_limited_per_client,
);

async fn report(app: &TestApp, items: serde_json::Value) -> (u16, serde_json::Value) {
    let response = app
        .client()
        .post(app.url("/api/v1/leaks"))
        .json(&items)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

fn item(token: &str) -> serde_json::Value {
    json!({
        "token": token,
        "type": "tessera_token",
        "url": "https://github.com/acme/app/blob/main/.env",
        "source": "content"
    })
}

async fn every_kind_of_secret_reported_stops(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let (_, signing) = add_webhook(&app, &root, &receiver.url(), &["token.leaked"]).await;
    app.create_user("svc", false).await;
    let leaked = app.issue("svc", &["profile:read"]).await;
    let rotated = app.issue("svc", &["profile:read"]).await;
    let (status, fresh) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/tokens/{}/regenerate", rotated.token.id),
            &root,
            Some(json!({ "grace_seconds": 3600 })),
        )
        .await;
    assert_eq!(status, 200);
    let fresh = fresh["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.me_status(&rotated.secret).await, 200, "in its overlap");
    let (status, endpoint_tok) = app
        .call(
            Method::POST,
            "/api/v1/admin/endpoint-tokens",
            &root,
            Some(json!({ "name": "shop" })),
        )
        .await;
    assert_eq!(status, 201, "{endpoint_tok}");
    let (status, endpoint) = app
        .call(
            Method::POST,
            "/api/v1/admin/endpoints",
            &root,
            Some(json!({ "name": "Orders", "path": "orders", "auth_type": "token" })),
        )
        .await;
    assert_eq!(status, 201, "{endpoint}");
    let endpoint_id = endpoint["id"].as_i64().unwrap();
    let (status, primary) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/endpoints/{endpoint_id}/primaries/POST/regenerate"),
            &root,
            None,
        )
        .await;
    assert_eq!(status, 200, "{primary}");
    let primary = primary["secret"].as_str().unwrap().to_owned();
    let endpoint_secret = endpoint_tok["secret"].as_str().unwrap().to_owned();

    let secrets_reported = [
        leaked.secret.clone(),
        rotated.secret.clone(),
        endpoint_secret.clone(),
        primary.clone(),
    ];
    let (status, answer) = report(
        &app,
        json!(secrets_reported.iter().map(|s| item(s)).collect::<Vec<_>>()),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    for (verdict, secret) in answer.as_array().unwrap().iter().zip(&secrets_reported) {
        assert_eq!(
            verdict,
            &json!({
                "token_hash": secrets::digest(secret),
                "token_type": "tessera_token",
                "label": "true_positive"
            })
        );
    }
    // Each stopped: the token revoked, the overlap ended (the new secret still works),
    // the endpoint token deactivated, the primary replaced by a value no one has seen.
    assert_eq!(app.me_status(&leaked.secret).await, 401);
    assert_eq!(app.me_status(&rotated.secret).await, 401);
    assert_eq!(app.me_status(&fresh).await, 200);
    let endpoint_token =
        endpoint_token::Entity::find_by_id(endpoint_tok["endpoint_token"]["id"].as_i64().unwrap())
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
    assert!(!endpoint_token.active);
    // Its value replaced too: activating it again cannot bring the leaked secret back.
    assert_ne!(
        endpoint_token.secret_digest,
        secrets::digest(&endpoint_secret)
    );
    let primary_row = endpoint_primary::Entity::find_by_id((endpoint_id, "POST".to_owned()))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(primary_row.secret_digest, secrets::digest(&primary));
    assert!(!primary_row.issued);

    // Audited with where it was found, never with the secret.
    let audit = app
        .get_json("/api/v1/admin/audit?action=token.leaked", &root)
        .await;
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    for event in events {
        assert_eq!(
            event["details"]["url"],
            "https://github.com/acme/app/blob/main/.env"
        );
        assert_eq!(event["details"]["source"], "content");
        for secret in &secrets_reported {
            assert!(!event.to_string().contains(secret.as_str()));
        }
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| e["details"]["owner"] == "svc")
            .count(),
        2
    );

    // The owner's webhook hears of each, once.
    assert_eq!(send_at(&app, chrono::Utc::now()).await, 4);
    let received = receiver.received();
    assert!(received
        .iter()
        .all(|r| r.kind() == "token.leaked" && r.signed_by(&signing)));

    // Replayed, even many times in one report: a true positive, but nothing more to stop
    // and no one told again. Stopped endpoint secrets no longer match anything.
    let (_, again) = report(&app, json!(vec![item(&leaked.secret); 50])).await;
    assert!(again
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["label"] == "true_positive"));
    let (_, gone) = report(&app, json!([item(&endpoint_secret), item(&primary)])).await;
    assert_eq!(gone[0]["label"], "false_positive");
    assert_eq!(gone[1]["label"], "false_positive");
    let audit = app
        .get_json("/api/v1/admin/audit?action=token.leaked", &root)
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 4);
    assert_eq!(send_at(&app, chrono::Utc::now()).await, 0);
}

async fn garbage_and_unknown_secrets_are_false_positives(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let unknown = secrets::new_access_token();
    let mut typo = unknown.clone();
    typo.pop();
    typo.push('x');
    let items = [
        unknown.as_str(),
        typo.as_str(),
        "",
        "hello",
        "tsr_\u{0}\u{7}\r\n",
        &"a".repeat(10_000),
    ];
    let (status, answer) = report(
        &app,
        json!(items
            .iter()
            .map(|t| json!({ "token": t, "type": "x\u{0}\u{202E}\u{2066}y", "url": "u", "source": "s" }))
            .collect::<Vec<_>>()),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    for (verdict, token) in answer.as_array().unwrap().iter().zip(items) {
        assert_eq!(verdict["label"], "false_positive");
        assert_eq!(verdict["token_hash"], secrets::digest(token));
        assert_eq!(verdict["token_type"], "xy");
    }
    // Shapes that are not a report are named, never a 500.
    for body in [
        json!({ "token": unknown }),
        json!([{ "type": "x" }]),
        json!("x"),
    ] {
        let (status, answer) = report(&app, body).await;
        assert_eq!(status, 422, "{answer}");
    }
    let response = app
        .client()
        .post(app.url("/api/v1/leaks"))
        .header("content-type", "application/json")
        .body("[{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    // A form post (which a browser sends across sites without asking) is not a report.
    let response = app
        .client()
        .post(app.url("/api/v1/leaks"))
        .header("content-type", "text/plain")
        .body(json!([item(&unknown)]).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 415);
    let (status, answer) = report(&app, json!(vec![item("x"); 101])).await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (413, &json!("payload_too_large"))
    );
    let (status, _) = report(&app, json!(vec![item("x"); 100])).await;
    assert_eq!(status, 200);
    let audit = app
        .get_json("/api/v1/admin/audit?action=token.leaked", &root)
        .await;
    assert!(audit["items"].as_array().unwrap().is_empty());
}

async fn a_flagging_policy_tells_but_keeps_the_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.save_settings(TokenSettings {
        leak_response: LeakResponse::Flag,
        ..TokenSettings::default()
    })
    .await;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read"]).await;
    // Reported three times: flagged and told once a day, working all along.
    for _ in 0..3 {
        let (_, answer) = report(&app, json!([item(&token.secret)])).await;
        assert_eq!(answer[0]["label"], "true_positive");
    }
    assert_eq!(app.me_status(&token.secret).await, 200);
    let audit = app
        .get_json("/api/v1/admin/audit?action=token.leaked", &root)
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    assert_eq!(audit["items"][0]["details"]["response"], "flagged");
}

async fn reports_are_limited_per_client(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let reports = (0..40).map(|_| report(&app, json!([item("hello")])));
    let statuses: Vec<u16> = futures_util::future::join_all(reports)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), 30);
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 10);
}

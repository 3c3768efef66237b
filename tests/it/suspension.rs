//! Suspension (DESIGN 8.2): a suspended token is refused with `token_suspended`, resumes with
//! the same secret, resumes by itself at its time, and its owner cannot lift a suspension
//! set above them; kill switches suspend as well as revoke.
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_suspended_token_is_refused_and_resumes_with_the_same_secret,
    an_owner_cannot_lift_a_suspension_set_above_them,
    kill_switches_suspend_and_an_administrator_resumes,
);

/// Alice, a token of hers to suspend, and the secret of another that manages her tokens.
async fn alices_tokens(app: &TestApp) -> (app::api::tokens::IssuedToken, String) {
    app.create_user("alice", false).await;
    let token = app.issue("alice", &["profile:read"]).await;
    let manager = app
        .issue("alice", &["profile:read", "tokens:read", "tokens:write"])
        .await
        .secret;
    (token, manager)
}

fn own(id: i64) -> String {
    format!("/api/v1/tokens/{id}")
}

fn admin_route(id: i64) -> String {
    format!("/api/v1/admin/tokens/{id}")
}

async fn a_suspended_token_is_refused_and_resumes_with_the_same_secret(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;
    let (token, manager) = alices_tokens(&app).await;
    let id = token.token.id;

    let (status, body) = app
        .call(
            Method::PATCH,
            &own(id),
            &manager,
            Some(json!({"suspended_until": "indefinite"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "not_effective");
    assert_eq!(body["reason"], "suspended");
    assert_eq!(body["suspended_until"], "indefinite");
    assert_eq!(body["suspended_by"], "alice");
    assert_eq!(app.me(&token.secret).await, (401, "token_suspended".into()));
    let suspended = app
        .get_json("/api/v1/admin/tokens?state=suspended", &root.token)
        .await;
    let ids: Vec<i64> = suspended["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [id]);
    let effective = app
        .get_json(
            "/api/v1/admin/tokens?state=effective&user=alice",
            &root.token,
        )
        .await;
    assert!(!effective.to_string().contains(&token.token.number));

    // Resume: the same secret works again.
    let (status, body) = app
        .call(
            Method::PATCH,
            &own(id),
            &manager,
            Some(json!({"suspended_until": null})),
        )
        .await;
    assert_eq!(
        (status, &body["state"]),
        (200, &json!("effective")),
        "{body}"
    );
    assert_eq!(body["suspended_until"], Value::Null);
    assert_eq!(app.me_status(&token.secret).await, 200);

    // Bad times name the field; a revoked token stays revoked.
    for bad in [json!("2020-01-01T00:00:00Z"), json!("tomorrow"), json!(5)] {
        let (status, body) = app
            .call(
                Method::PATCH,
                &own(id),
                &manager,
                Some(json!({"suspended_until": bad})),
            )
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
    assert_eq!(app.me_status(&token.secret).await, 200, "nothing was saved");

    // A time: refused until then, and by itself afterwards.
    let until = chrono::Utc::now() + chrono::Duration::seconds(2);
    let (status, body) = app
        .call(
            Method::PATCH,
            &own(id),
            &manager,
            Some(json!({"suspended_until": until.to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.me(&token.secret).await.1, "token_suspended");
    let start = Instant::now();
    while app.me_status(&token.secret).await != 200 {
        assert!(start.elapsed() < Duration::from_secs(20), "still suspended");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(chrono::Utc::now() >= until, "resumed before its time");

    root.ok(Method::POST, &format!("{}/revoke", admin_route(id)), None)
        .await;
    let (status, body) = root
        .send(
            Method::PATCH,
            &admin_route(id),
            Some(json!({"suspended_until": "indefinite"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("conflict"))
    );

    let audit = root
        .ok(Method::GET, "/api/v1/admin/audit?action=token.resume", None)
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);
    let audit = root
        .ok(
            Method::GET,
            "/api/v1/admin/audit?action=token.suspend",
            None,
        )
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 2);
    app.stop().await;
}

async fn an_owner_cannot_lift_a_suspension_set_above_them(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;
    let (token, manager) = alices_tokens(&app).await;
    let id = token.token.id;
    root.ok(
        Method::PATCH,
        &admin_route(id),
        Some(json!({"suspended_until": "indefinite"})),
    )
    .await;
    for attempt in [
        json!(null),
        json!("2099-01-01T00:00:00Z"),
        json!("indefinite"),
    ] {
        let (status, body) = app
            .call(
                Method::PATCH,
                &own(id),
                &manager,
                Some(json!({"suspended_until": attempt})),
            )
            .await;
        assert_eq!(status, 403, "{attempt}: {body}");
    }
    assert_eq!(app.me(&token.secret).await.1, "token_suspended");
    let (_, listed) = app
        .call(Method::GET, "/api/v1/tokens", &manager, None)
        .await;
    let mine = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(mine["suspended_above_owner"], true);
    assert_eq!(mine["suspended_by"], "admin");

    root.ok(
        Method::PATCH,
        &admin_route(id),
        Some(json!({"suspended_until": null})),
    )
    .await;
    assert_eq!(app.me_status(&token.secret).await, 200);
    app.stop().await;
}

async fn kill_switches_suspend_and_an_administrator_resumes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.admin_client().await;
    app.create_user("bob", false).await;
    let bob = app.user_id("bob").await;
    let first = app.issue("bob", &["profile:read"]).await;
    let second = app.issue("bob", &["profile:read", "tokens:write"]).await;
    let switch = format!("/api/v1/admin/users/{bob}/revoke-tokens");

    let (status, _) = root
        .send(Method::POST, &switch, Some(json!({"mode": "pause"})))
        .await;
    assert_eq!(status, 422, "an unknown mode");
    let answer = root
        .ok(Method::POST, &switch, Some(json!({"mode": "suspend"})))
        .await;
    assert_eq!(answer, json!({"revoked": 0, "suspended": 2}));
    let again = root
        .ok(Method::POST, &switch, Some(json!({"mode": "suspend"})))
        .await;
    assert_eq!(again["suspended"], 0, "already suspended");
    for token in [&first, &second] {
        assert_eq!(app.me(&token.secret).await.1, "token_suspended");
    }

    // The owner cannot lift it (and a suspended token changes nothing); an administrator can.
    let (status, _) = app
        .call(
            Method::PATCH,
            &own(first.token.id),
            &second.secret,
            Some(json!({"suspended_until": null})),
        )
        .await;
    assert_eq!(status, 401, "a suspended token changes nothing");
    root.ok(
        Method::PATCH,
        &admin_route(second.token.id),
        Some(json!({"suspended_until": null})),
    )
    .await;
    assert_eq!(app.me_status(&second.secret).await, 200, "the same secret");
    let (status, _) = app
        .call(
            Method::PATCH,
            &own(first.token.id),
            &second.secret,
            Some(json!({"suspended_until": null})),
        )
        .await;
    assert_eq!(status, 403, "set above the owner");

    // Issued before now, suspended: only the one still running.
    let body = json!({"before": chrono::Utc::now().to_rfc3339(), "mode": "suspend"});
    let answer = root
        .ok(
            Method::POST,
            "/api/v1/admin/tokens/revoke-issued-before",
            Some(body),
        )
        .await;
    assert!(answer["suspended"].as_u64().unwrap() >= 1, "{answer}");
    assert_eq!(app.me(&second.secret).await.1, "token_suspended");
    let (status, _) = root.send(Method::GET, "/api/v1/admin/users", None).await;
    assert_eq!(
        status, 401,
        "the administrator's own token was issued before, too"
    );
    // A suspension the owner set is replaced by the switch's, which the owner cannot lift.
    let root = app.admin_client().await;
    let third = app.issue("bob", &["profile:read"]).await;
    let fourth = app.issue("bob", &["profile:read", "tokens:write"]).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &own(third.token.id),
            &fourth.secret,
            Some(json!({"suspended_until": "indefinite"})),
        )
        .await;
    assert_eq!(status, 200);
    let answer = root
        .ok(Method::POST, &switch, Some(json!({"mode": "suspend"})))
        .await;
    assert_eq!(
        answer["suspended"], 2,
        "the owner's suspension and the fourth"
    );
    let (status, _) = root
        .send(
            Method::PATCH,
            &admin_route(fourth.token.id),
            Some(json!({"suspended_until": null})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            Method::PATCH,
            &own(third.token.id),
            &fourth.secret,
            Some(json!({"suspended_until": null})),
        )
        .await;
    assert_eq!(status, 403, "the switch's suspension is above the owner");
    // Left out, the mode is revoke, as before.
    let answer = root.ok(Method::POST, &switch, None).await;
    assert_eq!(answer, json!({"revoked": 4}));
    assert_eq!(app.me(&first.secret).await.1, "token_revoked");
    app.stop().await;
}

//! Two Tessera servers on one database, each with its own pool, cache and change follower:
//! every change that ends a credential's power, made on A, is refused on B. Prints the
//! propagation times (run with `--nocapture` to see them; `.ci/test` does).
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use app::server::service::settings;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(changes_on_one_instance_are_refused_on_the_other);

/// Far above the target (1 s at worst), so that a slow machine fails only a real bug.
const LIMIT: Duration = Duration::from_secs(10);
const ROUNDS: usize = 10;

/// Calls `path` on `app` with `token` until it answers `wanted`, and how long that took.
/// Any answer but `wanted` or `from` fails the test.
async fn until(app: &TestApp, path: &str, token: &str, from: u16, wanted: u16) -> Duration {
    let start = Instant::now();
    loop {
        let status = app
            .api(Method::GET, path, Some(token))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == wanted {
            return start.elapsed();
        }
        assert_eq!(status, from, "{path}: neither {from} nor {wanted}");
        assert!(
            start.elapsed() < LIMIT,
            "{path} still answers {from} after {LIMIT:?}"
        );
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> u16 {
    let mut request = app.api(method, path, Some(token));
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status().as_u16()
}

fn summary(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

async fn changes_on_one_instance_are_refused_on_the_other(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = TestApp::spawn(&db).await;
    let b = TestApp::spawn(&db).await;
    let root = a.issue("admin", &["admin"]).await.secret;
    a.create_user("svc", false).await;
    a.create_user("ada", true).await;
    let svc = a.user_id("svc").await;
    let ada = a.user_id("ada").await;
    let ada_token = a.issue("ada", &["admin"]).await.secret;
    a.create_user("audrey", false).await;
    let audrey = a.user_id("audrey").await;
    let auditors = a.get_json("/api/v1/admin/groups", &root).await["items"][1]["id"]
        .as_i64()
        .unwrap();
    let auditor = format!("/api/v1/admin/groups/{auditors}/members/{audrey}");
    assert_eq!(call(&a, Method::PUT, &auditor, &root, None).await, 204);
    let audrey_token = a.issue("audrey", &["audit:read"]).await.secret;
    let me = "/api/v1/me";
    let mut by_kind: Vec<(&str, Vec<Duration>)> = Vec::new();
    let mut record = |kind, took| match by_kind.iter_mut().find(|(k, _)| *k == kind) {
        Some((_, times)) => times.push(took),
        None => by_kind.push((kind, vec![took])),
    };

    for _ in 0..ROUNDS {
        // Revoke.
        let token = a.issue("svc", &["profile:read"]).await;
        until(&b, me, &token.secret, 401, 200).await;
        let path = format!("/api/v1/admin/tokens/{}/revoke", token.token.id);
        assert_eq!(call(&a, Method::POST, &path, &root, None).await, 204);
        record("revoke", until(&b, me, &token.secret, 200, 401).await);

        // Suspend, then resume for the next round (the same secret).
        let token = a.issue("svc", &["profile:read"]).await;
        until(&b, me, &token.secret, 401, 200).await;
        let path = format!("/api/v1/admin/tokens/{}", token.token.id);
        let suspend = Some(json!({"suspended_until": "indefinite"}));
        assert_eq!(call(&a, Method::PATCH, &path, &root, suspend).await, 200);
        record("suspend", until(&b, me, &token.secret, 200, 401).await);
        let resume = Some(json!({"suspended_until": null}));
        assert_eq!(call(&a, Method::PATCH, &path, &root, resume).await, 200);
        until(&b, me, &token.secret, 401, 200).await;

        // Delete.
        let token = a.issue("svc", &["profile:read"]).await;
        until(&b, me, &token.secret, 401, 200).await;
        let path = format!("/api/v1/admin/tokens/{}", token.token.id);
        assert_eq!(call(&a, Method::DELETE, &path, &root, None).await, 204);
        record("delete", until(&b, me, &token.secret, 200, 401).await);

        // Regenerate: the old secret stops.
        let token = a.issue("svc", &["profile:read"]).await;
        until(&b, me, &token.secret, 401, 200).await;
        let path = format!("/api/v1/admin/tokens/{}/regenerate", token.token.id);
        assert_eq!(call(&a, Method::POST, &path, &root, None).await, 200);
        record("regenerate", until(&b, me, &token.secret, 200, 401).await);

        // Lock the owner, then unlock for the next round.
        let token = a.issue("svc", &["profile:read"]).await;
        until(&b, me, &token.secret, 401, 200).await;
        let path = format!("/api/v1/admin/users/{svc}");
        let locked = Some(json!({"locked": true}));
        assert_eq!(call(&a, Method::PATCH, &path, &root, locked).await, 200);
        record("lock", until(&b, me, &token.secret, 200, 401).await);
        let unlocked = Some(json!({"locked": false}));
        assert_eq!(call(&a, Method::PATCH, &path, &root, unlocked).await, 200);

        // Demote an administrator: her `admin` token loses the administrators' API.
        let users = "/api/v1/admin/users";
        until(&b, users, &ada_token, 403, 200).await;
        let path = format!("/api/v1/admin/users/{ada}");
        let demoted = Some(json!({"admin": false}));
        assert_eq!(call(&a, Method::PATCH, &path, &root, demoted).await, 200);
        record("demote", until(&b, users, &ada_token, 200, 403).await);
        let promoted = Some(json!({"admin": true}));
        assert_eq!(call(&a, Method::PATCH, &path, &root, promoted).await, 200);

        // Leave a group: an auditor's token loses the administrators' reads.
        until(&b, users, &audrey_token, 403, 200).await;
        assert_eq!(call(&a, Method::DELETE, &auditor, &root, None).await, 204);
        record(
            "leave group",
            until(&b, users, &audrey_token, 200, 403).await,
        );
        assert_eq!(call(&a, Method::PUT, &auditor, &root, None).await, 204);

        // Switch the API tokens feature off, then on again.
        let token = a.issue("svc", &["profile:read"]).await;
        until(&b, me, &token.secret, 401, 200).await;
        let admin = a.admin().await;
        let off = settings::TokenSettings {
            api_tokens_enabled: false,
            ..settings::load(&a.db).await.unwrap()
        };
        settings::save(&a.db, &a.state.auth, &admin, &off)
            .await
            .unwrap();
        record("feature off", until(&b, me, &token.secret, 200, 401).await);
        let on = settings::TokenSettings {
            api_tokens_enabled: true,
            ..off
        };
        settings::save(&a.db, &a.state.auth, &admin, &on)
            .await
            .unwrap();
    }

    let mut all: Vec<Duration> = by_kind.iter().flat_map(|(_, t)| t.clone()).collect();
    assert_eq!(all.len(), 8 * ROUNDS);
    eprintln!("propagation A -> B on {backend:?}, {} changes:", all.len());
    for (kind, times) in &mut by_kind {
        let (median, worst) = summary(times);
        eprintln!("  {kind:<12} median {median:>10.2?}  worst {worst:>10.2?}");
    }
    let (median, worst) = summary(&mut all);
    eprintln!(
        "  {:<12} median {median:>10.2?}  worst {worst:>10.2?}",
        "all"
    );
}

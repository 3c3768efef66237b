//! Per-token rate limits: a token's own or the policy's requests a minute, counted once the
//! whole credential verified, answered with `RateLimit-*` headers, and 429 `rate_limited`
//! with `Retry-After` beyond it — exactly, however many calls race.
use reqwest::Method;
use serde_json::json;

use app::server::service::{settings, tokens::NewToken};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_token_gets_its_limit_then_429_with_headers,
    racing_calls_get_exactly_the_limit,
    the_policy_default_applies_until_a_token_has_its_own,
    bad_limits_are_refused_by_name_and_changes_are_audited,
    failed_pass_codes_do_not_spend_the_owners_budget,
);

struct Answer {
    status: u16,
    code: String,
    limit: Option<String>,
    remaining: Option<String>,
    reset: Option<String>,
    retry_after: Option<String>,
}

async fn me(app: &TestApp, secret: &str) -> Answer {
    let response = app
        .api(Method::GET, "/api/v1/me", Some(secret))
        .send()
        .await
        .unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (limit, remaining, reset, retry_after) = (
        header("ratelimit-limit"),
        header("ratelimit-remaining"),
        header("ratelimit-reset"),
        header("retry-after"),
    );
    let (status, code) = status_and_code(response).await;
    Answer {
        status,
        code,
        limit,
        remaining,
        reset,
        retry_after,
    }
}

/// An administrator sets the limit of token `id`.
async fn set_limit(app: &TestApp, root: &str, id: i64, limit: serde_json::Value) {
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/tokens/{id}"),
            root,
            Some(json!({ "rate_limit_per_minute": limit })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rate_limit_per_minute"], limit);
}

async fn set_default(app: &TestApp, per_minute: u32) {
    let admin = app.admin().await;
    let mut policy = settings::load(&app.db).await.unwrap();
    policy.default_rate_limit_per_minute = per_minute;
    settings::save(&app.db, &app.state.auth, &admin, &policy)
        .await
        .unwrap();
}

async fn a_token_gets_its_limit_then_429_with_headers(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read", "tokens:write"]).await;
    let other = app.issue("svc", &["profile:read"]).await;
    // No limit: no headers.
    let free = me(&app, &token.secret).await;
    assert_eq!((free.status, free.limit), (200, None));

    let root = app.issue("admin", &["admin"]).await.secret;
    set_limit(&app, &root, token.token.id, json!(3)).await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let answer = me(&app, &token.secret).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.limit.as_deref(), Some("3"));
        remaining.push(answer.remaining.unwrap());
    }
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = me(&app, &token.secret).await;
    assert_eq!(
        (refused.status, refused.code.as_str()),
        (429, "rate_limited")
    );
    assert_eq!(refused.limit.as_deref(), Some("3"));
    assert_eq!(refused.remaining.as_deref(), Some("0"));
    assert_eq!(refused.reset.as_deref(), Some("60"));
    let retry: u64 = refused.retry_after.unwrap().parse().unwrap();
    assert!(
        (1..=20).contains(&retry),
        "one call refills every 20 s: {retry}"
    );
    // Refused calls spend nothing and are not a use of the token; other tokens of the same
    // owner have budgets of their own.
    assert_eq!(me(&app, &token.secret).await.status, 429);
    assert_eq!(me(&app, &other.secret).await.status, 200);

    // The token cannot lift its own limit, though it may change its name.
    let own = format!("/api/v1/tokens/{}", token.token.id);
    let (status, body) = app
        .call(
            Method::PATCH,
            &own,
            &other.secret,
            Some(json!({ "rate_limit_per_minute": 1000 })),
        )
        .await;
    assert_eq!(status, 403, "a token without tokens:write: {body}");
    let lifted = app
        .api(Method::PATCH, &own, Some(&token.secret))
        .json(&json!({ "rate_limit_per_minute": 10_000_000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_code(lifted).await.0,
        429,
        "and over its limit it cannot even ask"
    );

    // A new limit starts a new budget.
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/tokens/{}", token.token.id),
            &root,
            Some(json!({ "rate_limit_per_minute": 5 })),
        )
        .await;
    assert_eq!((status, &body["rate_limit_per_minute"]), (200, &json!(5)));
    assert_eq!(
        me(&app, &token.secret).await.remaining.as_deref(),
        Some("4")
    );

    // The refusal is in the audit log, by the token's hint.
    let refusals = app
        .get_json("/api/v1/admin/audit?action=auth.refused", &root)
        .await;
    assert!(refusals["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| { e["details"]["reason"] == "rate_limited" && e["target"] == token.token.hint }));
}

async fn racing_calls_get_exactly_the_limit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read", "tokens:write"]).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    set_limit(&app, &root, token.token.id, json!(5)).await;
    let calls = (0..40).map(|_| me(&app, &token.secret));
    let answers = futures_util::future::join_all(calls).await;
    let passed = answers.iter().filter(|a| a.status == 200).count();
    let limited = answers.iter().filter(|a| a.status == 429).count();
    // The 40 share the 5.
    assert_eq!((passed, limited), (5, 35));
    let mut remaining: Vec<_> = answers
        .iter()
        .filter(|a| a.status == 200)
        .map(|a| a.remaining.clone().unwrap())
        .collect();
    remaining.sort();
    assert_eq!(
        remaining,
        ["0", "1", "2", "3", "4"],
        "each budget unit once"
    );
}

async fn the_policy_default_applies_until_a_token_has_its_own(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = TestApp::spawn(&db).await;
    let b = TestApp::spawn(&db).await;
    a.create_user("svc", false).await;
    let token = a.issue("svc", &["profile:read", "tokens:write"]).await;
    // The administrator's token gets room of its own before the policy tightens.
    let root = a.issue("admin", &["admin"]).await;
    let (status, _) = a
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/tokens/{}", root.token.id),
            &root.secret,
            Some(json!({ "rate_limit_per_minute": 1000 })),
        )
        .await;
    assert_eq!(status, 200);
    let root = root.secret;
    set_default(&a, 2).await;
    // B follows the change counter to the new policy; each instance counts on its own.
    let start = std::time::Instant::now();
    while me(&b, &token.secret).await.limit.is_none() {
        assert!(start.elapsed().as_secs() < 10, "B has no limit after 10 s");
    }
    assert_eq!(me(&a, &token.secret).await.limit.as_deref(), Some("2"));
    assert_eq!(me(&a, &token.secret).await.status, 200);
    assert_eq!(me(&a, &token.secret).await.status, 429);

    // Its own limit overrides the default.
    let path = format!("/api/v1/admin/tokens/{}", token.token.id);
    let (status, body) = a
        .call(
            Method::PATCH,
            &path,
            &root,
            Some(json!({ "rate_limit_per_minute": 10 })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let own = me(&a, &token.secret).await;
    assert_eq!((own.status, own.limit.as_deref()), (200, Some("10")));
    let other = a.issue("svc", &["profile:read"]).await;
    assert_eq!(me(&a, &other.secret).await.limit.as_deref(), Some("2"));
    // null gives the token back to the policy default.
    let (status, body) = a
        .call(
            Method::PATCH,
            &path,
            &root,
            Some(json!({ "rate_limit_per_minute": null })),
        )
        .await;
    assert_eq!(
        (status, &body["rate_limit_per_minute"]),
        (200, &json!(null))
    );
    assert_eq!(me(&a, &token.secret).await.status, 429);
    // An absent field leaves the limit alone.
    let (status, body) = a
        .call(
            Method::PATCH,
            &path,
            &root,
            Some(json!({ "name": "renamed" })),
        )
        .await;
    assert_eq!(
        (status, &body["rate_limit_per_minute"]),
        (200, &json!(null))
    );
    set_default(&a, 0).await;
    assert_eq!(me(&a, &token.secret).await.limit, None);
}

async fn bad_limits_are_refused_by_name_and_changes_are_audited(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read", "tokens:write"]).await;
    // Whoever holds the token may not set its limit: neither the token nor its owner.
    let own = format!("/api/v1/tokens/{}", token.token.id);
    let (status, body) = app
        .call(
            Method::PATCH,
            &own,
            &token.secret,
            Some(json!({ "rate_limit_per_minute": 50, "name": "changed" })),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (422, &json!("rate_limit_per_minute"))
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Only an administrator"));
    let path = format!("/api/v1/admin/tokens/{}", token.token.id);
    for bad in [
        json!(0),
        json!(10_000_001),
        json!(-5),
        json!("ten"),
        json!(2.5),
    ] {
        let (status, body) = app
            .call(
                Method::PATCH,
                &path,
                &root,
                Some(json!({ "rate_limit_per_minute": bad, "name": "changed" })),
            )
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("rate_limit_per_minute") || message.contains("rate limit"),
            "{message}"
        );
    }
    let view = app
        .get_json(&format!("/api/v1/admin/tokens/{}", token.token.id), &root)
        .await;
    assert_eq!(view["name"], token.token.name, "nothing was saved");
    assert_eq!(view["rate_limit_per_minute"], json!(null));

    set_limit(&app, &root, token.token.id, json!(10_000_000)).await;
    let events = app
        .get_json(
            &format!(
                "/api/v1/admin/audit?action=token.update&target={}",
                token.token.number
            ),
            &root,
        )
        .await;
    assert_eq!(
        events["items"][0]["details"]["rate_limit_per_minute"],
        10_000_000
    );

    // The policy refuses a default beyond the maximum, by name.
    let admin = app.admin().await;
    let mut policy = settings::load(&app.db).await.unwrap();
    policy.default_rate_limit_per_minute = 10_000_001;
    let err = settings::save(&app.db, &app.state.auth, &admin, &policy)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("10000000"), "{err}");
}

async fn failed_pass_codes_do_not_spend_the_owners_budget(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let token = app
        .issue_with(
            "svc",
            NewToken {
                name: "guarded".into(),
                scopes: vec!["profile:read".into()],
                pass_code: Some("correct horse battery".into()),
                ..Default::default()
            },
        )
        .await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/admin/tokens/{}", token.token.id),
            &root,
            Some(json!({ "rate_limit_per_minute": 2 })),
        )
        .await;
    assert_eq!(status, 200);
    let call = |pass_code: &'static str| {
        app.api(Method::GET, "/api/v1/me", Some(&token.secret))
            .header("X-Token-Pass-Code", pass_code)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(call("wrong").await.unwrap().status(), 401);
    }
    let statuses = [
        call("correct horse battery")
            .await
            .unwrap()
            .status()
            .as_u16(),
        call("correct horse battery")
            .await
            .unwrap()
            .status()
            .as_u16(),
        call("correct horse battery")
            .await
            .unwrap()
            .status()
            .as_u16(),
    ];
    assert_eq!(statuses, [200, 200, 429]);
}

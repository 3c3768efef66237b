//! IP allowlists on access tokens: set through PATCH (own or any), enforced on every call
//! from the address the server worked out, reported instead when the token says so, and
//! honoured by every instance once changed.
use reqwest::Method;
use serde_json::json;

use app::server::authz::Reach;
use app::server::service::tokens;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    an_allowlist_refuses_calls_from_elsewhere_on_every_instance,
    report_only_accepts_and_audits_once_a_minute,
    bad_allowlists_are_refused_by_name_and_change_nothing,
    only_a_token_holder_within_reach_changes_an_allowlist,
);

async fn me(app: &TestApp, token: &str, forwarded: Option<&str>) -> (u16, String) {
    let mut request = app.api(Method::GET, "/api/v1/me", Some(token));
    if let Some(forwarded) = forwarded {
        request = request.header("X-Forwarded-For", forwarded);
    }
    status_and_code(request.send().await.unwrap()).await
}

async fn an_allowlist_refuses_calls_from_elsewhere_on_every_instance(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = TestApp::spawn(&db).await;
    let b = TestApp::spawn(&db).await;
    let root = a.issue("admin", &["admin"]).await.secret;
    a.create_user("svc", false).await;
    let token = a.issue("svc", &["profile:read", "tokens:write"]).await;
    assert_eq!(me(&b, &token.secret, None).await.0, 200);

    // The token narrows itself to a network the tests do not call from.
    let path = format!("/api/v1/tokens/{}", token.token.id);
    let (status, body) = a
        .call(
            Method::PATCH,
            &path,
            &token.secret,
            Some(json!({"allowed_ips": ["10.1.2.3/8", " 2001:db8::/32 "]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowed_ips"], json!(["10.0.0.0/8", "2001:db8::/32"]));
    assert_eq!(body["ip_policy"], "enforce");
    let refused = (403, "ip_not_allowed".to_owned());
    assert_eq!(me(&a, &token.secret, None).await, refused);
    // B follows the change counter.
    let start = std::time::Instant::now();
    while me(&b, &token.secret, None).await.0 == 200 {
        assert!(start.elapsed().as_secs() < 10, "B still accepts after 10 s");
    }
    assert_eq!(me(&b, &token.secret, None).await, refused);
    // Claiming an address from inside does not help: the peer is not a trusted proxy.
    assert_eq!(me(&a, &token.secret, Some("10.9.9.9")).await, refused);
    // The token cannot undo it either: the refusal comes before any scope.
    assert_eq!(
        a.call(
            Method::PATCH,
            &path,
            &token.secret,
            Some(json!({"allowed_ips": []}))
        )
        .await
        .0,
        403
    );

    let refusals = a
        .get_json("/api/v1/admin/audit?action=auth.refused", &root)
        .await;
    let reasons: Vec<_> = refusals["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["details"]["reason"].clone())
        .collect();
    assert!(reasons.contains(&json!("ip_not_allowed")), "{refusals}");

    // An administrator lets the loopback in; the token works again everywhere.
    let admin_path = format!("/api/v1/admin/tokens/{}", token.token.id);
    let (status, body) = a
        .call(
            Method::PATCH,
            &admin_path,
            &root,
            Some(json!({"allowed_ips": ["127.0.0.1", "10.0.0.0/8"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowed_ips"], json!(["127.0.0.1/32", "10.0.0.0/8"]));
    assert_eq!(me(&a, &token.secret, None).await.0, 200);
    let start = std::time::Instant::now();
    while me(&b, &token.secret, None).await.0 != 200 {
        assert!(start.elapsed().as_secs() < 10, "B still refuses after 10 s");
    }
    let audit = a
        .get_json("/api/v1/admin/audit?action=token.update", &root)
        .await;
    assert_eq!(
        audit["items"][0]["details"]["allowed_ips"],
        json!(["127.0.0.1/32", "10.0.0.0/8"])
    );

    // The token's page shows its history: to an administrator with addresses, to its owner
    // without the addresses others acted from.
    let admin = a.admin().await;
    let id = token.token.id;
    let seen = tokens::detail(&a.db, Reach::Any(&admin), id).await.unwrap();
    let actions: Vec<_> = seen.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["token.update", "token.update", "token.create"]);
    assert_eq!(seen.events[0].ip.as_deref(), Some("127.0.0.1"));
    let owner = a.operator("svc").await;
    let own = tokens::detail(&a.db, Reach::Own(&owner), id).await.unwrap();
    assert_eq!(own.events.len(), 3);
    assert_eq!(own.events[0].actor.as_deref(), Some("admin"));
    assert_eq!(own.events[0].ip, None);
    assert_eq!(own.events[1].actor.as_deref(), Some("svc"));
    assert_eq!(own.events[1].ip.as_deref(), Some("127.0.0.1"));
    a.stop().await;
    b.stop().await;
}

async fn report_only_accepts_and_audits_once_a_minute(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read"]).await;
    let path = format!("/api/v1/admin/tokens/{}", token.token.id);
    let body = json!({"allowed_ips": ["192.0.2.0/24"], "ip_policy": "report"});
    let (status, answer) = app.call(Method::PATCH, &path, &root, Some(body)).await;
    assert_eq!((status, &answer["ip_policy"]), (200, &json!("report")));
    for _ in 0..3 {
        assert_eq!(me(&app, &token.secret, None).await.0, 200);
    }
    let reported = app
        .get_json("/api/v1/admin/audit?action=token.ip_reported", &root)
        .await;
    let items = reported["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{reported}");
    assert_eq!(items[0]["target"], token.token.number.as_str());
    assert_eq!(items[0]["ip"], "127.0.0.1");
    assert_eq!(items[0]["details"]["allowed_ips"], json!(["192.0.2.0/24"]));
    // Back to enforcing: refused.
    let (status, _) = app
        .call(
            Method::PATCH,
            &path,
            &root,
            Some(json!({"ip_policy": "enforce"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        me(&app, &token.secret, None).await,
        (403, "ip_not_allowed".to_owned())
    );
    app.stop().await;
}

async fn bad_allowlists_are_refused_by_name_and_change_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let token = app.issue("admin", &["profile:read"]).await;
    let path = format!("/api/v1/admin/tokens/{}", token.token.id);
    let many: Vec<String> = (0..21).map(|i| format!("10.0.{i}.0/24")).collect();
    let cases = [
        (json!({"allowed_ips": many}), "allowed_ips", "at most 20"),
        (
            json!({"allowed_ips": ["10.0.0.0/33"]}),
            "allowed_ips",
            "10.0.0.0/33",
        ),
        (
            json!({"allowed_ips": ["10.0.0.1\u{0}"]}),
            "allowed_ips",
            "control characters",
        ),
        (
            json!({"allowed_ips": ["intranet.example"]}),
            "allowed_ips",
            "not an IP address",
        ),
        (
            json!({"allowed_ips": ["10.0.0.0/8"], "name": "  "}),
            "name",
            "Enter a name",
        ),
        (
            json!({"allowed_ips": ["10.0.0.0/8"], "rate_limit_per_minute": 0}),
            "rate_limit_per_minute",
            "from 1 to 10000000",
        ),
    ];
    for (body, field, words) in cases {
        let response = app
            .api(Method::PATCH, &path, Some(&root))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{body}");
        let answer: serde_json::Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["field"], field, "{answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(words),
            "{answer}"
        );
    }
    let response = app
        .api(Method::PATCH, &path, Some(&root))
        .json(&json!({"ip_policy": "block"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let unchanged = app.get_json(&path, &root).await;
    assert_eq!(unchanged["allowed_ips"], json!([]));
    assert_eq!(unchanged["ip_policy"], "enforce");
    assert_eq!(me(&app, &token.secret, None).await.0, 200);
    app.stop().await;
}

async fn only_a_token_holder_within_reach_changes_an_allowlist(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    app.create_user("mallory", false).await;
    let victim = app.issue("svc", &["profile:read", "tokens:write"]).await;
    let mallory = app.issue("mallory", &["tokens:write"]).await.secret;
    let lock_out = json!({"allowed_ips": ["192.0.2.1"]});
    // Another user's token: as if it did not exist.
    let path = format!("/api/v1/tokens/{}", victim.token.id);
    assert_eq!(
        app.call(Method::PATCH, &path, &mallory, Some(lock_out.clone()))
            .await
            .0,
        404
    );
    // The administrators' route needs `admin`.
    let admin_path = format!("/api/v1/admin/tokens/{}", victim.token.id);
    assert_eq!(
        app.call(Method::PATCH, &admin_path, &mallory, Some(lock_out.clone()))
            .await
            .0,
        403
    );
    // A narrower token of the same owner cannot change a wider one.
    let narrow = app.issue("svc", &["tokens:write"]).await.secret;
    assert_eq!(
        app.call(Method::PATCH, &path, &narrow, Some(lock_out.clone()))
            .await
            .0,
        403
    );
    // Without tokens:write, not even one's own.
    let reader = app.issue("svc", &["profile:read"]).await;
    let reader_path = format!("/api/v1/tokens/{}", reader.token.id);
    assert_eq!(
        app.call(Method::PATCH, &reader_path, &reader.secret, Some(lock_out))
            .await
            .0,
        403
    );
    assert_eq!(me(&app, &victim.secret, None).await.0, 200);
    assert_eq!(me(&app, &reader.secret, None).await.0, 200);
    app.stop().await;
}

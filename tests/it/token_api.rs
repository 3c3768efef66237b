use app::server::entity::{access_token, audit_event};
use app::server::secrets;
use app::server::service::settings::TokenSettings;
use reqwest::Method;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    each_refused_token_gets_401_with_its_code,
    identifier_and_pass_code_are_required_when_the_definitions_say_so,
    a_demoted_owner_loses_admin_routes_on_the_next_request,
    regenerate_cuts_the_old_secret_at_once,
    nobody_sees_or_touches_another_users_token,
    bad_input_gets_a_clear_4xx,
    fifty_parallel_revokes_and_regenerates_leave_one_state,
    last_use_is_recorded_in_batches,
    lists_page_by_cursor_and_filter_by_state,
    lists_sort_by_expiry_and_last_use_across_pages,
    each_status_filter_matches_its_tokens_and_the_total_counts_them,
    a_token_page_shows_its_history_to_its_owner_and_administrators_only,
    the_console_functions_give_a_user_nothing_beyond_their_own,
    introspection_answers_for_gateways,
    the_cli_prints_only_a_working_secret,
    the_api_is_described_by_openapi,
);

const ALL: [&str; 4] = [
    "profile:read",
    "tokens:read",
    "tokens:write",
    "tokens:introspect",
];

async fn each_refused_token_gets_401_with_its_code(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("lena", false).await;
    let fresh = app.issue("lena", &ALL).await;
    assert_eq!(app.me(&fresh.secret).await, (200, String::new()));

    let no_header = app
        .api(Method::GET, "/api/v1/me", None)
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_header.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_eq!(
        status_and_code(no_header).await,
        (401, "missing_token".into())
    );
    let basic = app
        .api(Method::GET, "/api/v1/me", None)
        .header("authorization", "Basic bGVuYTpwdw==")
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(basic).await, (401, "invalid_token".into()));
    assert_eq!(app.me("not-a-token").await, (401, "invalid_token".into()));
    assert_eq!(
        app.me(&secrets::new_access_token()).await,
        (401, "invalid_token".into())
    );
    let mut typo = fresh.secret.clone().into_bytes();
    typo[6] = if typo[6] == b'a' { b'b' } else { b'a' };
    assert_eq!(
        app.me(&String::from_utf8(typo).unwrap()).await,
        (401, "invalid_token".into())
    );
    // A token in the query string is never read.
    let in_query = app
        .api(
            Method::GET,
            &format!("/api/v1/me?access_token={}", fresh.secret),
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_code(in_query).await,
        (401, "missing_token".into())
    );

    // Expired: its last day was yesterday.
    let expired = app.issue("lena", &ALL).await;
    let row = access_token::Entity::find_by_id(expired.token.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: access_token::ActiveModel = row.into();
    row.expires_at = Set(Some(
        chrono::Utc::now().date_naive() - chrono::Duration::days(1),
    ));
    row.update(&app.db).await.unwrap();
    app.state.auth.reset();
    assert_eq!(app.me(&expired.secret).await, (401, "token_expired".into()));

    let revoked = app.issue("lena", &ALL).await;
    let path = format!("/api/v1/tokens/{}", revoked.token.id);
    let response = app
        .api(Method::DELETE, &path, Some(&revoked.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.me(&revoked.secret).await, (401, "token_revoked".into()));

    app.create_user("boss", true).await;
    let boss = app.issue("boss", &["admin"]).await;
    let deleted = app.issue("lena", &ALL).await;
    assert_eq!(app.me(&deleted.secret).await.0, 200);
    let path = format!("/api/v1/admin/tokens/{}", deleted.token.id);
    let response = app
        .api(Method::DELETE, &path, Some(&boss.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.me(&deleted.secret).await, (401, "invalid_token".into()));

    // The owner's state follows at once.
    let lena = app.user_id("lena").await;
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    set_active_until(&app, lena, Some(yesterday)).await;
    assert_eq!(app.me(&fresh.secret).await, (401, "owner_inactive".into()));
    set_active_until(&app, lena, None).await;
    lock(&app, lena).await;
    assert_eq!(app.me(&fresh.secret).await, (401, "owner_locked".into()));
    app.change_user(
        lena,
        app::server::service::accounts::UserChanges {
            locked: Some(false),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(app.me(&fresh.secret).await.0, 200);

    app.save_settings(TokenSettings {
        api_tokens_enabled: false,
        ..Default::default()
    })
    .await;
    assert_eq!(app.me(&fresh.secret).await, (401, "tokens_disabled".into()));
    app.save_settings(TokenSettings::default()).await;
    assert_eq!(app.me(&fresh.secret).await.0, 200);

    // A bad checksum is refused before any lookup: with the database gone it is still a
    // clean 401, not a failure to reach storage.
    app.db.clone().close().await.unwrap();
    let mut typo = fresh.secret.clone().into_bytes();
    typo[20] = if typo[20] == b'x' { b'y' } else { b'x' };
    let typo = String::from_utf8(typo).unwrap();
    assert_eq!(app.me(&typo).await, (401, "invalid_token".into()));
    app.stop().await;
}

async fn identifier_and_pass_code_are_required_when_the_definitions_say_so(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.issue("admin", &["tokens:write", "profile:read"]).await;
    app.save_settings(TokenSettings {
        identifier_mandatory: true,
        pass_code_mandatory: true,
        ..Default::default()
    })
    .await;
    let create = |body: Value| {
        app.api(Method::POST, "/api/v1/tokens", Some(&admin.secret))
            .json(&body)
            .send()
    };

    let response =
        create(json!({"name": "gw", "scopes": ["profile:read"], "pass_code": "hunter-22-x"}))
            .await
            .unwrap();
    assert_eq!(response.status(), 422);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["field"],
        "identifier"
    );
    let response = create(json!({"name": "gw", "scopes": ["profile:read"], "identifier": "gw-1"}))
        .await
        .unwrap();
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["field"],
        "pass_code"
    );

    let response = create(json!({"name": "gw", "scopes": ["profile:read"], "identifier": "gw-1", "pass_code": "hunter-22-x"}))
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let secret = response.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let call = |identifier: Option<&str>, pass_code: Option<&str>| {
        let mut request = app.api(Method::GET, "/api/v1/me", Some(&secret));
        if let Some(identifier) = identifier {
            request = request.header("x-token-identifier", identifier);
        }
        if let Some(pass_code) = pass_code {
            request = request.header("x-token-pass-code", pass_code);
        }
        request.send()
    };
    for (identifier, pass_code) in [
        (None, None),
        (Some("gw-1"), None),
        (Some("gw-2"), Some("hunter-22-x")),
        (Some("gw-1"), Some("wrong")),
    ] {
        let response = call(identifier, pass_code).await.unwrap();
        assert_eq!(
            status_and_code(response).await,
            (401, "credentials_required".into()),
            "{identifier:?} {pass_code:?}"
        );
    }
    for _ in 0..2 {
        assert_eq!(
            call(Some("gw-1"), Some("hunter-22-x"))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    app.stop().await;
}

async fn a_demoted_owner_loses_admin_routes_on_the_next_request(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("ops", true).await;
    let ops = app.issue("ops", &["admin", "profile:read"]).await;
    let users = app.api(Method::GET, "/api/v1/admin/users", Some(&ops.secret));
    assert_eq!(users.send().await.unwrap().status(), 200);

    let admin = app.issue("admin", &["admin"]).await;
    let id = app.user_id("ops").await;
    let response = app
        .api(
            Method::PATCH,
            &format!("/api/v1/admin/users/{id}"),
            Some(&admin.secret),
        )
        .json(&json!({"admin": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let users = app.api(Method::GET, "/api/v1/admin/users", Some(&ops.secret));
    assert_eq!(
        status_and_code(users.send().await.unwrap()).await,
        (403, "forbidden".into())
    );
    // What remains within the owner's rights still works.
    assert_eq!(app.me(&ops.secret).await.0, 200);
    app.stop().await;
}

async fn regenerate_cuts_the_old_secret_at_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let old = app.issue("admin", &ALL).await;
    assert_eq!(app.me(&old.secret).await.0, 200);
    let path = format!("/api/v1/tokens/{}/regenerate", old.token.id);
    let response = app
        .api(Method::POST, &path, Some(&old.secret))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let new: Value = response.json().await.unwrap();
    let new_secret = new["secret"].as_str().unwrap();
    assert_eq!(new["token"]["id"], old.token.id);
    assert_eq!(new["token"]["number"], old.token.number);
    assert_eq!(app.me(&old.secret).await, (401, "invalid_token".into()));
    assert_eq!(app.me(new_secret).await.0, 200);
    // Only the digest is stored.
    let row = access_token::Entity::find_by_id(old.token.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.secret_digest, secrets::digest(new_secret));
    assert!(!format!("{row:?}").contains(new_secret));
    app.stop().await;
}

async fn nobody_sees_or_touches_another_users_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("mia", false).await;
    app.create_user("noah", false).await;
    let mia = app.issue("mia", &ALL).await;
    let noah = app.issue("noah", &ALL).await;

    let list = app.get_json("/api/v1/tokens", &noah.secret).await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [noah.token.id]);
    for (method, path) in [
        (Method::DELETE, format!("/api/v1/tokens/{}", mia.token.id)),
        (
            Method::POST,
            format!("/api/v1/tokens/{}/regenerate", mia.token.id),
        ),
        (Method::DELETE, "/api/v1/tokens/999999".to_owned()),
        (Method::DELETE, "/api/v1/tokens/not-a-number".to_owned()),
    ] {
        let response = app
            .api(method, &path, Some(&noah.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_and_code(response).await,
            (404, "not_found".into()),
            "{path}"
        );
    }
    assert_eq!(app.me(&mia.secret).await.0, 200);
    // Administrator routes: only with a token of an administrator carrying "admin".
    for path in ["/api/v1/admin/users", "/api/v1/admin/tokens"] {
        let response = app
            .api(Method::GET, path, Some(&noah.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(status_and_code(response).await, (403, "forbidden".into()));
    }
    let admin_without_scope = app.issue("admin", &ALL).await;
    let response = app
        .api(
            Method::GET,
            "/api/v1/admin/tokens",
            Some(&admin_without_scope.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(response).await, (403, "forbidden".into()));
    // Nor can a non-administrator ask for the admin scope: a scope the request does not hold.
    let response = app
        .api(Method::POST, "/api/v1/tokens", Some(&noah.secret))
        .json(&json!({"name": "escalate", "scopes": ["admin"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(status_and_code(response).await, (403, "forbidden".into()));
    app.stop().await;
}

async fn bad_input_gets_a_clear_4xx(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app
        .issue("admin", &["tokens:write", "tokens:read", "admin"])
        .await;
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string();
    let far = (chrono::Utc::now().date_naive() + chrono::Duration::days(400)).to_string();
    let cases = [
        (
            json!({"name": "x".repeat(201), "scopes": ["profile:read"]}),
            422,
            Some("name"),
        ),
        (
            json!({"name": "   ", "scopes": ["profile:read"]}),
            422,
            Some("name"),
        ),
        (
            json!({"name": "ok", "scopes": ["profile:read"], "expires_at": yesterday}),
            422,
            Some("expires_at"),
        ),
        (
            json!({"name": "ok", "scopes": ["profile:read"], "expires_at": far}),
            422,
            Some("expires_at"),
        ),
        (
            json!({"name": "ok", "scopes": ["profile:read"], "expires_at": null}),
            422,
            Some("expires_at"),
        ),
        (
            json!({"name": "ok", "scopes": ["profile:read"], "expires_at": "not-a-date"}),
            422,
            None,
        ),
        (
            json!({"name": "ok", "scopes": ["everything"]}),
            422,
            Some("scopes"),
        ),
        (json!({"name": "ok", "scopes": []}), 422, Some("scopes")),
        (json!({"name": "ok"}), 422, None),
        (json!({"name": 42, "scopes": ["profile:read"]}), 422, None),
    ];
    for (body, status, field) in cases {
        let response = app
            .api(Method::POST, "/api/v1/tokens", Some(&admin.secret))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "validation_failed", "{body}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
        if let Some(field) = field {
            assert_eq!(error["error"]["field"], field, "{body}");
        }
    }
    let malformed = app
        .api(Method::POST, "/api/v1/tokens", Some(&admin.secret))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_code(malformed).await,
        (400, "validation_failed".into())
    );
    let huge = app
        .api(Method::POST, "/api/v1/tokens", Some(&admin.secret))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"name\": \"{}\", \"scopes\": []}}",
            "x".repeat(70 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_code(huge).await,
        (413, "payload_too_large".into())
    );
    let unknown_user = app
        .api(Method::POST, "/api/v1/admin/tokens", Some(&admin.secret))
        .json(&json!({"user": "ghost", "name": "x", "scopes": ["profile:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_user.status(), 422);
    let bad_cursor = app
        .api(
            Method::GET,
            "/api/v1/tokens?cursor=abc&limit=-1",
            Some(&admin.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad_cursor.status(), 422);
    // Nothing was created by any of it.
    let list = app.get_json("/api/v1/tokens", &admin.secret).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn fifty_parallel_revokes_and_regenerates_leave_one_state(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let admin = app.issue("admin", &["admin"]).await;
    app.create_user("olga", false).await;
    let target = app.issue("olga", &ALL).await;
    let id = target.token.id;
    let calls = (0..50).map(|i| {
        let path = if i % 2 == 0 {
            format!("/api/v1/admin/tokens/{id}/revoke")
        } else {
            format!("/api/v1/admin/tokens/{id}/regenerate")
        };
        app.api(Method::POST, &path, Some(&admin.secret)).send()
    });
    let responses = futures_util::future::join_all(calls).await;
    let mut secrets_issued = Vec::new();
    for response in responses {
        let response = response.unwrap();
        let status = response.status().as_u16();
        assert!([200, 204, 409].contains(&status), "unexpected {status}");
        if status == 200 {
            let body: Value = response.json().await.unwrap();
            secrets_issued.push(body["secret"].as_str().unwrap().to_owned());
        }
    }
    let token: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/admin/tokens/{id}"),
            Some(&admin.secret),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token["reason"], "revoked");
    let revocations = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("token.revoke"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(revocations.len(), 1);
    for secret in secrets_issued.iter().chain([&target.secret]) {
        let (status, _) = app.me(secret).await;
        assert_eq!(status, 401);
    }
    app.stop().await;
}

async fn last_use_is_recorded_in_batches(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let token = app.issue("admin", &ALL).await;
    for _ in 0..3 {
        assert_eq!(app.me(&token.secret).await.0, 200);
    }
    let row = access_token::Entity::find_by_id(token.token.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.last_used_at, None, "verification itself never writes");
    app.state.usage.flush(&app.db).await.unwrap();
    let list = app.get_json("/api/v1/tokens", &token.secret).await;
    let item = &list["items"][0];
    assert!(item["last_used_at"].is_string());
    assert_eq!(item["last_used_ips"], json!(["127.0.0.1"]));
    app.stop().await;
}

async fn lists_page_by_cursor_and_filter_by_state(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let reader = app.issue("admin", &ALL).await;
    let mut ids = vec![reader.token.id];
    for _ in 0..4 {
        ids.push(app.issue("admin", &["profile:read"]).await.token.id);
    }
    let revoked = *ids.last().unwrap();
    let response = app
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{revoked}"),
            Some(&reader.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);

    let seen = app
        .ids_in_pages("/api/v1/tokens?limit=2", &reader.secret)
        .await;
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each exactly once");

    let not_effective: Value = app
        .api(
            Method::GET,
            "/api/v1/tokens?state=not_effective",
            Some(&reader.secret),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(not_effective["items"].as_array().unwrap().len(), 1);
    assert_eq!(not_effective["items"][0]["id"], revoked);
    assert!(not_effective["items"][0]["revoked_at"].is_string());
    let effective: Value = app
        .api(
            Method::GET,
            "/api/v1/tokens?state=effective",
            Some(&reader.secret),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(effective["items"].as_array().unwrap().len(), 4);
    let by_number: Value = app
        .api(
            Method::GET,
            &format!("/api/v1/tokens?q=AT-{:06}", reader.token.id),
            Some(&reader.secret),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_number["items"][0]["id"], reader.token.id);
    app.stop().await;
}

async fn introspection_answers_for_gateways(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let gateway = app.issue("admin", &["tokens:introspect"]).await;
    let subject = app.issue("admin", &["profile:read"]).await;
    let json_answer: Value = app
        .api(
            Method::POST,
            "/api/v1/tokens/introspect",
            Some(&gateway.secret),
        )
        .json(&json!({"token": subject.secret}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json_answer["active"], true);
    assert_eq!(json_answer["sub"], "admin");
    assert_eq!(json_answer["scope"], "profile:read");
    assert_eq!(json_answer["number"], subject.token.number);
    assert!(json_answer["exp"].is_i64());
    let form_answer: Value = app
        .api(
            Method::POST,
            "/api/v1/tokens/introspect",
            Some(&gateway.secret),
        )
        .form(&[("token", "tsr_unknown")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(form_answer, json!({"active": false}));
    let without_scope = app
        .api(
            Method::POST,
            "/api/v1/tokens/introspect",
            Some(&subject.secret),
        )
        .json(&json!({"token": gateway.secret}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_code(without_scope).await,
        (403, "forbidden".into())
    );
    app.stop().await;
}

async fn the_cli_prints_only_a_working_secret(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "token",
            "create",
            "--user",
            "admin",
            "--name",
            "automation",
            "--scopes",
            "profile:read,tokens:read",
        ])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let secret = stdout.trim_end();
    assert_eq!(stdout.lines().count(), 1);
    assert!(secrets::is_well_formed(secret), "{stdout}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(secret));
    assert_eq!(app.me(secret).await.0, 200);
    // A lifetime past the calendar is refused by name, not a crash.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args(["token", "create", "--user", "admin", "--name", "far"])
        .args([
            "--scopes",
            "profile:read",
            "--expires-in-days",
            "4000000000",
        ])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("too far ahead"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    app.stop().await;
}

async fn the_api_is_described_by_openapi(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let spec = app.openapi().await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/introspect",
        "/api/v1/admin/tokens/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing");
    }
    // Every operation says what it does.
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let said = operation["summary"]
                .as_str()
                .or(operation["description"].as_str());
            assert!(
                said.is_some_and(|s| !s.trim().is_empty()),
                "{method} {path} has no description"
            );
        }
    }
    assert!(operations >= 30, "{operations} operations");
    let docs = app.client().get(app.url("/api/docs")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs
        .text()
        .await
        .unwrap()
        .contains("/api/v1/tokens/introspect"));
    app.stop().await;
}

async fn lists_sort_by_expiry_and_last_use_across_pages(backend: Backend) {
    use app::server::service::tokens::{Expiry, NewToken};
    use chrono::{Duration, NaiveDate, Utc};

    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    // No maximum lifetime, so that a token may never expire.
    app.save_settings(TokenSettings {
        max_lifetime_days: 0,
        ..Default::default()
    })
    .await;
    let reader = app.issue("admin", &ALL).await;
    let today = Utc::now().date_naive();
    let mut tokens = vec![reader.token.clone()];
    for expires in [
        Expiry::On(today + Duration::days(20)),
        Expiry::Never,
        Expiry::On(today + Duration::days(3)),
        Expiry::On(today + Duration::days(3)),
        Expiry::On(today + Duration::days(10)),
    ] {
        let name = format!("token {}", tokens.len());
        let issued = app
            .issue_with(
                "admin",
                NewToken {
                    name,
                    scopes: vec!["profile:read".into()],
                    expires,
                    ..Default::default()
                },
            )
            .await;
        tokens.push(issued.token);
    }
    let mut by_expiry: Vec<(NaiveDate, i64)> = tokens
        .iter()
        .map(|t| {
            (
                t.expires_at.unwrap_or(app::server::service::tokens::NEVER),
                t.id,
            )
        })
        .collect();
    by_expiry.sort();
    let expected: Vec<i64> = by_expiry.iter().map(|(_, id)| *id).collect();
    assert_eq!(
        app.ids_in_pages("/api/v1/tokens?sort=expires&limit=2", &reader.secret)
            .await,
        expected,
        "soonest first, equal days by id, never last; each once across pages"
    );

    // Two tokens used at the same moment, one earlier, the rest never.
    let now = Utc::now();
    for (index, at) in [(3, now), (4, now), (1, now - Duration::hours(1))] {
        let mut row: access_token::ActiveModel = access_token::Entity::find_by_id(tokens[index].id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
        row.last_used_at = Set(Some(at));
        row.update(&app.db).await.unwrap();
    }
    let never_used: Vec<i64> = [5, 2, 0].iter().map(|&i| tokens[i].id).collect();
    let mut expected = vec![tokens[4].id, tokens[3].id, tokens[1].id];
    expected.extend(never_used);
    assert_eq!(
        app.ids_in_pages("/api/v1/tokens?sort=last_used&limit=2", &reader.secret)
            .await,
        expected,
        "most recent first, ties by id, never used last"
    );

    let bad_sort = app
        .api(
            Method::GET,
            "/api/v1/tokens?sort=name",
            Some(&reader.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad_sort.status(), 422);
    assert!(error_body(bad_sort).await.contains("sort must be"));
    let foreign_cursor = app
        .api(
            Method::GET,
            "/api/v1/tokens?sort=expires&cursor=12",
            Some(&reader.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(foreign_cursor.status(), 422);
    app.stop().await;
}

async fn each_status_filter_matches_its_tokens_and_the_total_counts_them(backend: Backend) {
    use app::model::token::StatusFilter;
    use app::server::authz::Reach;
    use app::server::service::tokens::{self, Expiry, NewToken, TokenQuery};

    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let reader = app.issue("admin", &["admin", "tokens:read"]).await;
    for name in ["svc-billing", "svc-crm", "nora", "retired"] {
        app.create_user(name, false).await;
    }
    app.change_user(
        app.user_id("nora").await,
        app::server::service::accounts::UserChanges {
            display_name: Some("Nora Svcadmin".into()),
            ..Default::default()
        },
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let issue = |user: &'static str, days: i64| {
        let app = &app;
        async move {
            app.issue_with(
                user,
                NewToken {
                    name: format!("{user} {days}"),
                    scopes: vec!["profile:read".into()],
                    expires: Expiry::On(today + chrono::Duration::days(days)),
                    ..Default::default()
                },
            )
            .await
            .token
            .id
        }
    };
    let later = issue("svc-billing", 30).await;
    let soon = issue("svc-billing", 3).await;
    let expired = issue("svc-billing", 10).await;
    let revoked = issue("svc-crm", 30).await;
    let locked = issue("nora", 30).await;
    let inactive = issue("retired", 30).await;
    // Past its last day: written directly, as no one may issue a token that is expired.
    let mut row: access_token::ActiveModel = access_token::Entity::find_by_id(expired)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    row.expires_at = Set(Some(today - chrono::Duration::days(1)));
    row.update(&app.db).await.unwrap();
    let admin = app.admin().await;
    tokens::revoke(&app.db, &app.state.auth, Reach::Any(&admin), revoked)
        .await
        .unwrap();
    lock(&app, app.user_id("nora").await).await;
    set_active_until(
        &app,
        app.user_id("retired").await,
        Some(today - chrono::Duration::days(1)),
    )
    .await;

    let ids = |state: &str| {
        let app = &app;
        let path = format!("/api/v1/admin/tokens?state={state}&limit=1");
        let secret = reader.secret.clone();
        async move {
            let mut ids = app.ids_in_pages(&path, &secret).await;
            ids.sort_unstable();
            ids
        }
    };
    assert_eq!(ids("effective").await, vec![reader.token.id, later, soon]);
    assert_eq!(ids("expiring_soon").await, vec![soon]);
    assert_eq!(ids("expired").await, vec![expired]);
    assert_eq!(ids("revoked").await, vec![revoked]);
    assert_eq!(ids("owner_locked").await, vec![locked]);
    assert_eq!(ids("owner_inactive").await, vec![inactive]);
    assert_eq!(
        ids("not_effective").await,
        vec![expired, revoked, locked, inactive]
    );
    // Made today: none has been unused for the policy's 90 days.
    assert_eq!(ids("idle").await, Vec::<i64>::new());
    let response = app
        .api(
            Method::GET,
            "/api/v1/admin/tokens?state=dormant",
            Some(&reader.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_code(response).await,
        (422, "validation_failed".into())
    );

    // Part of a username or of a display name, any case; the total ignores the page size.
    let query = |owner_text: &str, status: Option<StatusFilter>| TokenQuery {
        owner_text: Some(owner_text.into()),
        status,
        limit: Some(1),
        ..Default::default()
    };
    let reach = Reach::Any(&admin);
    let page = tokens::list(&app.db, reach, query("SVC", None))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(page.next_cursor.is_some());
    assert_eq!(
        tokens::count(&app.db, reach, query("SVC", None))
            .await
            .unwrap(),
        5
    );
    assert_eq!(
        tokens::count(&app.db, reach, query("svcadmin", None))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        tokens::count(&app.db, reach, query("svc-", Some(StatusFilter::Effective)))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        tokens::count(&app.db, reach, query("nobody", None))
            .await
            .unwrap(),
        0
    );
    // A wildcard typed by the user matches itself literally, not everything.
    assert_eq!(
        tokens::count(&app.db, reach, query("%", None))
            .await
            .unwrap(),
        0
    );
    let err = tokens::count(&app.db, reach, query("svc\u{7}", None))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            app::server::error::ServiceError::Validation { field: "user", .. }
        ),
        "{err:?}"
    );
    app.stop().await;
}

async fn a_token_page_shows_its_history_to_its_owner_and_administrators_only(backend: Backend) {
    use app::server::authz::Reach;
    use app::server::error::ServiceError;
    use app::server::service::tokens::{self, NewToken, Owner};

    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("owner", false).await;
    app.create_user("stranger", false).await;
    let admin = app.admin().await;
    let issued = tokens::create(
        &app.db,
        &app.state.auth,
        Owner::User(&admin, "owner"),
        NewToken {
            name: "deploys".into(),
            scopes: vec!["profile:read".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let id = issued.token.id;
    let owner = app.operator("owner").await;
    tokens::revoke(&app.db, &app.state.auth, Reach::Own(&owner), id)
        .await
        .unwrap();

    let seen = tokens::detail(&app.db, Reach::Own(&owner), id)
        .await
        .unwrap();
    assert_eq!(seen.token.owner, "owner");
    assert_eq!(seen.issuer.as_deref(), Some("admin"));
    assert_eq!(seen.created_by.as_deref(), Some("admin"));
    assert_eq!(seen.revoked_by.as_deref(), Some("owner"));
    assert!(!seen.has_identifier && !seen.has_pass_code);
    let by_admin = tokens::detail(&app.db, Reach::Any(&admin), id)
        .await
        .unwrap();
    assert_eq!(by_admin, seen);
    // Someone else's token does not exist, as far as they can tell.
    let stranger = app.operator("stranger").await;
    assert!(matches!(
        tokens::detail(&app.db, Reach::Own(&stranger), id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        tokens::detail(&app.db, Reach::Any(&admin), id + 1000).await,
        Err(ServiceError::NotFound)
    ));
    app.stop().await;
}

/// A signed-in user calls the console's server functions directly, as an attacker would:
/// another user's token page and regeneration, the dashboard, a generated token wider than a
/// user may hold, and an expiry that would sort as expired.
async fn the_console_functions_give_a_user_nothing_beyond_their_own(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("mallory", false).await;
    let victim = app.issue("admin", &["profile:read"]).await;
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "mallory", USER_PASSWORD)
            .await
            .status(),
        200
    );
    let id = victim.token.id.to_string();
    for function in [
        "token_detail",
        "regenerate_token",
        "revoke_token",
        "delete_token",
    ] {
        let response = client
            .post(app.url(&format!("/sfn/{function}")))
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap();
        assert!(
            matches!(response.status().as_u16(), 403 | 404),
            "{function}: {}",
            response.status()
        );
    }
    assert_eq!(
        app.me(&victim.secret).await.0,
        200,
        "the victim's token still works"
    );
    let dashboard = client.post(app.url("/sfn/dashboard")).send().await.unwrap();
    assert_eq!(dashboard.status(), 200);
    assert_eq!(dashboard.text().await.unwrap(), "null");

    let generate = |scopes: Vec<&str>, expiry: Value| {
        client
            .post(app.url("/sfn/generate_access_token"))
            .json(&json!({
                "user_id": null,
                "form": {"name": "mine", "expiry": expiry, "scopes": scopes,
                         "identifier": "", "pass_code": ""},
            }))
            .send()
    };
    for wider in [vec!["admin"], vec!["tokens:introspect"]] {
        let response = generate(wider.clone(), json!({"Days": 7})).await.unwrap();
        assert_eq!(response.status(), 403, "{wider:?}");
    }
    let response = generate(vec!["profile:read"], json!({"Days": u32::MAX}))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = generate(vec!["profile:read"], json!({"On": ""}))
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = generate(vec!["profile:read"], json!({"Days": 7}))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // Someone else's tokens by a user id: not found, as if there were none.
    let response = client
        .post(app.url("/sfn/generate_access_token"))
        .json(&json!({
            "user_id": app.user_id("admin").await,
            "form": {"name": "theirs", "expiry": {"Days": 7}, "scopes": ["profile:read"],
                     "identifier": "", "pass_code": ""},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    app.stop().await;
}

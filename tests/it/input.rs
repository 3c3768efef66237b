//! Input an attacker would try: control characters and text-direction overrides in every
//! free-text field (a NUL answered 500 on PostgreSQL), usernames that look like existing
//! ones, and leak reports that are too big or not signed by the configured scanner.
use base64::Engine;
use p256::ecdsa::{signature::Signer, DerSignature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use reqwest::Method;
use serde_json::{json, Value};

use app::server::config::SessionConfig;
use app::server::reporter_keys::ReporterKeys;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    free_text_refuses_control_and_direction_characters,
    usernames_that_look_like_existing_ones_are_refused,
    leak_reports_must_be_signed_when_keys_are_configured,
    a_user_made_before_compatibility_keys_is_still_found,
);

const UNSAFE: [&str; 6] = [
    "a\u{0}b",
    "a\u{7}b",
    "line\nbreak",
    "evil\u{202E}txt.exe",
    "a\u{2066}b\u{2069}",
    "\u{1b}[31mred",
];

async fn free_text_refuses_control_and_direction_characters(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app
        .issue("admin", &["admin", "tokens:read", "tokens:write"])
        .await
        .secret;
    let token = app.issue("admin", &["profile:read"]).await.token.id;
    let (endpoint, endpoint_token) = app.endpoint_with_token(&root).await;
    let before = app.get_json("/api/v1/admin/tokens", &root).await;

    for text in UNSAFE {
        let attempts: Vec<(Method, String, Value, &str)> = vec![
            (
                Method::POST,
                "/api/v1/tokens".into(),
                json!({"name": text, "scopes": ["profile:read"]}),
                "name",
            ),
            (
                Method::POST,
                "/api/v1/tokens".into(),
                json!({"name": "ok", "description": text, "scopes": ["profile:read"]}),
                "description",
            ),
            (
                Method::PATCH,
                format!("/api/v1/tokens/{token}"),
                json!({"name": text}),
                "name",
            ),
            (
                Method::PATCH,
                format!("/api/v1/admin/tokens/{token}"),
                json!({"description": text}),
                "description",
            ),
            (
                Method::POST,
                "/api/v1/admin/endpoints".into(),
                json!({"name": "E", "path": "e", "auth_type": "none", "description": text}),
                "description",
            ),
            (
                Method::PATCH,
                format!("/api/v1/admin/endpoints/{endpoint}"),
                json!({"description": text}),
                "description",
            ),
            (
                Method::PATCH,
                format!("/api/v1/admin/endpoints/{endpoint}"),
                json!({"name": text}),
                "name",
            ),
            (
                Method::POST,
                "/api/v1/admin/endpoint-tokens".into(),
                json!({"name": text}),
                "name",
            ),
            (
                Method::PATCH,
                format!("/api/v1/admin/endpoint-tokens/{endpoint_token}"),
                json!({"name": text}),
                "name",
            ),
            (
                Method::PATCH,
                format!("/api/v1/admin/endpoint-tokens/{endpoint_token}"),
                json!({"description": text}),
                "description",
            ),
            (
                Method::POST,
                "/api/v1/admin/users".into(),
                json!({"username": "carol", "password": USER_PASSWORD, "display_name": text}),
                "display_name",
            ),
            (
                Method::PATCH,
                "/api/v1/admin/users/1".into(),
                json!({"display_name": text}),
                "display_name",
            ),
        ];
        for (method, path, body, field) in attempts {
            let (status, answer) = app.call(method.clone(), &path, &root, Some(body)).await;
            assert_eq!(
                (status, answer["error"]["field"].as_str()),
                (422, Some(field)),
                "{method} {path} {text:?}: {answer}"
            );
        }
    }
    // Nothing was stored or changed.
    assert_eq!(app.get_json("/api/v1/admin/tokens", &root).await, before);
    let users = app.get_json("/api/v1/admin/users", &root).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 1, "{users}");
    let endpoints = app.get_json("/api/v1/admin/endpoints", &root).await;
    assert_eq!(
        endpoints["items"].as_array().unwrap().len(),
        1,
        "{endpoints}"
    );
    let audit = app.get_json("/api/v1/admin/audit?limit=100", &root).await;
    for text in UNSAFE {
        assert!(!audit.to_string().contains(&json!(text).to_string()[1..]));
    }
    // Right-to-left text itself is fine: only the overrides are refused.
    let (status, answer) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/tokens/{token}"),
            &root,
            Some(json!({"name": "שלום token"})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    app.stop().await;
}

async fn create_user(app: &TestApp, root: &str, username: &str) -> (u16, Value) {
    app.call(
        Method::POST,
        "/api/v1/admin/users",
        root,
        Some(json!({"username": username, "password": USER_PASSWORD})),
    )
    .await
}

async fn usernames_that_look_like_existing_ones_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    assert_eq!(create_user(&app, &root, "root").await.0, 201);
    assert_eq!(create_user(&app, &root, "alice").await.0, 201);
    for look_alike in [
        "r00t",  // zeros
        "aIice", // capital I
        "AIice",
        "аdmin",      // Cyrillic а
        "ａｄｍｉｎ", // fullwidth
        "ADMIN",
        "admın", // dotless ı
        "rοot",  // Greek ο
        "rооt",  // two Cyrillic о
        "ROOT",
    ] {
        let (status, answer) = create_user(&app, &root, look_alike).await;
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (409, Some("username")),
            "{look_alike}: {answer}"
        );
    }
    // Two look-alikes of a new name sent at once: one account.
    let racing = futures_util::future::join_all(
        ["zeta", "zеta", "ｚｅｔａ", "zetа"].map(|name| create_user(&app, &root, name)),
    )
    .await;
    let created = racing.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(created, 1, "{racing:?}");
    assert!(racing.iter().all(|(status, _)| [201, 409].contains(status)));
    // A fullwidth name is kept in its compatibility form, and signs in either way.
    let (status, answer) = create_user(&app, &root, "ｏｐｓ").await;
    assert_eq!(
        (status, &answer["username"]),
        (201, &json!("ops")),
        "{answer}"
    );
    let client = app.client();
    let signed_in = app.sign_in(&client, "ｏｐｓ", USER_PASSWORD).await;
    assert!(signed_in.status().is_success() || signed_in.status().is_redirection());
    assert_eq!(app.whoami(&client).await.as_deref(), Some("ops"));
    // Names in other scripts are welcome when they look like no one else.
    for name in ["zoë.ops", "михаил", "δημήτρης"] {
        assert_eq!(create_user(&app, &root, name).await.0, 201, "{name}");
    }
    let users = app.get_json("/api/v1/admin/users", &root).await;
    assert_eq!(users["items"].as_array().unwrap().len(), 8, "{users}");
    app.stop().await;
}

fn sign(key: &SigningKey, body: &[u8]) -> String {
    let signature: DerSignature = key.sign(body);
    base64::engine::general_purpose::STANDARD.encode(signature.as_bytes())
}

async fn leak_reports_must_be_signed_when_keys_are_configured(backend: Backend) {
    let scanner = SigningKey::from_slice(&rand::random::<[u8; 32]>()).unwrap();
    let stranger = SigningKey::from_slice(&rand::random::<[u8; 32]>()).unwrap();
    let pem = scanner
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let db = TestDb::new(backend).await;
    let sessions = SessionConfig {
        leak_report_keys: Some(ReporterKeys::parse(&pem).unwrap()),
        ..SessionConfig::default()
    };
    let app = TestApp::spawn_with(&db, sessions).await;
    let leaked = app.issue("admin", &["profile:read"]).await.secret;
    let body = json!([{"token": leaked, "type": "tessera_token", "url": "https://x", "source": "content"}])
        .to_string();
    let send = |signature: Option<String>| {
        let mut request = app
            .client()
            .post(app.url("/api/v1/leaks"))
            .header("content-type", "application/json")
            .header("github-public-key-identifier", "test")
            .body(body.clone());
        if let Some(signature) = signature {
            request = request.header("github-public-key-signature", signature);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let other = json!([{"token": "x"}]).to_string();
    for refused in [
        None,
        Some(String::new()),
        Some("bm90IGEgc2lnbmF0dXJl".to_owned()),
        Some(sign(&stranger, body.as_bytes())),
        Some(sign(&scanner, other.as_bytes())),
    ] {
        assert_eq!(send(refused.clone()).await, 403, "{refused:?}");
        assert_eq!(app.me_status(&leaked).await, 200, "{refused:?}");
    }
    assert_eq!(send(Some(sign(&scanner, body.as_bytes()))).await, 200);
    assert_eq!(app.me_status(&leaked).await, 401);
    app.stop().await;
}

/// Before usernames were kept in compatibility form, `ｂｏｂ` (fullwidth) and `bob` could
/// both be made. At the next start `ｂｏｂ` cannot take the key `bob`: it keeps its own, and
/// is found by it, never mistaken for bob.
async fn a_user_made_before_compatibility_keys_is_still_found(backend: Backend) {
    use app::server::entity::user;
    use app::server::service::accounts;
    use sea_orm::{ActiveModelTrait, EntityTrait, NotSet, Set};

    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("bob", false).await;
    let bob = app.user_id("bob").await;
    let template = user::Entity::find_by_id(bob)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let legacy = user::ActiveModel {
        id: NotSet,
        username: Set("ｂｏｂ".into()),
        username_key: Set("ｂｏｂ".into()),
        username_skeleton: Set(None),
        display_name: Set("The other bob".into()),
        ..template.into()
    }
    .insert(&app.db)
    .await
    .unwrap();
    assert_eq!(accounts::fill_skeletons(&app.db).await.unwrap(), 1);
    for (name, id) in [
        ("ｂｏｂ", legacy.id),
        ("ＢＯＢ", legacy.id),
        ("bob", bob),
        ("BOB", bob),
    ] {
        let found = accounts::find_by_username(&app.db, name)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, id, "{name}");
    }
    let filled = user::Entity::find_by_id(legacy.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(filled.username_key, "ｂｏｂ");
    assert_eq!(
        filled.username_skeleton,
        Some(accounts::username_skeleton("bob"))
    );
    app.stop().await;
}

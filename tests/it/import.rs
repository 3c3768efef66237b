//! Importing an existing secret: an administrator's, checked for 128 bits of entropy and for
//! patterns, refused when any credential has it already, stored as a digest, verified by
//! digest alone (no `tsr_` checksum), and never echoed.
use reqwest::Method;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use app::server::entity::access_token;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    an_imported_secret_verifies_and_is_never_echoed,
    weak_secrets_are_refused_by_name_and_nothing_is_created,
    a_secret_in_use_is_refused_even_by_racing_imports,
);

/// A secret with 64 random letters and digits, as another system would have made it.
fn foreign_secret() -> String {
    app::server::secrets::random_alphanumeric(64)
}

async fn import(app: &TestApp, root: &str, secret: &str) -> (u16, serde_json::Value) {
    app.call(
        Method::POST,
        "/api/v1/admin/tokens",
        root,
        Some(json!({
            "user": "svc",
            "name": "moved from the old gateway",
            "scopes": ["profile:read", "tokens:read"],
            "secret": secret,
        })),
    )
    .await
}

async fn an_imported_secret_verifies_and_is_never_echoed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let secret = foreign_secret();
    let (status, body) = import(&app, &root, &secret).await;
    assert_eq!(status, 201, "{body}");
    assert!(
        body.get("secret").is_none(),
        "the answer holds no secret: {body}"
    );
    assert_eq!(body["token"]["imported"], true);
    assert_eq!(body["token"]["hint"], format!("…{}", &secret[60..]));
    let id = body["token"]["id"].as_i64().unwrap();

    // It verifies, by digest alone, with the owner's permissions.
    let me = app.get_json("/api/v1/me", &secret).await;
    assert_eq!(me["user"]["username"], "svc");
    let listed = app.get_json("/api/v1/tokens", &secret).await;
    assert_eq!(listed["items"][0]["imported"], true);

    // Nowhere is it shown again: not in lists, the token, or the audit log.
    let everything = [
        app.get_json("/api/v1/admin/tokens", &root).await,
        app.get_json(&format!("/api/v1/admin/tokens/{id}"), &root)
            .await,
        app.get_json("/api/v1/admin/audit", &root).await,
    ];
    for answer in &everything {
        assert!(!answer.to_string().contains(&secret[..16]), "{answer}");
    }
    let created = app
        .get_json("/api/v1/admin/audit?action=token.create", &root)
        .await;
    assert_eq!(created["items"][0]["details"]["imported"], true);
    let row = access_token::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.secret_digest, app::server::secrets::digest(&secret));

    // Regenerating gives a Tessera secret, no longer imported; the old one stops.
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/tokens/{id}/regenerate"),
            &root,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["secret"].as_str().unwrap().starts_with("tsr_"));
    assert_eq!(body["token"]["imported"], false);
    assert_eq!(app.me_status(&secret).await, 401);
}

async fn weak_secrets_are_refused_by_name_and_nothing_is_created(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let before = access_token::Entity::find().count(&app.db).await.unwrap();
    let tsr = app::server::secrets::new_access_token();
    let typo = format!(
        "{}{}",
        &tsr[..41],
        if tsr.ends_with('a') { 'b' } else { 'a' }
    );
    let cases = [
        ("Zx9Qw7Er5Ty3Ui1Op0As".to_owned(), "at least 22"),
        ("x".repeat(257), "at most 256"),
        ("Zx9Qw7Er5Ty3 Ui1Op0AsDf8Gh".to_owned(), "no spaces"),
        (
            "Zx9Qw7Er5Ty3\u{0}Ui1Op0AsDf8Gh".to_owned(),
            "no spaces, control",
        ),
        ("Zx9Qw7Er5Ty3éUi1Op0AsDf8Gh".to_owned(), "ASCII"),
        ("abcdefghijklmnopqrstuvwxyz".to_owned(), "bits of entropy"),
        ("aB3dE6gH9jK2aB3dE6gH9jK2".to_owned(), "repeats"),
        ("Zx9Qw7Er5Ty3Ui1Op0abcde8Sd".to_owned(), "consecutive"),
        (typo, "checksum"),
    ];
    for (secret, words) in cases {
        let (status, body) = import(&app, &root, &secret).await;
        assert_eq!(status, 422, "{secret:?}: {body}");
        assert_eq!(body["error"]["field"], "secret", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{secret:?}: {message}");
        assert!(
            !message.contains(&secret),
            "the message never repeats the secret"
        );
    }
    assert_eq!(
        access_token::Entity::find().count(&app.db).await.unwrap(),
        before
    );

    // A narrower credential cannot import: the route is the administrators'.
    let user = app.issue("svc", &["profile:read", "tokens:write"]).await;
    let (status, _) = import(&app, &user.secret, &foreign_secret()).await;
    assert_eq!(status, 403);
}

async fn a_secret_in_use_is_refused_even_by_racing_imports(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;

    let secret = foreign_secret();
    let racing = (0..4).map(|_| import(&app, &root, &secret));
    let statuses: Vec<u16> = futures_util::future::join_all(racing)
        .await
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        3,
        "{statuses:?}"
    );

    // A generated token's secret, current or in its overlap, and an endpoint token's.
    let generated = app.issue("svc", &["profile:read"]).await;
    let (status, body) = import(&app, &root, &generated.secret).await;
    assert_eq!((status, &body["error"]["field"]), (409, &json!("secret")));
    let (status, rotated) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/tokens/{}/regenerate", generated.token.id),
            &root,
            Some(json!({"grace_seconds": 3600})),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(import(&app, &root, &generated.secret).await.0, 409);
    let (status, endpoint_token) = app
        .call(
            Method::POST,
            "/api/v1/admin/endpoint-tokens",
            &root,
            Some(json!({"name": "shop"})),
        )
        .await;
    assert_eq!(status, 201, "{endpoint_token}");
    let endpoint_secret = endpoint_token["secret"].as_str().unwrap();
    assert_eq!(import(&app, &root, endpoint_secret).await.0, 409);
}

//! No credential yields more than it holds: the escalation matrix, one audited change path,
//! revocation under load, the last administrator, and the audit of refused requests.
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use reqwest::Method;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::json;

use app::server::entity::{access_token, change_counter};
use app::server::error::ServiceError;
use app::server::service::{accounts, tokens};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    a_request_that_verified_before_a_change_cannot_commit_after_it,
    a_token_creates_no_token_that_outlives_it,
    control_characters_in_filters_are_refused_by_name,
    a_token_grants_no_scope_it_does_not_hold,
    a_session_grants_no_scope_it_does_not_hold,
    a_change_whose_audit_fails_leaves_nothing_changed,
    after_a_revoke_answers_no_request_with_the_token_succeeds,
    the_last_active_administrator_stays,
    parallel_demotions_leave_one_administrator,
    refused_requests_are_audited_once_per_minute_without_secrets,
    the_audit_api_filters_and_pages,
    every_change_a_client_makes_is_audited_with_its_address,
);

/// Issues a token for `user` as the bootstrap administrator would.
async fn issue_for(app: &TestApp, user: &str, scopes: &[&str]) -> app::api::tokens::IssuedToken {
    let admin = app.admin().await;
    tokens::create(
        &app.db,
        &app.state.auth,
        tokens::Owner::User(&admin, user),
        tokens::NewToken {
            name: format!("{user} {}", scopes.join(" ")),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        },
    )
    .await
    .expect("issue")
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, String) {
    let mut request = app.api(method, path, Some(token));
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_and_code(request.send().await.unwrap()).await
}

async fn create_own(app: &TestApp, token: &str, scopes: &[&str]) -> (u16, String) {
    send(
        app,
        Method::POST,
        "/api/v1/tokens",
        token,
        Some(json!({"name": "asked for", "scopes": scopes})),
    )
    .await
}

async fn count_events(app: &TestApp, action: &str) -> usize {
    use app::server::entity::audit_event;
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&app.db)
        .await
        .unwrap() as usize
}

async fn a_token_grants_no_scope_it_does_not_hold(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("uma", false).await;

    // The administrator's own narrow token, and a wide one.
    let narrow = app.issue("admin", &["tokens:write"]).await;
    let wide = app.issue("admin", &["admin"]).await;
    let readable = app.issue("admin", &["tokens:read", "tokens:write"]).await;

    // Create: nothing beyond what the token holds.
    for asked in [
        &["admin"][..],
        &["tokens:write", "profile:read"],
        &["tokens:introspect"],
        &["tokens:read"],
    ] {
        assert_eq!(
            create_own(&app, &narrow.secret, asked).await,
            (403, "forbidden".into()),
            "tokens:write asking for {asked:?}"
        );
    }
    assert_eq!(
        create_own(&app, &narrow.secret, &["tokens:write"]).await.0,
        201
    );

    // Regenerate, describe (no REST route) and revoke: not on a wider token of the same owner.
    for (method, path) in [
        (
            Method::POST,
            format!("/api/v1/tokens/{}/regenerate", wide.token.id),
        ),
        (Method::DELETE, format!("/api/v1/tokens/{}", wide.token.id)),
        (
            Method::POST,
            format!("/api/v1/tokens/{}/regenerate", readable.token.id),
        ),
    ] {
        assert_eq!(
            send(&app, method.clone(), &path, &narrow.secret, None).await,
            (403, "forbidden".into()),
            "{method} {path}"
        );
    }
    // The wide token still works with its old secret: nothing was regenerated or revoked.
    assert_eq!(
        send(&app, Method::GET, "/api/v1/admin/users", &wide.secret, None)
            .await
            .0,
        200
    );
    // The refusals are audited naming the scopes, never a secret: once a minute for the
    // same credential, address and reason, however many times it tries.
    assert_eq!(count_events(&app, "token.escalation_refused").await, 1);

    // A token within its scopes may be regenerated and revoked by the narrow one.
    let peer = app.issue("admin", &["tokens:write"]).await;
    let path = format!("/api/v1/tokens/{}/regenerate", peer.token.id);
    assert_eq!(
        send(&app, Method::POST, &path, &narrow.secret, None)
            .await
            .0,
        200
    );

    // Administrators' routes need `admin`.
    for path in [
        "/api/v1/admin/users",
        "/api/v1/admin/tokens",
        "/api/v1/admin/audit",
    ] {
        assert_eq!(
            send(&app, Method::GET, path, &narrow.secret, None).await,
            (403, "forbidden".into()),
            "{path}"
        );
    }

    // A user's token: `admin` is refused, another user's token is not found.
    let uma = issue_for(&app, "uma", &["tokens:write", "tokens:read"]).await;
    assert_eq!(
        create_own(&app, &uma.secret, &["admin"]).await,
        (403, "forbidden".into())
    );
    let path = format!("/api/v1/tokens/{}/regenerate", wide.token.id);
    assert_eq!(
        send(&app, Method::POST, &path, &uma.secret, None).await,
        (404, "not_found".into())
    );
    let path = format!("/api/v1/tokens/{}", wide.token.id);
    assert_eq!(
        send(&app, Method::DELETE, &path, &uma.secret, None).await,
        (404, "not_found".into())
    );

    // Introspection is granted by administrators only: a gateway token for uma, which uma's
    // own tokens can neither copy nor regenerate.
    let gateway = issue_for(&app, "uma", &["tokens:introspect", "tokens:write"]).await;
    assert_eq!(
        create_own(&app, &gateway.secret, &["tokens:introspect"]).await,
        (403, "forbidden".into())
    );
    let path = format!("/api/v1/tokens/{}/regenerate", gateway.token.id);
    assert_eq!(
        send(&app, Method::POST, &path, &uma.secret, None).await,
        (403, "forbidden".into())
    );
    let introspected = send(
        &app,
        Method::POST,
        "/api/v1/tokens/introspect",
        &gateway.secret,
        Some(json!({"token": uma.secret})),
    )
    .await;
    assert_eq!(introspected.0, 200);
    assert_eq!(
        send(
            &app,
            Method::POST,
            "/api/v1/tokens/introspect",
            &uma.secret,
            Some(json!({"token": uma.secret})),
        )
        .await,
        (403, "forbidden".into())
    );

    // The administrator's `admin` token may grant anything to anyone.
    let granted = send(
        &app,
        Method::POST,
        "/api/v1/admin/tokens",
        &wide.secret,
        Some(json!({"user": "uma", "name": "gw", "scopes": ["tokens:introspect"]})),
    )
    .await;
    assert_eq!(granted.0, 201);
    let wide_writer = app.issue("admin", &["admin", "tokens:write"]).await;
    assert_eq!(
        create_own(&app, &wide_writer.secret, &["admin", "tokens:introspect"])
            .await
            .0,
        201
    );

    // Demoted, the administrator's `admin` token no longer holds `admin`.
    app.create_user("ada", true).await;
    let ada = app.issue("ada", &["admin", "tokens:write"]).await;
    let ada_id = app.user_id("ada").await;
    app.change_user(
        ada_id,
        accounts::UserChanges {
            admin: Some(false),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        create_own(&app, &ada.secret, &["admin"]).await,
        (403, "forbidden".into())
    );
    assert_eq!(
        send(&app, Method::GET, "/api/v1/admin/users", &ada.secret, None).await,
        (403, "forbidden".into())
    );
}

async fn a_session_grants_no_scope_it_does_not_hold(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("uma", false).await;
    let gateway = issue_for(&app, "uma", &["tokens:introspect"]).await;
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "uma", USER_PASSWORD).await.status(),
        200
    );

    // A user's session holds neither `admin` nor `tokens:introspect`: it cannot revoke,
    // rotate, describe or fence in the gateway token an administrator gave it.
    let id = gateway.token.id.to_string();
    let attempts = [
        (
            "revoke_token",
            client
                .post(app.url("/sfn/revoke_token"))
                .form(&[("id", id.as_str())]),
        ),
        (
            "regenerate_token",
            client
                .post(app.url("/sfn/regenerate_token"))
                .form(&[("id", id.as_str()), ("grace_seconds", "3600")]),
        ),
        (
            "update_token",
            client
                .post(app.url("/sfn/update_token"))
                .json(&serde_json::json!({
                    "id": gateway.token.id,
                    "edit": {"description": "mine now", "allowed_ips": ["192.0.2.1"]},
                })),
        ),
    ];
    for (function, request) in attempts {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "{function}");
    }
    let row = access_token::Entity::find_by_id(gateway.token.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.revoked_at.is_none());
    assert_eq!(row.description, "");
    assert_eq!(row.allowed_ips, "");
    assert_eq!(
        row.secret_digest,
        app::server::secrets::digest(&gateway.secret)
    );

    // Her own ordinary token she may revoke.
    let own = app.issue("uma", &["tokens:read"]).await;
    let response = client
        .post(app.url("/sfn/revoke_token"))
        .form(&[("id", own.token.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Makes every audit write of `action` fail inside the database, as a full disk or a broken
/// table would.
async fn break_audit_of(app: &TestApp, backend: Backend, action: &str) {
    let name = format!("fail_{}", action.replace('.', "_"));
    let statements = match backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER {name} BEFORE INSERT ON audit_events \
             WHEN NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'injected'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN \
                 IF NEW.action = '{action}' THEN RAISE EXCEPTION 'injected'; END IF; \
                 RETURN NEW; END $$ LANGUAGE plpgsql"
            ),
            format!(
                "CREATE TRIGGER {name} BEFORE INSERT ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION {name}()"
            ),
        ],
    };
    for statement in statements {
        app.db.execute_unprepared(&statement).await.unwrap();
    }
}

async fn counter(app: &TestApp) -> i64 {
    change_counter::Entity::find_by_id(1)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .value
}

async fn a_change_whose_audit_fails_leaves_nothing_changed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let token = app.issue("admin", &["profile:read", "tokens:write"]).await;
    assert_eq!(
        send(&app, Method::GET, "/api/v1/me", &token.secret, None)
            .await
            .0,
        200
    );
    break_audit_of(&app, backend, "token.revoke").await;
    let before = counter(&app).await;

    let path = format!("/api/v1/tokens/{}", token.token.id);
    assert_eq!(
        send(&app, Method::DELETE, &path, &token.secret, None).await,
        (500, "internal_error".into())
    );
    let row = access_token::Entity::find_by_id(token.token.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.revoked_at.is_none(),
        "the revoke was rolled back with its audit event"
    );
    assert_eq!(
        counter(&app).await,
        before,
        "the counter was rolled back too"
    );
    assert_eq!(
        send(&app, Method::GET, "/api/v1/me", &token.secret, None)
            .await
            .0,
        200
    );

    // A user change the same way: the lock is not kept without its event.
    break_audit_of(&app, backend, "user.update").await;
    app.create_user("vic", false).await;
    let vic = app.user_id("vic").await;
    let err = accounts::update_user(
        &app.db,
        &app.state.auth,
        &app.admin().await,
        vic,
        accounts::UserChanges {
            locked: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Db(_)), "{err:?}");
    let user = accounts::find_by_id(&app.db, vic).await.unwrap().unwrap();
    assert!(!user.locked);
}

async fn after_a_revoke_answers_no_request_with_the_token_succeeds(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = Arc::new(TestApp::spawn(&db).await);
    let target = app.issue("admin", &["profile:read", "tokens:write"]).await;
    let churn: Vec<_> = {
        let mut churn = Vec::new();
        for _ in 0..3 {
            churn.push(app.issue("admin", &["profile:read"]).await);
        }
        churn
    };
    let revoked = Arc::new(AtomicBool::new(false));
    let accepted_after = Arc::new(AtomicUsize::new(0));
    let refused_after = Arc::new(AtomicUsize::new(0));
    const AFTER_EACH: usize = 25;

    let mut users = Vec::new();
    for _ in 0..6 {
        let (app, secret) = (app.clone(), target.secret.clone());
        let (revoked, accepted_after, refused_after) = (
            revoked.clone(),
            accepted_after.clone(),
            refused_after.clone(),
        );
        users.push(tokio::spawn(async move {
            let mut seen_after = 0;
            for _ in 0..10_000 {
                let after = revoked.load(Ordering::SeqCst);
                let status = app
                    .api(Method::GET, "/api/v1/me", Some(&secret))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                if after {
                    seen_after += 1;
                    if status == 200 {
                        accepted_after.fetch_add(1, Ordering::SeqCst);
                    } else {
                        assert_eq!(status, 401);
                        refused_after.fetch_add(1, Ordering::SeqCst);
                    }
                    if seen_after == AFTER_EACH {
                        break;
                    }
                }
            }
        }));
    }
    // Other tokens are regenerated meanwhile: each change resets the cache and makes the
    // users' requests refill it while the revoke commits.
    let regenerating = {
        let app = app.clone();
        let ids: Vec<i64> = churn.iter().map(|t| t.token.id).collect();
        let revoked = revoked.clone();
        tokio::spawn(async move {
            let admin = app.admin().await;
            let mut rounds = 0;
            while !revoked.load(Ordering::SeqCst) || rounds < 10 {
                for id in &ids {
                    tokens::regenerate(
                        &app.db,
                        &app.state.auth,
                        app::server::authz::Reach::Any(&admin),
                        *id,
                        tokens::Rotation::default(),
                    )
                    .await
                    .unwrap();
                }
                rounds += 1;
                if rounds > 200 {
                    break;
                }
            }
        })
    };
    // Let the users run through a few cache refills first.
    for _ in 0..20 {
        assert_eq!(
            send(&app, Method::GET, "/api/v1/me", &target.secret, None)
                .await
                .0,
            200
        );
    }
    let path = format!("/api/v1/tokens/{}", target.token.id);
    assert_eq!(
        send(&app, Method::DELETE, &path, &target.secret, None)
            .await
            .0,
        204
    );
    revoked.store(true, Ordering::SeqCst);
    for user in users {
        user.await.unwrap();
    }
    regenerating.await.unwrap();
    assert_eq!(accepted_after.load(Ordering::SeqCst), 0);
    assert_eq!(refused_after.load(Ordering::SeqCst), 6 * AFTER_EACH);
}

async fn the_last_active_administrator_stays(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let token = app.issue("admin", &["admin"]).await;
    let admin_id = app.user_id("admin").await;
    let yesterday = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let path = format!("/api/v1/admin/users/{admin_id}");
    for (body, field) in [
        (json!({"admin": false}), "admin"),
        (json!({"locked": true}), "locked"),
        (json!({"active_until": yesterday}), "active_until"),
    ] {
        let response = app
            .api(Method::PATCH, &path, Some(&token.secret))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 409, "{body}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "conflict");
        assert_eq!(body["error"]["field"], field);
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("At least one active administrator"));
    }
    // Nor an end date in the future: nobody would administer after it.
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let response = app
        .api(Method::PATCH, &path, Some(&token.secret))
        .json(&json!({"active_until": tomorrow}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    // Nothing of it was kept: the administrator still administers.
    assert_eq!(
        send(
            &app,
            Method::GET,
            "/api/v1/admin/users",
            &token.secret,
            None
        )
        .await
        .0,
        200
    );

    // A locked administrator does not count: with a second one locked, the first stays.
    app.create_user("ada", true).await;
    let ada = app.user_id("ada").await;
    let step_down = || {
        app.api(Method::PATCH, &path, Some(&token.secret))
            .json(&json!({"admin": false}))
            .send()
    };
    let lock_ada = |locked| {
        app.change_user(
            ada,
            accounts::UserChanges {
                locked: Some(locked),
                ..Default::default()
            },
        )
    };
    lock_ada(true).await;
    assert_eq!(step_down().await.unwrap().status(), 409);
    // Unlocked, she may take over, and then the first may step down.
    lock_ada(false).await;
    assert_eq!(step_down().await.unwrap().status(), 200);
}

async fn parallel_demotions_leave_one_administrator(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = Arc::new(TestApp::spawn(&db).await);
    app.create_user("ada", true).await;
    let ids = [app.user_id("admin").await, app.user_id("ada").await];
    for round in 0..3 {
        let proofs = [
            app.admin().await,
            app.operator("ada").await.admin().unwrap(),
        ];
        let mut demotions = Vec::new();
        // Each administrator demotes the other, at the same moment.
        for (proof, target) in proofs.into_iter().zip([ids[1], ids[0]]) {
            let app = app.clone();
            demotions.push(tokio::spawn(async move {
                accounts::update_user(
                    &app.db,
                    &app.state.auth,
                    &proof,
                    target,
                    accounts::UserChanges {
                        admin: Some(false),
                        ..Default::default()
                    },
                )
                .await
            }));
        }
        let mut done = 0;
        let mut refused = 0;
        for demotion in demotions {
            match demotion.await.unwrap() {
                Ok(_) => done += 1,
                Err(ServiceError::Conflict { field: "admin", .. }) => refused += 1,
                Err(other) => panic!("round {round}: {other:?}"),
            }
        }
        assert_eq!((done, refused), (1, 1), "round {round}");
        let mut admins = 0;
        for id in ids {
            admins += usize::from(is_admin(&app.db, id).await);
        }
        assert_eq!(admins, 1, "round {round}");
        // The one left promotes the other again for the next round.
        let mut remaining = None;
        for name in ["admin", "ada"] {
            remaining = remaining.or(app.operator(name).await.admin());
        }
        for id in ids {
            accounts::update_user(
                &app.db,
                &app.state.auth,
                remaining.as_ref().unwrap(),
                id,
                accounts::UserChanges {
                    admin: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        }
    }
}

async fn audit_rows(app: &TestApp, token: &str, query: &str) -> serde_json::Value {
    let response = app
        .api(
            Method::GET,
            &format!("/api/v1/admin/audit?{query}"),
            Some(token),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    response.json().await.unwrap()
}

async fn refused_requests_are_audited_once_per_minute_without_secrets(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let reader = app.issue("admin", &["admin"]).await;
    let narrow = app.issue("admin", &["tokens:read"]).await;
    let unknown = app::server::secrets::new_access_token();

    // A flood of the same unknown token from one address: many 401s, one event.
    for _ in 0..30 {
        assert_eq!(
            send(&app, Method::GET, "/api/v1/me", &unknown, None)
                .await
                .0,
            401
        );
    }
    // A valid token without the scope: 403s, one event naming its number.
    for _ in 0..10 {
        assert_eq!(
            send(&app, Method::GET, "/api/v1/me", &narrow.secret, None)
                .await
                .0,
            403
        );
    }
    let page = audit_rows(&app, &reader.secret, "action=auth.refused").await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let text = page.to_string();
    assert!(
        !text.contains(&unknown),
        "the secret is not in the audit log"
    );
    assert!(!text.contains(&narrow.secret));
    let reasons: Vec<_> = items
        .iter()
        .map(|e| e["details"]["reason"].clone())
        .collect();
    assert!(reasons.contains(&json!("invalid_token")));
    assert!(reasons.contains(&json!("forbidden")));
    let forbidden = items
        .iter()
        .find(|e| e["details"]["reason"] == "forbidden")
        .unwrap();
    assert_eq!(forbidden["target"], narrow.token.number);
    assert_eq!(forbidden["ip"], "127.0.0.1");
    let invalid = items
        .iter()
        .find(|e| e["details"]["reason"] == "invalid_token")
        .unwrap();
    assert!(
        invalid["target"].as_str().unwrap().contains('…'),
        "a hint: {invalid}"
    );

    // A server function refused to an anonymous caller is audited too.
    let response = app
        .client()
        .post(app.url("/sfn/list_users"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let page = audit_rows(
        &app,
        &reader.secret,
        "action=auth.refused&target=no%20session",
    )
    .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

async fn the_audit_api_filters_and_pages(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let reader = app.issue("admin", &["admin"]).await;
    app.create_user("uma", false).await;
    let mut numbers = Vec::new();
    for _ in 0..5 {
        numbers.push(issue_for(&app, "uma", &["tokens:read"]).await.token.number);
    }
    let start = chrono::Utc::now();

    // Action prefix and exact target.
    let page = audit_rows(&app, &reader.secret, "action=token.create&limit=200").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 6);
    let page = audit_rows(&app, &reader.secret, &format!("target={}", numbers[2])).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["action"], "token.create");
    assert_eq!(items[0]["actor"], "admin");
    assert_eq!(items[0]["details"]["owner"], "uma");
    // Actor: the command line's issue of the reader was by admin as well; uma did nothing.
    let page = audit_rows(&app, &reader.secret, "actor=uma").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    // Pages of two, newest first, together exactly the token events.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = audit_rows(
            &app,
            &reader.secret,
            &format!("action=token.&limit=2&cursor={cursor}"),
        )
        .await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|e| e["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert!(
        seen.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seen:?}"
    );

    // Time range: nothing before the start after it, and everything of it before.
    let from = urlencode(&start.to_rfc3339());
    let page = audit_rows(&app, &reader.secret, &format!("action=token.&from={from}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    let page = audit_rows(&app, &reader.secret, &format!("action=token.&to={from}")).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 6);

    // Bad input names the problem.
    for query in ["cursor=abc", "from=yesterday", "limit=-1"] {
        let response = app
            .api(
                Method::GET,
                &format!("/api/v1/admin/audit?{query}"),
                Some(&reader.secret),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{query}");
    }
    // It is in the OpenAPI document.
    let doc = app.openapi().await;
    assert!(doc["paths"]["/api/v1/admin/audit"]["get"].is_object());
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

/// What a bearer token proves, as the REST API's extractor builds it.
async fn token_grant(app: &TestApp, secret: &str) -> app::server::authz::Grant {
    use app::server::service::token_auth::{authenticate, Credentials};
    let authorization = format!("Bearer {secret}");
    authenticate(
        app.state.verifier(),
        Credentials {
            authorization: Some(&authorization),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .grant
}

/// A request verifies its token, then takes a while (a pass code to hash, a slow client)
/// while the token is revoked or its owner demoted: its change, ordered after theirs by
/// the change counter, is refused and nothing is written.
async fn a_request_that_verified_before_a_change_cannot_commit_after_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let writer = app.issue("admin", &["tokens:write", "profile:read"]).await;
    let in_flight = token_grant(&app, &writer.secret).await;
    let path = format!("/api/v1/tokens/{}", writer.token.id);
    assert_eq!(
        send(&app, Method::DELETE, &path, &writer.secret, None)
            .await
            .0,
        204
    );
    let before = count_events(&app, "token.create").await;
    let err = tokens::create(
        &app.db,
        &app.state.auth,
        tokens::Owner::Myself(&in_flight),
        tokens::NewToken {
            name: "minted late".into(),
            scopes: vec!["profile:read".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Unauthenticated(_)), "{err:?}");
    assert_eq!(count_events(&app, "token.create").await, before);

    // A regenerated secret: the grant made with the old one no longer holds either.
    let other = app.issue("admin", &["tokens:write", "profile:read"]).await;
    let old = token_grant(&app, &other.secret).await;
    let path = format!("/api/v1/tokens/{}/regenerate", other.token.id);
    assert_eq!(
        send(&app, Method::POST, &path, &other.secret, None).await.0,
        200
    );
    let err = tokens::revoke(
        &app.db,
        &app.state.auth,
        app::server::authz::Reach::Own(&old),
        other.token.id,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Unauthenticated(_)), "{err:?}");

    // An administrator demoted while her request was on its way.
    app.create_user("ada", true).await;
    app.create_user("vic", false).await;
    let ada = app.issue("ada", &["admin"]).await;
    let proof = token_grant(&app, &ada.secret)
        .await
        .admin()
        .expect("ada administers");
    let ada_id = app.user_id("ada").await;
    app.change_user(
        ada_id,
        accounts::UserChanges {
            admin: Some(false),
            ..Default::default()
        },
    )
    .await;
    let vic = app.user_id("vic").await;
    let err = accounts::update_user(
        &app.db,
        &app.state.auth,
        &proof,
        vic,
        accounts::UserChanges {
            admin: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ServiceError::Forbidden), "{err:?}");
    assert!(!is_admin(&app.db, vic).await);
}

async fn a_token_creates_no_token_that_outlives_it(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
    let parent = app
        .issue_with(
            "admin",
            tokens::NewToken {
                name: "short-lived".into(),
                scopes: vec!["tokens:write".into(), "profile:read".into()],
                expires: tokens::Expiry::On(tomorrow),
                ..Default::default()
            },
        )
        .await;
    // The default lifetime is cut to the parent's last day.
    let response = app
        .api(Method::POST, "/api/v1/tokens", Some(&parent.secret))
        .json(&json!({"name": "child", "scopes": ["profile:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let child: serde_json::Value = response.json().await.unwrap();
    assert_eq!(child["token"]["expires_at"], json!(tomorrow));
    // A later day, or never, is refused naming the field.
    let later = tomorrow + chrono::Duration::days(30);
    for expires_at in [json!(later), serde_json::Value::Null] {
        let response = app
            .api(Method::POST, "/api/v1/tokens", Some(&parent.secret))
            .json(&json!({"name": "child", "scopes": ["profile:read"], "expires_at": expires_at}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{expires_at}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], "expires_at");
    }
}

async fn control_characters_in_filters_are_refused_by_name(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await;
    for (path, field) in [
        ("/api/v1/admin/audit?actor=ad%00min", "actor"),
        ("/api/v1/admin/audit?target=x%0Ay", "target"),
        ("/api/v1/admin/tokens?q=a%00b", "q"),
    ] {
        let response = app
            .api(Method::GET, path, Some(&root.secret))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["field"], field, "{path}");
    }
    // A username with a NUL names nobody: the same answer as any unknown user.
    let response = app
        .api(Method::POST, "/api/v1/admin/tokens", Some(&root.secret))
        .json(&json!({"user": "ad\u{0}min", "name": "x", "scopes": ["profile:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let response = app
        .api(
            Method::GET,
            "/api/v1/admin/tokens?user=ad%00min",
            Some(&root.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

async fn every_change_a_client_makes_is_audited_with_its_address(backend: Backend) {
    use app::server::entity::audit_event;
    use sea_orm::{ColumnTrait, QueryFilter};

    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let writer = issue_for(&app, "admin", &["tokens:write", "tokens:read"]).await;
    let created = app
        .api(Method::POST, "/api/v1/tokens", Some(&writer.secret))
        .json(&json!({"name": "from a client", "scopes": ["tokens:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.json::<serde_json::Value>().await.unwrap()["token"]["id"]
        .as_i64()
        .unwrap();
    let revoked = app
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            Some(&writer.secret),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    for action in ["token.create", "token.revoke"] {
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq(action))
            .filter(audit_event::Column::Target.eq(app::api::tokens::number(id)))
            .all(&app.db)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{action}");
        assert_eq!(events[0].ip.as_deref(), Some("127.0.0.1"), "{action}");
    }
    // A change with no client (the command line, a test's service call) names none.
    let by_operator = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("token.create"))
        .filter(audit_event::Column::Target.eq(app::api::tokens::number(writer.token.id)))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_operator.ip, None);
    app.stop().await;
}

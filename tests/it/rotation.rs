//! Rotation with an overlap: both secrets work until the old one's time, then only the new
//! one; the old one's use is recorded; a token with only `tokens:rotate` rotates itself, once
//! per secret however many try at the same moment.
use reqwest::Method;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use app::server::entity::access_token;

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    both_secrets_work_until_the_overlap_ends,
    a_token_rotates_itself_with_nothing_wider,
    racing_self_rotations_rotate_once,
    bad_overlaps_are_refused_and_change_nothing,
    a_request_verified_with_a_replaced_secret_cannot_commit_after_a_newer_rotation,
    a_replaced_secret_makes_calls_but_no_change,
    regenerating_an_expired_token_gives_a_working_secret,
);

/// Changes a token's row as the passing of time would.
async fn age_token(app: &TestApp, id: i64, change: impl FnOnce(&mut access_token::ActiveModel)) {
    let row = access_token::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: access_token::ActiveModel = row.into();
    change(&mut row);
    row.update(&app.db).await.unwrap();
    // As a real change would: the next call reads the moved time.
    app.state.auth.reset();
}

/// Moves the end of a token's overlap to a moment in the past.
async fn end_overlap(app: &TestApp, id: i64) {
    age_token(app, id, |row| {
        row.previous_valid_until = Set(Some(chrono::Utc::now() - chrono::Duration::seconds(1)));
    })
    .await;
}

async fn both_secrets_work_until_the_overlap_ends(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let old = app.issue("svc", &["profile:read"]).await;
    let path = format!("/api/v1/admin/tokens/{}/regenerate", old.token.id);
    let (status, rotated) = app
        .call(
            Method::POST,
            &path,
            &root,
            Some(json!({"grace_seconds": 3600})),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    let until: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(rotated["previous_valid_until"].clone()).unwrap();
    // At the top of the answer, as with self-rotation, and in the token object.
    assert_eq!(
        rotated["previous_valid_until"],
        rotated["token"]["previous_valid_until"]
    );
    let expected = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!((until - expected).num_seconds().abs() < 60, "{until}");
    assert_eq!(app.me_status(&new).await, 200);
    assert_eq!(app.me_status(&old.secret).await, 200);

    // The old secret's use is recorded apart, and shown with the token.
    app.state.usage.flush(&app.db).await.unwrap();
    let shown = app
        .get_json(&format!("/api/v1/admin/tokens/{}", old.token.id), &root)
        .await;
    assert!(shown["previous_used_at"].is_string(), "{shown}");
    assert!(shown["previous_valid_until"].is_string(), "{shown}");
    let audit = app
        .get_json("/api/v1/admin/audit?action=token.regenerate", &root)
        .await;
    assert_eq!(audit["items"][0]["details"]["grace_seconds"], 3600);
    assert!(
        !audit.to_string().contains(&new[4..]),
        "no secret in the audit log"
    );

    // At the overlap's end the old secret stops at the next call.
    end_overlap(&app, old.token.id).await;
    assert_eq!(app.me_status(&old.secret).await, 401);
    assert_eq!(app.me_status(&new).await, 200);

    // Without an overlap (no body at all): the old one stops at once, as before.
    let (status, again) = app.call(Method::POST, &path, &root, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["token"]["previous_valid_until"],
        serde_json::Value::Null
    );
    assert_eq!(app.me_status(&new).await, 401);
    assert_eq!(app.me_status(again["secret"].as_str().unwrap()).await, 200);

    // Left out as generated clients leave it out: a JSON content type and no bytes.
    let response = app
        .api(Method::POST, &path, Some(&root))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(app.me_status(again["secret"].as_str().unwrap()).await, 401);
    app.stop().await;
}

async fn a_token_rotates_itself_with_nothing_wider(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let first = app.issue("svc", &["profile:read", "tokens:rotate"]).await;
    let other = app.issue("svc", &["profile:read"]).await;
    let rotate = "/api/v1/tokens/self/rotate";
    let (status, answer) = app
        .call(
            Method::POST,
            rotate,
            &first.secret,
            Some(json!({"grace_seconds": 600})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token"]["id"], first.token.id);
    assert!(answer["previous_valid_until"].is_string(), "{answer}");
    let second = answer["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.me_status(&first.secret).await, 200);
    assert_eq!(app.me_status(&second).await, 200);

    // The replaced secret cannot rotate again (it would take over the new one).
    let (status, refused) = app.call(Method::POST, rotate, &first.secret, None).await;
    assert_eq!(status, 409, "{refused}");
    // The new one can; the first secret's overlap is replaced and it stops.
    let (status, answer) = app.call(Method::POST, rotate, &second, None).await;
    assert_eq!(status, 200);
    let third = answer["secret"].as_str().unwrap().to_owned();
    assert_eq!(answer["previous_valid_until"], serde_json::Value::Null);
    assert_eq!(app.me_status(&first.secret).await, 401);
    assert_eq!(app.me_status(&second).await, 401);
    assert_eq!(app.me_status(&third).await, 200);

    // tokens:rotate reaches nothing else: not another token, not a list.
    let path = format!("/api/v1/tokens/{}/regenerate", other.token.id);
    assert_eq!(app.call(Method::POST, &path, &third, None).await.0, 403);
    let list = app
        .api(Method::GET, "/api/v1/tokens", Some(&third))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 403);
    assert_eq!(app.me_status(&other.secret).await, 200);
    // And a token without it cannot rotate itself.
    assert_eq!(
        app.call(Method::POST, rotate, &other.secret, None).await.0,
        403
    );
    assert_eq!(app.me_status(&other.secret).await, 200);
    app.stop().await;
}

async fn racing_self_rotations_rotate_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read", "tokens:rotate"]).await;
    let body = json!({"grace_seconds": 60});
    let calls = (0..8).map(|_| {
        app.call(
            Method::POST,
            "/api/v1/tokens/self/rotate",
            &token.secret,
            Some(body.clone()),
        )
    });
    let answers = futures_util::future::join_all(calls).await;
    let won: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, _)| *status == 200 || *status == 409),
        "{answers:?}"
    );
    // The winner's secret works, and the presented one during its overlap.
    let new = won[0].1["secret"].as_str().unwrap();
    assert_eq!(app.me_status(new).await, 200);
    assert_eq!(app.me_status(&token.secret).await, 200);
    app.stop().await;
}

async fn bad_overlaps_are_refused_and_change_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let token = app.issue("admin", &["profile:read"]).await;
    let path = format!("/api/v1/admin/tokens/{}/regenerate", token.token.id);
    for grace in [
        json!(604_801),
        json!(-1),
        json!("1h"),
        json!(1.5),
        json!(null),
    ] {
        let (status, answer) = app
            .call(
                Method::POST,
                &path,
                &root,
                Some(json!({"grace_seconds": grace})),
            )
            .await;
        assert_eq!(status, 422, "{grace}: {answer}");
    }
    let (status, answer) = app
        .call(
            Method::POST,
            &path,
            &root,
            Some(json!({"grace_seconds": 604_801})),
        )
        .await;
    assert_eq!(
        (status, &answer["error"]["field"]),
        (422, &json!("grace_seconds"))
    );
    let response = app
        .api(Method::POST, &path, Some(&root))
        .header("Content-Type", "application/json")
        .body("{\"grace_seconds\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(app.me_status(&token.secret).await, 200);
    // Seven days exactly is allowed.
    let (status, _) = app
        .call(
            Method::POST,
            &path,
            &root,
            Some(json!({"grace_seconds": 604_800})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(app.me_status(&token.secret).await, 200);
    app.stop().await;
}

/// As on GitHub: an expired token regenerated gets a secret that works, for the policy's
/// default lifetime; the expired secret is not revived by an overlap.
async fn regenerating_an_expired_token_gives_a_working_secret(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let token = app.issue("admin", &["profile:read"]).await;
    let today = chrono::Utc::now().date_naive();
    age_token(&app, token.token.id, |row| {
        row.expires_at = Set(Some(today - chrono::Duration::days(1)));
    })
    .await;
    assert_eq!(app.me_status(&token.secret).await, 401);

    let path = format!("/api/v1/admin/tokens/{}/regenerate", token.token.id);
    let (status, answer) = app
        .call(
            Method::POST,
            &path,
            &root,
            Some(json!({"grace_seconds": 3600})),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let policy = app::server::service::settings::load(&app.db).await.unwrap();
    let renewed = today + chrono::Duration::days(i64::from(policy.default_lifetime_days));
    assert_eq!(answer["token"]["expires_at"], json!(renewed.to_string()));
    assert_eq!(answer["previous_valid_until"], serde_json::Value::Null);
    let secret = answer["secret"].as_str().unwrap();
    assert_eq!(app.me_status(secret).await, 200);
    assert_eq!(app.me_status(&token.secret).await, 401);
    app.stop().await;
}

/// The holder of a replaced secret (a leaked one, say) keeps reading during the overlap, but
/// every change is refused: it cannot regenerate the token out of the new holder's hands,
/// widen its allowlist, issue tokens that outlive the overlap, or touch anything else.
async fn a_replaced_secret_makes_calls_but_no_change(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app
        .issue(
            "admin",
            &["admin", "tokens:read", "tokens:write", "profile:read"],
        )
        .await;
    let mine = app.issue("admin", &["profile:read"]).await;
    app.create_user("svc", false).await;
    let svc = app.issue("svc", &["profile:read"]).await;
    let svc_id = app.user_id("svc").await;
    let (endpoint, endpoint_token) = app.endpoint_with_token(&root.secret).await;

    let own = format!("/api/v1/admin/tokens/{}/regenerate", root.token.id);
    let (status, rotated) = app
        .call(
            Method::POST,
            &own,
            &root.secret,
            Some(json!({"grace_seconds": 3600})),
        )
        .await;
    assert_eq!(status, 200, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    let old = root.secret.as_str();
    // Changes in the audit log (refusals are logged too, and are not changes).
    let changes_logged = || async {
        app.get_json("/api/v1/admin/audit?limit=100", &new).await["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|event| !event["action"].as_str().unwrap().contains("refused"))
            .count()
    };
    let before = changes_logged().await;

    let id = root.token.id;
    let mine_id = mine.token.id;
    let changes: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (
            Method::POST,
            format!("/api/v1/tokens/{mine_id}/regenerate"),
            None,
        ),
        (
            Method::POST,
            own.clone(),
            Some(json!({"grace_seconds": 60})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/tokens/{mine_id}"),
            Some(json!({"allowed_ips": ["10.0.0.0/8"]})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/tokens/{id}"),
            Some(json!({"allowed_ips": ["0.0.0.0/0"]})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/tokens/{id}"),
            Some(json!({"rate_limit_per_minute": 5})),
        ),
        (Method::DELETE, format!("/api/v1/tokens/{mine_id}"), None),
        (
            Method::DELETE,
            format!("/api/v1/admin/tokens/{mine_id}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/tokens".into(),
            Some(json!({"name": "outlives", "scopes": ["admin"]})),
        ),
        (
            Method::POST,
            "/api/v1/admin/tokens".into(),
            Some(json!({"name": "outlives", "user": "svc", "scopes": ["profile:read"]})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/tokens/{}/regenerate", svc.token.id),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/tokens/{}/revoke", svc.token.id),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/users/{svc_id}"),
            Some(json!({"admin": true})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/users/{svc_id}/revoke-tokens"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/admin/endpoints/{endpoint}/primaries/post/regenerate"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/endpoints/{endpoint}"),
            Some(json!({"auth_type": "none"})),
        ),
        (
            Method::POST,
            "/api/v1/admin/endpoint-tokens".into(),
            Some(json!({"name": "Shadow"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/endpoint-tokens/{endpoint_token}"),
            Some(json!({"allowed_ips": ["0.0.0.0/0"]})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/endpoint-tokens/{endpoint_token}/regenerate"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/admin/endpoints/{endpoint}/assignments/{endpoint_token}"),
            Some(json!({"post": true, "get": true, "delete": false, "enabled": true})),
        ),
        (
            Method::POST,
            "/api/v1/admin/webhooks".into(),
            Some(json!({"url": "https://93.184.216.34/hook", "events": ["token.revoked"]})),
        ),
    ];
    for (method, path, body) in changes {
        let (status, answer) = app.call(method.clone(), &path, old, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (403, Some("previous_secret")),
            "{method} {path}: {answer}"
        );
    }

    // Ordinary calls still work with it, and nothing changed: the new secret holds the
    // token, svc's token and the endpoint token work, no token or audit event was added.
    assert_eq!(app.me_status(old).await, 200);
    let listed = app.get_json("/api/v1/admin/tokens", old).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3, "{listed}");
    assert_eq!(app.me_status(&mine.secret).await, 200);
    assert_eq!(app.me_status(&new).await, 200);
    assert_eq!(app.me_status(&svc.secret).await, 200);
    let shown = app
        .get_json(&format!("/api/v1/admin/tokens/{id}"), &new)
        .await;
    assert_eq!(shown["allowed_ips"], json!([]), "{shown}");
    assert_eq!(shown["rate_limit_per_minute"], json!(null), "{shown}");
    let tokens = app.get_json("/api/v1/admin/endpoint-tokens", &new).await;
    assert_eq!(tokens["items"].as_array().unwrap().len(), 1, "{tokens}");
    assert_eq!(tokens["items"][0]["allowed_ips"], json!([]), "{tokens}");
    let hooks = app.get_json("/api/v1/admin/webhooks", &new).await;
    assert_eq!(hooks["items"], json!([]), "{hooks}");
    assert_eq!(changes_logged().await, before);
    // The attempts are in the log, by the token's number.
    let refusals = app
        .get_json("/api/v1/admin/audit?action=auth.refused", &new)
        .await;
    let tried = refusals["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|event| event["details"]["reason"] == "previous_secret")
        .collect::<Vec<_>>();
    // One row a minute, counted (two if the attempts straddled a minute).
    assert!((1..=2).contains(&tried.len()), "{refusals}");
    assert_eq!(tried[0]["target"], app::model::token::number(id));
    app.stop().await;
}

/// A request verified with the previous secret P; before its change commits, another
/// rotation replaces the overlap (P stops at once). The change must be refused, though the
/// secret that was current when it verified is now the previous one and still overlaps.
async fn a_request_verified_with_a_replaced_secret_cannot_commit_after_a_newer_rotation(
    backend: Backend,
) {
    use app::server::authz::Reach;
    use app::server::service::{token_auth, tokens};
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read", "tokens:write"]).await;
    let path = format!("/api/v1/admin/tokens/{}/regenerate", token.token.id);
    let rotate = || {
        app.call(
            Method::POST,
            &path,
            &root,
            Some(json!({"grace_seconds": 3600})),
        )
    };
    assert_eq!(rotate().await.0, 200);
    let authorization = format!("Bearer {}", token.secret);
    let credentials = token_auth::Credentials {
        authorization: Some(&authorization),
        ..Default::default()
    };
    let grant = token_auth::authenticate(app.state.verifier(), credentials)
        .await
        .unwrap()
        .grant;
    let rename = |name: &str| app::model::token::TokenEdit {
        name: Some(name.to_owned()),
        ..Default::default()
    };
    // While P still overlaps, it authenticates but changes nothing.
    let refused = tokens::update(
        &app.db,
        &app.state.auth,
        Reach::Own(&grant),
        token.token.id,
        rename("first"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, app::server::error::ServiceError::PreviousSecret),
        "{refused:?}"
    );
    assert_eq!(rotate().await.0, 200);
    let refused = tokens::update(
        &app.db,
        &app.state.auth,
        Reach::Own(&grant),
        token.token.id,
        rename("late"),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            refused,
            app::server::error::ServiceError::Unauthenticated(_)
        ),
        "{refused:?}"
    );
    assert_eq!(app.me_status(&token.secret).await, 401);
}

/// A token not yet cached is found by its digest, current or replaced, through an index even
/// after `ANALYZE` has seen that almost no token has a replaced secret (SQLite then judged a
/// full index on `previous_digest` useless and read every row). Leak reports look up the
/// endpoints' secrets the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_is_looked_up_by_index_whatever_the_statistics() {
    use app::server::entity::{endpoint_primary, endpoint_token};
    use app::server::service::tokens::either_digest;
    use sea_orm::{ConnectionTrait, DbBackend, QueryFilter, QueryTrait, Statement};

    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    let owner = app.user_id("admin").await;
    seed_tokens(&app.db, owner, "seeded ", 2_000).await;
    let token = app.issue("admin", &["profile:read"]).await;
    // The statistics an `ANALYZE` without STAT4 (Debian's sqlite3, say) writes at a million
    // tokens: these, without the samples and with the row counts scaled (2,001 tokens here),
    // then read again by the planner.
    for sql in [
        "ANALYZE",
        "DELETE FROM sqlite_stat4",
        "UPDATE sqlite_stat1 SET stat = replace(stat, '2001', '1000001') \
         WHERE tbl = 'access_tokens'",
        "ANALYZE sqlite_schema",
    ] {
        app.db.execute_unprepared(sql).await.unwrap();
    }

    let digest = "0".repeat(64);
    let lookups = [
        access_token::Entity::find()
            .filter(either_digest(
                access_token::Column::SecretDigest,
                access_token::Column::PreviousDigest,
                &digest,
            ))
            .build(DbBackend::Sqlite),
        endpoint_primary::Entity::find()
            .filter(either_digest(
                endpoint_primary::Column::SecretDigest,
                endpoint_primary::Column::PreviousDigest,
                &digest,
            ))
            .build(DbBackend::Sqlite),
        endpoint_token::Entity::find()
            .filter(either_digest(
                endpoint_token::Column::SecretDigest,
                endpoint_token::Column::PreviousDigest,
                &digest,
            ))
            .build(DbBackend::Sqlite),
    ];
    for lookup in lookups {
        let plan: Vec<String> = app
            .db
            .query_all_raw(Statement {
                sql: format!("EXPLAIN QUERY PLAN {}", lookup.sql),
                ..lookup.clone()
            })
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "detail").unwrap())
            .collect();
        assert!(
            plan.iter().all(|step| !step.starts_with("SCAN")),
            "{}: {plan:?}",
            lookup.sql
        );
    }
    // And the lookup still finds the token, uncached.
    let fresh = TestApp::spawn(&db).await;
    assert_eq!(fresh.me_status(&token.secret).await, 200);
    fresh.stop().await;
    app.stop().await;
}

//! Kill switches: every token of a user, or every token issued before a moment, revoked in
//! one change that every instance honours; only administrators reach them.
use chrono::{Duration, Utc};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use app::server::entity::access_token;
use app::server::service::{settings, tokens};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    revoking_a_users_tokens_stops_them_on_every_instance,
    racing_kill_switches_revoke_each_token_once,
    revoking_by_issue_time_spares_newer_and_regenerated_secrets,
    only_administrators_reach_the_kill_switches,
    idle_tokens_are_flagged_listed_and_revoked_by_the_policy,
);

/// Calls `GET /api/v1/me` with `secret` on `app` until it answers 401; fails on anything but
/// 200 meanwhile or after ten seconds (the other instance follows within one at worst).
async fn refused_soon(app: &TestApp, secret: &str) {
    let start = std::time::Instant::now();
    loop {
        let status = app
            .api(Method::GET, "/api/v1/me", Some(secret))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status == 401 {
            return;
        }
        assert_eq!(status, 200);
        assert!(start.elapsed().as_secs() < 10, "still accepted after 10 s");
    }
}

async fn revoking_a_users_tokens_stops_them_on_every_instance(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = TestApp::spawn(&db).await;
    let b = TestApp::spawn(&db).await;
    let root = a.issue("admin", &["admin"]).await.secret;
    a.create_user("svc", false).await;
    a.create_user("bystander", false).await;
    let svc = a.user_id("svc").await;
    let tokens = [
        a.issue("svc", &["profile:read"]).await,
        a.issue("svc", &["tokens:read", "profile:read"]).await,
    ];
    let already = a.issue("svc", &["profile:read"]).await;
    let revoke_one = format!("/api/v1/admin/tokens/{}/revoke", already.token.id);
    assert_eq!(
        a.call(Method::POST, &revoke_one, &root, Some(json!(null)))
            .await
            .0,
        204
    );
    let other = a.issue("bystander", &["profile:read"]).await.secret;
    for token in &tokens {
        assert_eq!(b.me_status(&token.secret).await, 200);
    }

    let path = format!("/api/v1/admin/users/{svc}/revoke-tokens");
    let (status, body) = a.call(Method::POST, &path, &root, Some(json!(null))).await;
    assert_eq!((status, body), (200, json!({"revoked": 2})));
    for token in &tokens {
        // At once here, and on B as soon as it follows the change.
        assert_eq!(a.me_status(&token.secret).await, 401);
        refused_soon(&b, &token.secret).await;
    }
    assert_eq!(b.me_status(&other).await, 200);
    // Again: nothing left to revoke.
    assert_eq!(
        b.call(Method::POST, &path, &root, Some(json!(null))).await,
        (200, json!({"revoked": 0}))
    );

    // One event for the sweep, naming the user and the count, with the caller's address.
    let audit = a
        .get_json("/api/v1/admin/audit?action=token.revoke_all", &root)
        .await;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["target"], "svc");
    assert_eq!(items[1]["details"]["revoked"], 2);
    assert_eq!(items[1]["ip"], "127.0.0.1");
    // The token list says who revoked them.
    let listed = a
        .get_json("/api/v1/admin/tokens?user=svc&state=revoked", &root)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);

    let missing = a
        .call(
            Method::POST,
            "/api/v1/admin/users/999999/revoke-tokens",
            &root,
            Some(json!(null)),
        )
        .await;
    assert_eq!(missing.0, 404);
    a.stop().await;
    b.stop().await;
}

async fn racing_kill_switches_revoke_each_token_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let svc = app.user_id("svc").await;
    let mut secrets = Vec::new();
    for _ in 0..6 {
        secrets.push(app.issue("svc", &["profile:read"]).await.secret);
    }
    let before = json!({"before": chrono::Utc::now()});
    // Issued after the cut-off, so that the caller survives its own sweep.
    let root = app.issue("admin", &["admin"]).await.secret;
    let path = format!("/api/v1/admin/users/{svc}/revoke-tokens");
    let calls = (0..4).map(|i| {
        let (path, body) = if i % 2 == 0 {
            (path.as_str(), json!(null))
        } else {
            ("/api/v1/admin/tokens/revoke-issued-before", before.clone())
        };
        app.call(Method::POST, path, &root, Some(body))
    });
    let answers = futures_util::future::join_all(calls).await;
    let mut total = 0;
    for (status, body) in answers {
        assert_eq!(status, 200, "{body}");
        total += body["revoked"].as_u64().unwrap();
    }
    assert_eq!(
        total, 6,
        "each token counted once however the sweeps interleave"
    );
    for secret in &secrets {
        assert_eq!(app.me_status(secret).await, 401);
    }
    app.stop().await;
}

async fn revoking_by_issue_time_spares_newer_and_regenerated_secrets(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await;
    app.create_user("svc", false).await;
    let old = app.issue("svc", &["profile:read"]).await;
    let rotated = app.issue("svc", &["profile:read"]).await;
    let newer = app.issue("svc", &["profile:read"]).await;
    // The cut-off is the moment the newest token was issued, read back from the database:
    // the test's clock, not the wall clock's.
    let issued_at = |id| {
        let db = &app.db;
        async move {
            access_token::Entity::find_by_id(id)
                .one(db)
                .await
                .unwrap()
                .unwrap()
                .issued_at
        }
    };
    let cutoff = issued_at(newer.token.id).await;
    let regenerate = format!("/api/v1/admin/tokens/{}/regenerate", rotated.token.id);
    let (status, fresh) = app
        .call(Method::POST, &regenerate, &root.secret, Some(json!(null)))
        .await;
    assert_eq!(status, 200);
    assert!(issued_at(rotated.token.id).await > cutoff);
    // The administrator keeps a token issued after the cut-off to call with.
    let caller = app.issue("admin", &["admin"]).await.secret;

    let path = "/api/v1/admin/tokens/revoke-issued-before";
    let (status, body) = app
        .call(Method::POST, path, &caller, Some(json!({"before": cutoff})))
        .await;
    assert_eq!(
        (status, body),
        (200, json!({"revoked": 2})),
        "the old token and root"
    );
    assert_eq!(app.me_status(&old.secret).await, 401);
    assert_eq!(app.me_status(&root.secret).await, 401);
    assert_eq!(app.me_status(&newer.secret).await, 200);
    assert_eq!(app.me_status(fresh["secret"].as_str().unwrap()).await, 200);
    let event = app
        .get_json(
            "/api/v1/admin/audit?action=token.revoke_issued_before",
            &caller,
        )
        .await;
    assert_eq!(event["items"][0]["details"]["revoked"], 2);

    // Bad input names the problem and changes nothing.
    let future = json!({"before": chrono::Utc::now() + chrono::Duration::days(1)});
    let response = app
        .api(Method::POST, path, Some(&caller))
        .json(&future)
        .send()
        .await
        .unwrap();
    let body = error_body(response).await;
    assert!(
        body.contains("\"before\"") && body.contains("future"),
        "{body}"
    );
    for bad in [
        json!({"before": "yesterday"}),
        json!({}),
        json!({"before": "2026-13-01T00:00:00Z\u{0}"}),
    ] {
        let response = app
            .api(Method::POST, path, Some(&caller))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{bad}");
    }
    assert_eq!(app.me_status(&newer.secret).await, 200);
    let still = app
        .api(Method::GET, "/api/v1/admin/users", Some(&caller))
        .send()
        .await
        .unwrap();
    assert_eq!(still.status(), 200);
    app.stop().await;
}

async fn only_administrators_reach_the_kill_switches(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    app.create_user("svc", false).await;
    let svc = app.user_id("svc").await;
    let own = app
        .issue("svc", &["profile:read", "tokens:write"])
        .await
        .secret;
    let admin_id = app.user_id("admin").await;
    let admins = app.issue("admin", &["profile:read"]).await.secret;

    // A user's token, even with every scope it may hold, and an administrator's token
    // without `admin`.
    for token in [&own, &admins] {
        let path = format!("/api/v1/admin/users/{admin_id}/revoke-tokens");
        let response = app
            .api(Method::POST, &path, Some(token))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
        let body = json!({"before": chrono::Utc::now()});
        let path = "/api/v1/admin/tokens/revoke-issued-before";
        let response = app
            .api(Method::POST, path, Some(token))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403);
    }
    assert_eq!(app.me_status(&admins).await, 200);

    // The pages' server functions: a signed-in user is refused, an anonymous caller too.
    let client = app.client();
    assert_eq!(
        app.sign_in(&client, "svc", USER_PASSWORD).await.status(),
        200
    );
    let direct = client
        .post(app.url("/sfn/revoke_user_tokens"))
        .form(&[("user_id", admin_id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 403);
    let direct = client
        .post(app.url("/sfn/revoke_issued_before"))
        .form(&[("before", "2030-01-01T00:00:00Z")])
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 403);
    let anonymous = app
        .client()
        .post(app.url("/sfn/revoke_user_tokens"))
        .form(&[("user_id", svc.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(app.me_status(&own).await, 200);
    assert_eq!(app.me_status(&admins).await, 200);
    app.stop().await;
}

/// Backdates a token: created `created` days ago, last used `used` days ago (or never).
async fn backdate(app: &TestApp, id: i64, created: i64, used: Option<i64>) {
    let row = access_token::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: access_token::ActiveModel = row.into();
    let now = Utc::now();
    row.created_at = Set(now - Duration::days(created));
    row.issued_at = Set(now - Duration::days(created));
    row.last_used_at = Set(used.map(|days| now - Duration::days(days)));
    row.update(&app.db).await.unwrap();
    app.state.auth.reset();
}

async fn idle_tokens_are_flagged_listed_and_revoked_by_the_policy(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await.secret;
    app.create_user("svc", false).await;
    let admin = app.admin().await;
    let policy = settings::TokenSettings {
        idle_after_days: 30,
        revoke_idle_after_days: 60,
        ..settings::load(&app.db).await.unwrap()
    };
    settings::save(&app.db, &app.state.auth, &admin, &policy)
        .await
        .unwrap();
    let new = app.issue("svc", &["profile:read"]).await;
    let unused = app.issue("svc", &["profile:read"]).await;
    backdate(&app, unused.token.id, 40, None).await;
    let busy = app.issue("svc", &["profile:read"]).await;
    backdate(&app, busy.token.id, 100, Some(1)).await;
    let forgotten = app.issue("svc", &["profile:read"]).await;
    backdate(&app, forgotten.token.id, 100, Some(70)).await;
    let expired = app.issue("svc", &["profile:read"]).await;
    backdate(&app, expired.token.id, 100, Some(70)).await;
    let row = access_token::Entity::find_by_id(expired.token.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: access_token::ActiveModel = row.into();
    row.expires_at = Set(Some(Utc::now().date_naive() - Duration::days(1)));
    row.update(&app.db).await.unwrap();

    // Regenerated lately: its new secret is not idle, whatever the token's past.
    let rotated = app.issue("svc", &["profile:read"]).await;
    backdate(&app, rotated.token.id, 100, Some(70)).await;
    let regenerate = format!("/api/v1/admin/tokens/{}/regenerate", rotated.token.id);
    let (status, rotated_now) = app
        .call(Method::POST, &regenerate, &root, Some(json!(null)))
        .await;
    assert_eq!(status, 200);
    // Checked by a gateway lately: in use, though it never called the API itself.
    let checked = app.issue("svc", &["profile:read"]).await;
    backdate(&app, checked.token.id, 100, Some(70)).await;
    let gateway = app.issue("admin", &["tokens:introspect"]).await.secret;
    let (status, answer) = app
        .call(
            Method::POST,
            "/api/v1/tokens/introspect",
            &gateway,
            Some(json!({"token": checked.secret})),
        )
        .await;
    assert_eq!((status, &answer["active"]), (200, &json!(true)));
    app.state.usage.flush(&app.db).await.unwrap();
    app.state.auth.reset();

    // Flagged and listed: unused for 30 days, whether never used or not lately.
    let listed = app
        .ids_in_pages("/api/v1/admin/tokens?user=svc&state=idle", &root)
        .await;
    assert_eq!(listed, vec![forgotten.token.id, unused.token.id]);
    let one = app
        .get_json(&format!("/api/v1/admin/tokens/{}", unused.token.id), &root)
        .await;
    assert_eq!(one["idle"], true);
    let fresh = app
        .get_json(&format!("/api/v1/admin/tokens/{}", new.token.id), &root)
        .await;
    assert_eq!(fresh["idle"], false);
    // Flagging alone changes nothing: an idle token still works.
    assert_eq!(app.me_status(&unused.secret).await, 200);

    // The hourly sweep, on a clock the test sets: today, only the one unused for 70 days
    // (the expired one stays expired rather than revoked).
    let today = Utc::now().date_naive();
    // What Settings shows before saving a policy: the same tokens the sweep takes.
    let overseer = app.overseer().await;
    let preview = |days| tokens::count_revocable_idle(&app.db, &overseer, days, today);
    assert_eq!(preview(60).await.unwrap(), 1);
    assert_eq!(preview(35).await.unwrap(), 2);
    assert_eq!(preview(0).await.unwrap(), 0);
    let revoked = tokens::revoke_idle(&app.db, &app.state.auth, today)
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    assert_eq!(app.me_status(&forgotten.secret).await, 401);
    assert_eq!(app.me_status(&unused.secret).await, 200);
    assert_eq!(
        app.me_status(rotated_now["secret"].as_str().unwrap()).await,
        200
    );
    assert_eq!(app.me_status(&checked.secret).await, 200);
    assert_eq!(app.me_status(&busy.secret).await, 200);
    let gone = app
        .get_json(
            &format!("/api/v1/admin/tokens/{}", forgotten.token.id),
            &root,
        )
        .await;
    assert_eq!(gone["reason"], "revoked");
    let still_expired = app
        .get_json(&format!("/api/v1/admin/tokens/{}", expired.token.id), &root)
        .await;
    assert_eq!(still_expired["reason"], "expired");
    // Run again (another instance, the next hour): nothing more, and no second event.
    assert_eq!(
        tokens::revoke_idle(&app.db, &app.state.auth, today)
            .await
            .unwrap(),
        0
    );
    let events = app
        .get_json("/api/v1/admin/audit?action=token.revoke_idle", &root)
        .await;
    let events = events["items"].as_array().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["details"]["reason"], "idle");
    assert_eq!(events[0]["details"]["revoked"], 1);
    assert_eq!(events[0]["actor"], serde_json::Value::Null);

    // Three weeks later the one unused since 40 days ago passes 60 too.
    let later = today + Duration::days(21);
    let revoked = tokens::revoke_idle(&app.db, &app.state.auth, later)
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    assert_eq!(app.me_status(&unused.secret).await, 401);
    assert_eq!(app.me_status(&busy.secret).await, 200);
    assert_eq!(app.me_status(&new.secret).await, 200);

    // A policy that revokes before it flags is refused, naming the field.
    let backwards = settings::TokenSettings {
        idle_after_days: 30,
        revoke_idle_after_days: 10,
        ..policy.clone()
    };
    let err = settings::save(&app.db, &app.state.auth, &admin, &backwards)
        .await
        .unwrap_err();
    assert!(
        format!("{err:?}").contains("revoke_idle_after_days"),
        "{err:?}"
    );
    // Off: nothing flagged, nothing revoked.
    let off = settings::TokenSettings {
        idle_after_days: 0,
        revoke_idle_after_days: 0,
        ..policy
    };
    settings::save(&app.db, &app.state.auth, &admin, &off)
        .await
        .unwrap();
    let listed = app
        .ids_in_pages("/api/v1/admin/tokens?user=svc&state=idle", &root)
        .await;
    assert!(listed.is_empty());
    let far = today + Duration::days(3650);
    assert_eq!(
        tokens::revoke_idle(&app.db, &app.state.auth, far)
            .await
            .unwrap(),
        0
    );
    assert_eq!(app.me_status(&busy.secret).await, 200);
    app.stop().await;
}

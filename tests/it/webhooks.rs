//! Webhooks: signed deliveries from an outbox written with each change, retried with
//! backoff, claimed once across instances, only to public addresses unless allowed.
use chrono::{Duration, Utc};
use reqwest::Method;
use sea_orm::{EntityTrait, PaginatorTrait};

use app::server::audit_log::{Action, Event};
use app::server::change::Change;
use app::server::config::SessionConfig;
use app::server::entity::webhook_delivery;
use app::server::service::webhooks::delivery::Deliverer;

use crate::helpers::*;
use crate::on_both_backends;
use crate::receiver::{Receiver, Silent, SLOW};

on_both_backends!(
    lifecycle_events_arrive_signed_and_without_secrets,
    a_change_that_rolls_back_sends_nothing,
    a_failing_receiver_is_retried_with_backoff_until_it_answers,
    a_delivery_failing_for_a_day_turns_its_webhook_off,
    two_instances_send_each_delivery_once,
    one_webhooks_backlog_does_not_hold_up_another,
    a_silent_receiver_holds_up_only_its_own_webhook,
    webhooks_reach_only_public_addresses_unless_allowed,
    only_administrators_manage_webhooks,
    an_answer_slower_than_ten_seconds_is_a_failure,
    pending_deliveries_survive_a_killed_server,
);

/// A server whose webhooks may reach the test's own receiver on loopback.
pub async fn spawn_allowing_private(db: &TestDb) -> TestApp {
    TestApp::spawn_with(
        db,
        SessionConfig {
            webhook_allow_private: true,
            ..SessionConfig::default()
        },
    )
    .await
}

/// Adds a webhook for `events` through the API; its id and signing secret.
pub async fn add_webhook(app: &TestApp, root: &str, url: &str, events: &[&str]) -> (i64, String) {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/admin/webhooks",
            root,
            Some(serde_json::json!({ "url": url, "events": events })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    (body["webhook"]["id"].as_i64().unwrap(), secret)
}

/// Runs `app`'s delivery worker once as if it were `at`: how many it attempted.
pub async fn send_at(app: &TestApp, at: chrono::DateTime<Utc>) -> usize {
    app.state.webhooks.deliver_due(&app.db, at).await.unwrap()
}

/// Turns a webhook on or off through the API: the status and the answer.
async fn switch(app: &TestApp, root: &str, hook: i64, enabled: bool) -> (u16, serde_json::Value) {
    let path = format!("/api/v1/admin/webhooks/{hook}");
    let body = serde_json::json!({ "enabled": enabled });
    app.call(Method::PATCH, &path, root, Some(body)).await
}

async fn deliveries(app: &TestApp) -> u64 {
    webhook_delivery::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

async fn lifecycle_events_arrive_signed_and_without_secrets(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let (_, secret) = add_webhook(
        &app,
        &root,
        &receiver.url(),
        &["token.created", "token.rotated", "token.revoked"],
    )
    .await;
    app.create_user("svc", false).await;
    let token = app.issue("svc", &["profile:read"]).await;
    let id = token.token.id;
    let (status, rotated) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/tokens/{id}/regenerate"),
            &root,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/v1/admin/tokens/{id}/revoke"),
            &root,
            None,
        )
        .await;
    assert_eq!(status, 204);
    // A user created is not asked for: no delivery.
    app.create_user("other", false).await;

    let sent = send_at(&app, Utc::now()).await;
    assert_eq!(sent, 3);
    let received = receiver.received();
    let mut kinds: Vec<String> = received.iter().map(|r| r.kind()).collect();
    kinds.sort();
    assert_eq!(kinds, ["token.created", "token.revoked", "token.rotated"]);
    for event in &received {
        assert!(event.signed_by(&secret), "{event:?}");
        assert!(!event.signed_by(&app::server::service::webhooks::signature::new_secret()));
        assert!(event.id.starts_with("msg_"));
        let now = Utc::now().timestamp();
        let at: i64 = event.timestamp.parse().unwrap();
        assert!((now - 60..=now).contains(&at));
        assert_eq!(event.json()["data"]["target"], format!("AT-{id:06}"));
        // No secret, old or new, and not the signing key either.
        for secret in [&token.secret, rotated["secret"].as_str().unwrap(), &secret] {
            assert!(!event.body.contains(secret));
        }
    }
    let mut ids: Vec<&str> = received.iter().map(|r| r.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    // Delivered is delivered: nothing more is due.
    assert_eq!(send_at(&app, Utc::now()).await, 0);
    assert_eq!(receiver.received().len(), 3);
}

async fn a_change_that_rolls_back_sends_nothing(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    let root = app.issue("admin", &["admin"]).await.secret;
    add_webhook(&app, &root, &receiver.url(), &["audit.event"]).await;
    let before = deliveries(&app).await;
    {
        let change = Change::begin(&app.db, &app.state.auth).await.unwrap();
        change
            .audit(Event::by("admin", Action::TokenRevoke, "AT-000999"))
            .await
            .unwrap();
        // Dropped without commit: the change and its event roll back together.
    }
    assert_eq!(deliveries(&app).await, before);
    // A request refused by a rule writes nothing either.
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/admin/users",
            &root,
            Some(serde_json::json!({ "username": "x", "password": "short" })),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(deliveries(&app).await, before);
    // What arrives is the webhook's own creation, and nothing of the rolled-back change.
    send_at(&app, Utc::now()).await;
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].json()["data"]["action"], "webhook.create");
}

async fn a_failing_receiver_is_retried_with_backoff_until_it_answers(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500, 503]);
    let root = app.issue("admin", &["admin"]).await.secret;
    let (hook, secret) = add_webhook(&app, &root, &receiver.url(), &["token.created"]).await;
    app.create_user("svc", false).await;
    app.issue("svc", &["profile:read"]).await;
    let start = Utc::now();
    assert_eq!(send_at(&app, start).await, 1);
    // Not due again until the first backoff has passed.
    assert_eq!(send_at(&app, start + Duration::seconds(4)).await, 0);
    assert_eq!(send_at(&app, start + Duration::seconds(5)).await, 1);
    let second = start + Duration::seconds(5);
    assert_eq!(send_at(&app, second + Duration::seconds(299)).await, 0);
    assert_eq!(send_at(&app, second + Duration::seconds(300)).await, 1);
    assert_eq!(send_at(&app, second + Duration::hours(1)).await, 0);

    let received = receiver.received();
    assert_eq!(
        received.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 503, 200]
    );
    assert!(received
        .iter()
        .all(|r| r.id == received[0].id && r.signed_by(&secret)));
    // Each attempt is signed for its own moment.
    assert_ne!(received[0].timestamp, received[2].timestamp);

    let log = app
        .get_json(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), &root)
        .await;
    let delivery = &log["items"][0];
    assert_eq!(delivery["state"], "delivered");
    assert_eq!(delivery["type"], "token.created");
    assert_eq!(delivery["message_id"], received[0].id.as_str());
    let statuses: Vec<i64> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 503, 200]);
}

async fn a_delivery_failing_for_a_day_turns_its_webhook_off(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500; 8]);
    let root = app.issue("admin", &["admin"]).await.secret;
    let (hook, _) = add_webhook(&app, &root, &receiver.url(), &["token.created"]).await;
    app.create_user("svc", false).await;
    app.issue("svc", &["profile:read"]).await;
    let start = Utc::now();
    let mut at = start;
    let mut attempts = 0;
    while at <= start + Duration::hours(25) {
        attempts += send_at(&app, at).await;
        at += Duration::minutes(10);
    }
    // Immediately, +5 s, +5 min, +30 min, +2 h, +5 h, +10 h, and the last at 24 h.
    assert_eq!(attempts, 8, "{:?}", receiver.received().len());
    let log = app
        .get_json(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), &root)
        .await;
    assert_eq!(log["items"][0]["state"], "failed");
    let hooks = app.get_json("/api/v1/admin/webhooks", &root).await;
    assert_eq!(hooks["items"][0]["enabled"], false);
    assert!(hooks["items"][0]["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("24 hours"));
    let audit = app
        .get_json("/api/v1/admin/audit?action=webhook.disable", &root)
        .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);

    // Off, it is sent nothing, and "Redeliver" asks for it to be turned on first.
    app.issue("svc", &["profile:read"]).await;
    assert_eq!(send_at(&app, at).await, 0);
    let delivery = log["items"][0]["id"].as_i64().unwrap();
    let redeliver = format!("/api/v1/admin/webhooks/{hook}/deliveries/{delivery}/redeliver");
    let (status, body) = app.call(Method::POST, &redeliver, &root, None).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = switch(&app, &root, hook, true).await;
    assert_eq!(status, 200);
    assert_eq!(body["disabled_reason"], serde_json::Value::Null);
    let (status, body) = app.call(Method::POST, &redeliver, &root, None).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["state"], "pending");
    let before = receiver.received().len();
    // The redelivery alone: events while the webhook was off were not queued for it.
    assert_eq!(send_at(&app, Utc::now()).await, 1);
    let received = receiver.received();
    assert_eq!(received.len(), before + 1);
    assert_eq!(received[before].id, received[0].id);
    assert_eq!(received[before].status, 200);
}

async fn two_instances_send_each_delivery_once(backend: Backend) {
    let db = TestDb::new(backend).await;
    let a = spawn_allowing_private(&db).await;
    let b = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    let root = a.issue("admin", &["admin"]).await.secret;
    add_webhook(&a, &root, &receiver.url(), &["token.created"]).await;
    a.create_user("svc", false).await;
    for _ in 0..20 {
        a.issue("svc", &["profile:read"]).await;
    }
    // Both instances' workers, round after round at once, until neither finds work.
    let now = Utc::now();
    let mut sent = 0;
    loop {
        let (first, second) = tokio::join!(send_at(&a, now), send_at(&b, now));
        if first + second == 0 {
            break;
        }
        sent += first + second;
    }
    assert_eq!(sent, 20);
    let mut ids: Vec<String> = receiver.received().into_iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    assert_eq!(receiver.received().len(), 20);
}

async fn webhooks_reach_only_public_addresses_unless_allowed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let receiver = Receiver::start().await;
    let root = app.issue("admin", &["admin"]).await.secret;
    for url in [
        receiver.url(),
        format!("http://localhost:{}/hook", receiver.addr.port()),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://[::ffff:10.0.0.1]/".to_owned(),
        "http://0.0.0.0:80/".to_owned(),
        "file:///etc/passwd".to_owned(),
        "http://user:pass@example.com/".to_owned(),
        "http://exa\u{0}mple.com/".to_owned(),
    ] {
        let response = app
            .api(Method::POST, "/api/v1/admin/webhooks", Some(&root))
            .json(&serde_json::json!({ "url": url, "events": ["token.created"] }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["error"]["field"], "url", "{body}");
    }
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/admin/webhooks",
            &root,
            Some(serde_json::json!({ "url": "https://93.184.216.34/hook", "events": [] })),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["field"], "events");
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/admin/webhooks",
            &root,
            Some(serde_json::json!({ "url": "https://93.184.216.34/hook", "events": ["token.nope"] })),
        )
        .await;
    assert_eq!(status, 422);

    // Saved where private addresses were allowed, then sent by an instance where they are
    // not: refused at send time too, by address and by name.
    let open = spawn_allowing_private(&db).await;
    add_webhook(&open, &root, &receiver.url(), &["token.created"]).await;
    let by_name = format!("http://localhost:{}/hook", receiver.addr.port());
    add_webhook(&open, &root, &by_name, &["token.created"]).await;
    app.create_user("svc", false).await;
    app.issue("svc", &["profile:read"]).await;
    let strict = Deliverer::new(false);
    assert_eq!(strict.deliver_due(&app.db, Utc::now()).await.unwrap(), 2);
    assert!(receiver.received().is_empty());
    let hooks = app.get_json("/api/v1/admin/webhooks", &root).await;
    for hook in hooks["items"].as_array().unwrap() {
        let log = app
            .get_json(
                &format!("/api/v1/admin/webhooks/{}/deliveries", hook["id"]),
                &root,
            )
            .await;
        let attempt = &log["items"][0]["attempts"][0];
        assert_eq!(attempt["status"], serde_json::Value::Null);
        assert!(attempt["error"].as_str().is_some(), "{attempt}");
    }
}

async fn only_administrators_manage_webhooks(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    let root = app.issue("admin", &["admin"]).await.secret;
    let (hook, secret) = add_webhook(&app, &root, &receiver.url(), &["token.created"]).await;
    app.create_user("svc", false).await;
    let user = app
        .issue("svc", &["profile:read", "tokens:read", "tokens:write"])
        .await
        .secret;
    for (method, path) in [
        (Method::GET, "/api/v1/admin/webhooks".to_owned()),
        (Method::POST, "/api/v1/admin/webhooks".to_owned()),
        (Method::PATCH, format!("/api/v1/admin/webhooks/{hook}")),
        (Method::DELETE, format!("/api/v1/admin/webhooks/{hook}")),
        (
            Method::GET,
            format!("/api/v1/admin/webhooks/{hook}/deliveries"),
        ),
    ] {
        let body = serde_json::json!({ "url": receiver.url(), "events": ["audit.event"] });
        let (status, _) = app.call(method.clone(), &path, &user, Some(body)).await;
        assert_eq!(status, 403, "{method} {path}");
    }
    // The secret is shown once: never in a list.
    let list = app.get_json("/api/v1/admin/webhooks", &root).await;
    assert!(!list.to_string().contains(&secret));
    assert_eq!(
        list["items"][0]["events"],
        serde_json::json!(["token.created"])
    );
    // The audit log names the webhook, never its URL (often a credential itself).
    let audit = app
        .get_json("/api/v1/admin/audit?action=webhook.", &root)
        .await;
    assert_eq!(audit["items"][0]["target"], format!("webhook {hook}"));
    assert!(!audit.to_string().contains(&receiver.url()));
    // The pages' server functions: a user's session is refused, and so is an
    // administrator's from another site.
    let draft =
        serde_json::json!({ "draft": { "url": receiver.url(), "events": ["audit.event"] } });
    let user = app.client();
    app.sign_in(&user, "svc", USER_PASSWORD).await;
    let response = user
        .post(app.url("/sfn/create_webhook"))
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let admin = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let signed_in = admin
        .post(app.url("/sfn/sign_in"))
        .header("origin", format!("http://{}", app.addr))
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_in.status().is_redirection() || signed_in.status().is_success());
    let cross_site = admin
        .post(app.url("/sfn/create_webhook"))
        .header("origin", "https://evil.example")
        .json(&draft)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    let list = app.get_json("/api/v1/admin/webhooks", &root).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Deleting takes the outbox with it.
    app.issue("svc", &["profile:read"]).await;
    assert!(deliveries(&app).await > 0);
    let path = format!("/api/v1/admin/webhooks/{hook}");
    let (status, _) = app.call(Method::DELETE, &path, &root, None).await;
    assert_eq!(status, 204);
    assert_eq!(deliveries(&app).await, 0);
    let (status, _) = app.call(Method::DELETE, &path, &root, None).await;
    assert_eq!(status, 404);
}

async fn an_answer_slower_than_ten_seconds_is_a_failure(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[SLOW]);
    let root = app.issue("admin", &["admin"]).await.secret;
    let (hook, _) = add_webhook(&app, &root, &receiver.url(), &["token.created"]).await;
    app.create_user("svc", false).await;
    app.issue("svc", &["profile:read"]).await;
    assert_eq!(send_at(&app, Utc::now()).await, 1);
    let log = app
        .get_json(&format!("/api/v1/admin/webhooks/{hook}/deliveries"), &root)
        .await;
    assert_eq!(log["items"][0]["state"], "pending");
    let attempt = &log["items"][0]["attempts"][0];
    assert_eq!(attempt["status"], serde_json::Value::Null);
    assert_eq!(attempt["error"], "no answer within 10 s");
    let took = attempt["duration_ms"].as_u64().unwrap();
    assert!((10_000..15_000).contains(&took), "{took}");
}

/// The real server, on `db`, sending webhooks to loopback; killed when dropped.
struct Server(std::process::Child);

impl Server {
    async fn start(db: &TestDb) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let server = Self(
            std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
                .arg("serve")
                .env("DATABASE_URL", &db.url)
                .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
                .env("TESSERA_WEBHOOK_ALLOW_PRIVATE", "true")
                .env("RUST_LOG", "warn")
                .spawn()
                .expect("start tessera"),
        );
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let mut ticks = tokio::time::interval(std::time::Duration::from_millis(100));
        loop {
            ticks.tick().await;
            if reqwest::get(&ready).await.is_ok_and(|r| r.status() == 200) {
                return server;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not start"
            );
        }
    }

    /// SIGKILL: no shutdown, no flush, leases left as they were.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn pending_deliveries_survive_a_killed_server(backend: Backend) {
    let db = TestDb::new(backend).await;
    // In-process, this instance makes the changes but sends nothing (no worker runs in it).
    let app = spawn_allowing_private(&db).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[503; 10]);
    let root = app.issue("admin", &["admin"]).await.secret;
    add_webhook(&app, &root, &receiver.url(), &["token.created"]).await;
    app.create_user("svc", false).await;
    for _ in 0..10 {
        app.issue("svc", &["profile:read"]).await;
    }
    let server = Server::start(&db).await;
    // Every delivery tried once and failed: all pending, with retries due in 5 s.
    receiver.wait_until(30, |r| r.len() >= 10).await;
    server.kill();
    // Changes while no server runs are queued too.
    for _ in 0..5 {
        app.issue("svc", &["profile:read"]).await;
    }
    let _server = Server::start(&db).await;
    let delivered = |received: &[crate::receiver::Received]| {
        let mut ids: Vec<&str> = received
            .iter()
            .filter(|r| r.status == 200)
            .map(|r| r.id.as_str())
            .collect();
        ids.sort();
        ids.dedup();
        ids.len()
    };
    receiver.wait_until(60, |r| delivered(r) == 15).await;
    // At least once, and never a delivery with a webhook-id of its own beyond the 15 events.
    let mut all: Vec<String> = receiver.received().into_iter().map(|r| r.id).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 15);
}

async fn one_webhooks_backlog_does_not_hold_up_another(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let (down, up) = (Receiver::start().await, Receiver::start().await);
    down.answer(&[503; 100]);
    let root = app.issue("admin", &["admin"]).await.secret;
    add_webhook(&app, &root, &down.url(), &["token.created"]).await;
    app.create_user("svc", false).await;
    for _ in 0..40 {
        app.issue("svc", &["profile:read"]).await;
    }
    // Forty events queued for the failing receiver, then one more for both webhooks.
    add_webhook(&app, &root, &up.url(), &["token.created"]).await;
    app.issue("svc", &["profile:read"]).await;
    send_at(&app, Utc::now()).await;
    assert_eq!(up.received().len(), 1);
    // Turned off, the first webhook's backlog is given up, not left to clog the queue.
    let hooks = app.get_json("/api/v1/admin/webhooks", &root).await;
    let first = hooks["items"][0]["id"].as_i64().unwrap();
    let (status, _) = switch(&app, &root, first, false).await;
    assert_eq!(status, 200);
    let log = app
        .get_json(
            &format!("/api/v1/admin/webhooks/{first}/deliveries?limit=50"),
            &root,
        )
        .await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 41);
    assert!(items.iter().all(|d| d["state"] == "failed"), "{log}");
    // Pages of the log follow one another by cursor.
    let page = app
        .get_json(
            &format!("/api/v1/admin/webhooks/{first}/deliveries?limit=15"),
            &root,
        )
        .await;
    let next = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(
            &format!("/api/v1/admin/webhooks/{first}/deliveries?limit=50&cursor={next}"),
            &root,
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 26);
    assert_eq!(rest["next_cursor"], serde_json::Value::Null);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/api/v1/admin/webhooks/{first}/deliveries?cursor=x"),
            &root,
            None,
        )
        .await;
    assert_eq!(status, 422);
}

async fn a_silent_receiver_holds_up_only_its_own_webhook(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = spawn_allowing_private(&db).await;
    let (silent, healthy) = (Silent::start().await, Receiver::start().await);
    let root = app.issue("admin", &["admin"]).await.secret;
    add_webhook(&app, &root, &silent.url(), &["token.created"]).await;
    add_webhook(&app, &root, &healthy.url(), &["token.created"]).await;
    app.create_user("svc", false).await;
    for _ in 0..24 {
        app.issue("svc", &["profile:read"]).await;
    }
    // The server's own worker, in this process (the built binary is shared with other
    // checkouts of the project, which may have replaced it).
    tessera::spawn_webhook_worker(&app.state);
    // A worker that waits for its slowest send gets 8 events through every 10 s here.
    healthy.wait_until(2, |r| r.len() >= 24).await;
    silent.wait_for_a_connection(2).await;
    let mut ids: Vec<String> = healthy.received().into_iter().map(|r| r.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 24);
}

//! The front door as an attacker tries it: parallel guesses, spraying from one address, a
//! flood of anonymous sign-ins, pass-code guessing, cross-site requests, odd paths and
//! redirect targets, and forged client addresses.
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::future::join_all;
use reqwest::{header, Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use app::server::config::SessionConfig;
use app::server::entity::{access_token, audit_event, session};

use crate::helpers::*;
use crate::on_both_backends;

on_both_backends!(
    parallel_guesses_get_five_verifications,
    spraying_from_one_address_is_limited_across_usernames,
    wrong_pass_codes_are_limited_per_token,
    cross_site_requests_to_server_functions_are_refused,
    odd_page_paths_and_redirect_targets_stay_on_the_site,
    forwarded_addresses_are_believed_only_from_trusted_proxies,
    ended_attempt_windows_are_forgotten,
    an_ended_session_stays_ended,
);

/// Believes `X-Forwarded-For` from the test client, as from a reverse proxy on this host.
async fn behind_a_proxy(db: &TestDb) -> TestApp {
    TestApp::spawn_with(
        db,
        SessionConfig {
            trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
            ..SessionConfig::default()
        },
    )
    .await
}

async fn sign_in_from(app: &TestApp, ip: &str, username: &str, password: &str) -> StatusCode {
    app.client()
        .post(app.url("/sfn/sign_in"))
        .header("x-forwarded-for", ip)
        .form(&[("username", username), ("password", password)])
        .send()
        .await
        .expect("an answer, never a dropped connection")
        .status()
}

/// An admin's `profile:read` token that needs the pass code `correct-pass-code`.
async fn gateway_with_pass_code(app: &TestApp) -> app::api::tokens::IssuedToken {
    app.issue_with(
        "admin",
        app::server::service::tokens::NewToken {
            name: "gateway".into(),
            scopes: vec!["profile:read".into()],
            pass_code: Some("correct-pass-code".into()),
            ..Default::default()
        },
    )
    .await
}

/// How many answers were 401 (checked and refused) and how many 429 (not checked).
fn refused_and_limited(statuses: &[StatusCode]) -> (usize, usize) {
    let of = |wanted| statuses.iter().filter(|s| **s == wanted).count();
    (
        of(StatusCode::UNAUTHORIZED),
        of(StatusCode::TOO_MANY_REQUESTS),
    )
}

async fn count(app: &TestApp, action: &str) -> u64 {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .count(&app.db)
        .await
        .unwrap()
}

async fn parallel_guesses_get_five_verifications(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let guesses = (0..40).map(|i| {
        let client = app.client();
        let url = app.url("/sfn/sign_in");
        async move {
            let password = format!("parallel-guess-{i}");
            client
                .post(url)
                .form(&[("username", "admin"), ("password", password.as_str())])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = join_all(guesses).await;
    assert_eq!(refused_and_limited(&statuses), (5, 35), "{statuses:?}");
    assert_eq!(count(&app, "auth.sign_in_failed").await, 5);
    app.stop().await;
}

async fn spraying_from_one_address_is_limited_across_usernames(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = behind_a_proxy(&db).await;
    let mut statuses = Vec::new();
    for i in 0..25 {
        statuses.push(sign_in_from(&app, "198.51.100.7", &format!("user{i}"), "Spring2026!").await);
    }
    assert_eq!(refused_and_limited(&statuses), (20, 5), "{statuses:?}");
    // That address is refused even the right password; another address is not.
    assert_eq!(
        sign_in_from(&app, "198.51.100.7", "admin", ADMIN_PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        sign_in_from(&app, "198.51.100.8", "admin", ADMIN_PASSWORD).await,
        StatusCode::OK
    );
    app.stop().await;
}

/// The server binary running as its own process, so that its memory is measured alone.
pub struct ServerProcess {
    child: std::process::Child,
    pub base: String,
    dir: tempfile::TempDir,
}

impl ServerProcess {
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .arg("serve")
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/flood.db?mode=rwc", dir.path().display()),
            )
            .env("TESSERA_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "error")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start tessera serve");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        };
        // Ready when it answers; it is starting, so a refused connection is tried again.
        let client = reqwest::Client::new();
        for _ in 0..10_000 {
            if client
                .get(format!("{}/readyz", server.base))
                .send()
                .await
                .is_ok()
            {
                return server;
            }
            tokio::task::yield_now().await;
        }
        panic!("tessera serve did not start");
    }

    /// Resident memory, in KiB.
    pub fn rss(&self) -> u64 {
        self.memory("VmRSS:")
    }

    /// The most resident memory the process ever had, in KiB.
    pub fn peak_rss(&self) -> u64 {
        self.memory("VmHWM:")
    }

    fn memory(&self, line: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with(line))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            })
            .unwrap_or(0)
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.base.trim_start_matches("http://").parse().unwrap()
    }

    /// A new secret from `tessera token create` on the server's database.
    pub fn token(&self, user: &str, scopes: &str) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args([
                "token", "create", "--user", user, "--name", "test", "--scopes", scopes,
            ])
            .env(
                "DATABASE_URL",
                format!("sqlite://{}/flood.db?mode=rwc", self.dir.path().display()),
            )
            .output()
            .expect("tessera token create");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// A client on the server's own pages, as a browser would be.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(header::ORIGIN, self.base.parse().unwrap());
        reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 400 concurrent sign-ins of unknown users from 400 addresses (through a trusted proxy, so
/// that the per-address limit does not stop them first), against the server binary in its
/// own process: argon2 runs one per core, the rest wait a bounded time and get 429, every
/// request gets an answer, /healthz keeps answering, and the server's memory grows by less
/// than 100 MB. Prints the figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_anonymous_sign_ins_is_bounded() {
    let server = Arc::new(ServerProcess::start(&[("TESSERA_TRUSTED_PROXIES", "127.0.0.1")]).await);
    let sign_in = |client: reqwest::Client, ip: String, username: String| {
        let url = format!("{}/sfn/sign_in", server.base);
        async move {
            client
                .post(url)
                .header("x-forwarded-for", ip)
                .form(&[
                    ("username", username.as_str()),
                    ("password", "a-wrong-password-9"),
                ])
                .send()
                .await
                .expect("an answer, never a dropped connection")
                .status()
        }
    };
    // Warm: the first verification computes the dummy hash once.
    sign_in(server.client(), "192.0.2.1".into(), "warm-up".into()).await;
    let before = server.rss();
    let peak = Arc::new(AtomicU64::new(before));
    let done = Arc::new(AtomicBool::new(false));
    let health = {
        let (server, done, peak) = (server.clone(), done.clone(), peak.clone());
        tokio::spawn(async move {
            let client = server.client();
            let mut slowest = std::time::Duration::ZERO;
            let mut answered = 0;
            while !done.load(Ordering::SeqCst) {
                let start = std::time::Instant::now();
                let url = format!("{}/healthz", server.base);
                let status = client.get(url).send().await.unwrap().status();
                assert_eq!(status, StatusCode::OK);
                slowest = slowest.max(start.elapsed());
                answered += 1;
                peak.fetch_max(server.rss(), Ordering::SeqCst);
            }
            (answered, slowest)
        })
    };
    // One client, as one attacker's tool would be: its connections are the flood.
    let client = server.client();
    let flood = (0..400).map(|i| {
        let ip = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
        sign_in(client.clone(), ip, format!("nobody-{i}"))
    });
    let statuses = join_all(flood).await;
    done.store(true, Ordering::SeqCst);
    let (answered, slowest) = health.await.unwrap();
    let (hashed, busy) = refused_and_limited(&statuses);
    assert_eq!(hashed + busy, 400, "{statuses:?}");
    assert!(
        hashed > 0 && busy > 0,
        "hashed {hashed}, told to come back {busy}"
    );
    assert!(answered > 0);
    let growth_mb = peak.load(Ordering::SeqCst).saturating_sub(before) / 1024;
    eprintln!(
        "anonymous flood: 400 sign-ins, {hashed} hashed, {busy} answered 429; the server's \
         peak memory growth {growth_mb} MB; /healthz answered {answered} times, slowest \
         {slowest:?}"
    );
    assert!(growth_mb < 100, "memory grew by {growth_mb} MB");
}

async fn wrong_pass_codes_are_limited_per_token(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let root = app
        .issue("admin", &["admin", "tokens:write", "profile:read"])
        .await;
    // Shorter than 8 characters is refused by name.
    let response = app
        .api(Method::POST, "/api/v1/tokens", Some(&root.secret))
        .json(
            &serde_json::json!({"name": "gw", "scopes": ["profile:read"], "pass_code": "1234567"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["field"], "pass_code");

    let issued = gateway_with_pass_code(&app).await;
    let me = |pass_code: &'static str| {
        app.api(Method::GET, "/api/v1/me", Some(&issued.secret))
            .header("x-token-pass-code", pass_code)
            .send()
    };
    for _ in 0..5 {
        let (status, code) = status_and_code(me("wrong-pass-code").await.unwrap()).await;
        assert_eq!((status, code.as_str()), (401, "credentials_required"));
    }
    for pass_code in ["wrong-pass-code", "correct-pass-code"] {
        let response = me(pass_code).await.unwrap();
        assert_eq!(response.status(), 429);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
        assert_eq!(status_and_code(response).await.1, "rate_limited");
    }
    // Audited once per minute, with the token's hint: one row per minute (two when the calls
    // happen to straddle a minute's end; the counts are written later, in batches).
    let refused = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("auth.refused"))
        .all(&app.db)
        .await
        .unwrap();
    for reason in ["credentials_required", "rate_limited"] {
        let rows: Vec<_> = refused
            .iter()
            .filter(|e| e.details.as_deref().is_some_and(|d| d.contains(reason)))
            .collect();
        assert!(!rows.is_empty(), "{reason} is audited");
        let minutes: std::collections::HashSet<i64> =
            rows.iter().map(|e| e.at.timestamp() / 60).collect();
        assert_eq!(
            minutes.len(),
            rows.len(),
            "{reason}: one row a minute, {rows:?}"
        );
    }
    assert!(refused
        .iter()
        .all(|e| !format!("{e:?}").contains(&issued.secret)));
    app.stop().await;
}

async fn cross_site_requests_to_server_functions_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let own = format!("http://{}", app.addr);
    // A client with no Origin of its own, to send exactly the headers each case names.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |headers: &[(&'static str, String)]| {
        let mut request = bare
            .post(app.url("/sfn/sign_in"))
            .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)]);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        request.send()
    };
    for headers in [
        vec![("origin", "https://evil.example".to_owned())],
        vec![("origin", "null".to_owned())],
        vec![
            ("sec-fetch-site", "cross-site".to_owned()),
            ("origin", own.clone()),
        ],
        vec![("sec-fetch-site", "same-site".to_owned())],
        vec![("referer", "https://evil.example/login".to_owned())],
        vec![],
    ] {
        let response = sign_in(&headers).await.unwrap();
        assert_eq!(response.status(), 403, "{headers:?}");
        assert!(
            session_cookie(&response).is_none(),
            "{headers:?}: no session"
        );
    }
    for headers in [
        vec![("origin", own.clone())],
        vec![("sec-fetch-site", "same-origin".to_owned())],
        vec![("referer", format!("{own}/login?next=/"))],
    ] {
        assert_eq!(
            sign_in(&headers).await.unwrap().status(),
            200,
            "{headers:?}"
        );
    }
    // Signing someone out from another site does not work either.
    let client = app.client();
    let response = app.sign_in(&client, "admin", ADMIN_PASSWORD).await;
    let id = session_cookie(&response).unwrap();
    let response = bare
        .post(app.url("/sfn/sign_out"))
        .header("cookie", format!("tessera_session={id}"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(app.whoami(&client).await.as_deref(), Some("admin"));
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("auth.refused"))
        .filter(audit_event::Column::Target.eq("cross-site request"))
        .count(&app.db)
        .await
        .unwrap();
    assert!(audited >= 1);
    app.stop().await;
}

async fn odd_page_paths_and_redirect_targets_stay_on_the_site(backend: Backend) {
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let client = app.client();
    // Every other spelling of a page path is sent to its one form, which the guard keeps.
    for (path, canonical) in [
        ("/admin/tokens/", "/admin/tokens"),
        ("/me/tokens/", "/me/tokens"),
        ("//admin//users", "/admin/users"),
        ("/admin/tokens/?user=svc", "/admin/tokens?user=svc"),
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 308, "{path}");
        assert_eq!(response.headers()[header::LOCATION], canonical, "{path}");
        let response = client.get(app.url(canonical)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{canonical}");
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        assert!(
            location.starts_with("/login?next="),
            "{canonical}: {location}"
        );
    }
    // A plain HTML form signing in with a `next` a browser would read as another host, or
    // that would break the header, goes home; nothing drops the connection.
    for next in [
        "/\t/evil.example",
        "/\r\n/x",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let response = app
            .client()
            .post(app.url("/sfn/sign_in"))
            .header(header::ACCEPT, "text/html")
            .form(&[
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .expect("an answer");
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(location.as_deref(), Some("/"), "{next:?}");
    }
    let response = app
        .client()
        .post(app.url("/sfn/sign_in"))
        .header(header::ACCEPT, "text/html")
        .form(&[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "/admin/users?q=a"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[header::LOCATION], "/admin/users?q=a");
    // Odd bytes in paths and queries get answers too.
    for path in [
        "/login?next=%0D%0A%2F",
        "/%00",
        "/admin/%2e%2e/%2e%2e/etc/passwd",
        "/api/v1/tokens/%0A",
    ] {
        let response = client.get(app.url(path)).send().await.expect("an answer");
        assert!(
            response.status().as_u16() < 500,
            "{path}: {}",
            response.status()
        );
    }
    let sessions = session::Entity::find().count(&app.db).await.unwrap();
    assert!(sessions >= 1);
    app.stop().await;
}

async fn forwarded_addresses_are_believed_only_from_trusted_proxies(backend: Backend) {
    let db = TestDb::new(backend).await;
    let direct = TestApp::spawn(&db).await;
    let token = direct.issue("admin", &["profile:read"]).await;
    let me = |app: &TestApp, forwarded: &'static str| {
        app.api(Method::GET, "/api/v1/me", Some(&token.secret))
            .header("x-forwarded-for", forwarded)
            .send()
    };
    let last_ips = |app: &TestApp| {
        let db = app.db.clone();
        let id = token.token.id;
        async move {
            let row = access_token::Entity::find_by_id(id)
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            row.last_used_ips.unwrap_or_default()
        }
    };
    // From anyone but a trusted proxy the header is the client's claim and is ignored.
    assert_eq!(me(&direct, "203.0.113.9").await.unwrap().status(), 200);
    tessera::flush_logs(&direct.state).await.unwrap();
    let ips = last_ips(&direct).await;
    assert!(
        ips.contains("127.0.0.1") && !ips.contains("203.0.113.9"),
        "{ips}"
    );
    direct.stop().await;

    let proxied = behind_a_proxy(&db).await;
    assert_eq!(
        me(&proxied, "198.51.100.1, 203.0.113.9")
            .await
            .unwrap()
            .status(),
        200
    );
    tessera::flush_logs(&proxied.state).await.unwrap();
    let ips = last_ips(&proxied).await;
    assert!(
        ips.contains("203.0.113.9") && !ips.contains("198.51.100.1"),
        "{ips}"
    );
    proxied.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_answers_carry_the_security_headers() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    let response = app.client().get(app.url("/login")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let policy = headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    // The nonce is this response's, and the hydration script carries it.
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    assert!(nonce.len() >= 16, "{nonce}");
    let body = response.text().await.unwrap();
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the page's scripts carry the nonce"
    );
    let again = app.client().get(app.url("/login")).send().await.unwrap();
    assert!(!again.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .contains(&nonce));
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert!(
        !headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
        "plain http here"
    );

    // An answer carrying a secret is never stored.
    let root = app.issue("admin", &["tokens:write", "profile:read"]).await;
    let response = app
        .api(Method::POST, "/api/v1/tokens", Some(&root.secret))
        .json(&serde_json::json!({"name": "x", "scopes": ["profile:read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    app.stop().await;

    // Behind https: HSTS, and the session cookie is Secure and __Host-.
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn_with(
        &db,
        SessionConfig {
            secure_cookie: true,
            public_origin: "https://tessera.example.com".into(),
            ..SessionConfig::default()
        },
    )
    .await;
    let response = app.client().get(app.url("/login")).send().await.unwrap();
    assert!(response.headers()[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    app.stop().await;
}

/// A caller that is refused gets its answer before it has sent its body: the server does
/// not read (or buffer) a megabyte for someone who may not store it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_refuses_before_reading_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    let root = app.issue("admin", &["admin"]).await;
    let response = app
        .api(Method::POST, "/api/v1/admin/endpoints", Some(&root.secret))
        .json(&serde_json::json!({"name": "big", "path": "big", "auth_type": "token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);

    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/endpoints/big/records HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n",
        app.addr,
        app::server::secrets::new_access_token()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // No body follows. The answer must come anyway; the bound only turns a hang into a
    // failure instead of a stuck test.
    let mut answer = vec![0; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("answered without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    app.stop().await;
}

/// What schemathesis checks in `.ci/fuzz` at length, in short: every `{parameter}` of every
/// path is defined, and every operation documents the errors it can answer with their schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_defines_every_parameter_and_answer() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    let doc = app.openapi().await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 20);
    for (path, item) in paths {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for name in &names {
                assert!(
                    parameters
                        .iter()
                        .any(|p| p["name"] == *name && p["in"] == "path"),
                    "{method} {path}: {{{name}}} is not defined"
                );
            }
            for status in ["401", "403", "404", "429"] {
                let answer = &operation["responses"][status];
                assert!(
                    answer.is_object(),
                    "{method} {path}: {status} not documented"
                );
            }
            if operation["requestBody"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        operation["responses"][status].is_object(),
                        "{method} {path}: {status} not documented"
                    );
                }
            }
        }
    }
    app.stop().await;
}

/// Reads what the server sends on `stream` until it answers or closes; the bound only turns
/// a hang into a failure.
async fn answer_or_close(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut buffer = vec![0; 256];
    let read = tokio::time::timeout(std::time::Duration::from_secs(15), stream.read(&mut buffer))
        .await
        .expect("the server answered or closed the connection");
    String::from_utf8_lossy(&buffer[..read.unwrap_or(0)]).to_string()
}

/// A client that sends its headers a byte at a time, or its body never, is cut off after the
/// limit instead of holding a connection forever; past the connection cap, new clients wait
/// until a connection frees.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_greedy_clients_are_bounded() {
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpStream;
    let db = TestDb::new(Backend::Sqlite).await;
    let limits = tessera::serve::Limits {
        header_timeout: std::time::Duration::from_secs(1),
        request_timeout: std::time::Duration::from_secs(1),
        max_connections: 3,
        ..tessera::serve::Limits::default()
    };
    let app = TestApp::spawn_limited(&db, SessionConfig::default(), limits).await;
    let root = app.issue("admin", &["tokens:write", "profile:read"]).await;

    // A socket that says nothing at all is closed too.
    let mut silent = TcpStream::connect(app.addr).await.unwrap();
    let answer = answer_or_close(&mut silent).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // Slowloris: headers that never end.
    let mut slow = TcpStream::connect(app.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: tessera\r\nX-Slow: 1")
        .await
        .unwrap();
    let answer = answer_or_close(&mut slow).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );

    // A body that never comes.
    let mut stalled = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/tokens HTTP/1.1\r\nHost: tessera\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
        root.secret
    );
    stalled.write_all(head.as_bytes()).await.unwrap();
    let answer = answer_or_close(&mut stalled).await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "a 4xx or a closed connection: {answer}"
    );

    // Three connections held open: a fourth is served only once one of them closes.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(app.addr).await.unwrap());
    }
    let mut waiting = TcpStream::connect(app.addr).await.unwrap();
    waiting
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: tessera\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let early = {
        use tokio::io::AsyncReadExt;
        let mut buffer = [0; 16];
        tokio::time::timeout(
            std::time::Duration::from_millis(300),
            waiting.read(&mut buffer),
        )
        .await
        .is_ok()
    };
    assert!(
        !early,
        "a fourth connection was served while three were open"
    );
    drop(held);
    let answer = answer_or_close(&mut waiting).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    app.stop().await;
}

/// Keys whose window ended are removed by the hourly job: random usernames and addresses
/// leave no rows behind.
async fn ended_attempt_windows_are_forgotten(backend: Backend) {
    use app::server::entity::attempt_limit;
    use app::server::service::limits::{self, Key};
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let start = chrono::Utc::now();
    for i in 0..50 {
        let name = format!("random-{i}");
        limits::reserve(&app.db, Key::Username(&name), limits::PER_USERNAME, start)
            .await
            .unwrap();
    }
    // The second address is of the same /64, so it counts against the same budget.
    for client in ["2001:db8:1:2::1", "2001:db8:1:2::ffff"] {
        limits::reserve(&app.db, Key::Client(client), limits::PER_CLIENT, start)
            .await
            .unwrap();
    }
    assert_eq!(
        attempt_limit::Entity::find().count(&app.db).await.unwrap(),
        51
    );
    let during = start + chrono::Duration::minutes(10);
    assert_eq!(limits::forget_ended(&app.db, during).await.unwrap(), 0);
    let after = start + chrono::Duration::minutes(16);
    assert_eq!(limits::forget_ended(&app.db, after).await.unwrap(), 51);
    app.stop().await;
}

/// A request that loaded a session before it was ended (sign-out, password change) and
/// saves it afterwards does not bring it back.
async fn an_ended_session_stays_ended(backend: Backend) {
    use app::server::session::DbSessionStore;
    use tower_sessions::SessionStore;
    let db = TestDb::new(backend).await;
    let app = TestApp::spawn(&db).await;
    let client = app.client();
    let response = app.sign_in(&client, "admin", ADMIN_PASSWORD).await;
    let id = session_cookie(&response).unwrap();
    let store = DbSessionStore::new(app.db.clone());
    let loaded = store
        .load(&id.parse().unwrap())
        .await
        .unwrap()
        .expect("the session");
    let out = client.post(app.url("/sfn/sign_out")).send().await.unwrap();
    assert_eq!(out.status(), 200);
    store.save(&loaded).await.unwrap();
    assert!(store.load(&loaded.id).await.unwrap().is_none());
    assert_eq!(app.whoami(&client).await, None);
    app.stop().await;
}

/// A router over a site holding only `files` (path, bytes).
async fn site_router(files: &[(&str, &[u8])]) -> (tempfile::TempDir, axum::Router, TestDb) {
    let site = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let file = site.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, bytes).unwrap();
    }
    let db = TestDb::new(Backend::Sqlite).await;
    let mut options = leptos::prelude::get_configuration(None)
        .unwrap()
        .leptos_options;
    options.site_root = site.path().to_string_lossy().into_owned().into();
    let state = app::server::state::AppState::new(db.connect().await, SessionConfig::default());
    (site, tessera::router(state, options), db)
}

async fn get(router: &axum::Router, path: &str, accept: &str) -> axum::response::Response {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .header(header::ACCEPT_ENCODING, accept)
        .body(axum::body::Body::empty())
        .unwrap();
    router.clone().oneshot(request).await.unwrap()
}

/// The browser bundle is sent precompressed as the request accepts it. Unhashed names are
/// revalidated on every use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_sent_precompressed() {
    let (_site, router, _db) = site_router(&[
        ("pkg/tessera.js", b"plain"),
        ("pkg/tessera.js.br", b"brotli bytes"),
        ("pkg/tessera.js.gz", b"gzip bytes"),
    ])
    .await;
    for (accept, encoding, body) in [
        ("br;q=1.0, gzip;q=0.8", Some("br"), "brotli bytes"),
        ("gzip", Some("gzip"), "gzip bytes"),
        ("identity", None, "plain"),
    ] {
        let response = get(&router, "/pkg/tessera.js", accept).await;
        assert_eq!(response.status(), 200, "{accept}");
        let headers = response.headers().clone();
        assert_eq!(
            headers
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("javascript"));
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(bytes, body.as_bytes(), "{accept}");
    }
}

/// When the build hashed the bundle's names, pages load the hashed files and browsers may
/// keep them for a year; a name that is not there is not remembered, and pages never are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_bundle_names_are_cached_for_good_and_pages_never() {
    let (_site, router, _db) = site_router(&[
        ("hash.txt", b"js: J1\nwasm: W2\ncss: C3\n"),
        ("pkg/tessera.J1.js", b"glue"),
        ("pkg/tessera.J1.js.br", b"brotli glue"),
        ("pkg/tessera.W2.wasm", b"\0asm"),
        ("pkg/tessera.C3.css", b"body{}"),
    ])
    .await;
    for path in [
        "/pkg/tessera.J1.js",
        "/pkg/tessera.W2.wasm",
        "/pkg/tessera.C3.css",
    ] {
        let response = get(&router, path, "br, gzip").await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable",
            "{path}"
        );
    }
    let missing = get(&router, "/pkg/tessera.OLD.wasm", "br").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()[header::CACHE_CONTROL], "no-cache");

    // Uncompressed, to read the names in it.
    let page = get(&router, "/login", "identity").await;
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()[header::CACHE_CONTROL], "no-store");
    let html = axum::body::to_bytes(page.into_body(), 1 << 20)
        .await
        .unwrap();
    let html = String::from_utf8_lossy(&html);
    for name in [
        "/pkg/tessera.J1.js",
        "/pkg/tessera.W2.wasm",
        "/pkg/tessera.C3.css",
    ] {
        assert!(html.contains(name), "the page loads {name}: {html}");
    }
    assert!(!html.contains("/pkg/tessera.css"), "{html}");
}

/// Twenty parallel requests with the right pass code on a cold cache: the first verifies
/// it, the others find it verified; none uses up the token's attempts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_with_the_right_pass_code_is_not_limited() {
    let db = TestDb::new(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    let issued = gateway_with_pass_code(&app).await;
    app.state.auth.reset();
    let burst = (0..20).map(|_| {
        app.api(Method::GET, "/api/v1/me", Some(&issued.secret))
            .header("x-token-pass-code", "correct-pass-code")
            .send()
    });
    let statuses: Vec<u16> = join_all(burst)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    app.stop().await;
}

use std::net::SocketAddr;
use std::time::Duration;

use app::server::authz::{Admin, Grant};
use app::server::config::SessionConfig;
use app::server::service::accounts;
use app::server::state::AppState;
use rand::RngExt;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{json, Value};
use tokio::task::JoinHandle;

/// Generates one test per backend from an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const ADMIN_PASSWORD: &str = "granite-meadow-lantern-77";
pub const USER_PASSWORD: &str = "copper-violet-harbour-31";

fn postgres_server() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database of its own for one test, removed when dropped.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    // Held for its Drop, which removes the directory.
    File(#[allow(dead_code)] tempfile::TempDir),
    Postgres(String),
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let suffix: u64 = rand::rng().random();
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}/tessera.db?mode=rwc", dir.path().display());
                Self {
                    url,
                    cleanup: Cleanup::File(dir),
                }
            }
            Backend::Postgres => {
                let name = format!("tessera_test_{suffix:016x}");
                let server = Database::connect(format!("{}/postgres", postgres_server()))
                    .await
                    .expect("PostgreSQL must listen on 127.0.0.1:5432 (see .ci/run)");
                server
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                server.close().await.ok();
                Self {
                    url: format!("{}/{name}", postgres_server()),
                    cleanup: Cleanup::Postgres(name),
                }
            }
        }
    }

    pub async fn connect(&self) -> DatabaseConnection {
        tessera::connect(&self.url)
            .await
            .expect("connect and migrate")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres(name) = &self.cleanup {
            let name = name.clone();
            // Drop runs inside the test's runtime; a thread with its own runtime can block.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async {
                    if let Ok(server) =
                        Database::connect(format!("{}/postgres", postgres_server())).await
                    {
                        let _ = server
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                    }
                });
                Ok::<_, std::io::Error>(())
            })
            .join();
        }
    }
}

/// A running server on a random port over its own database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub db: DatabaseConnection,
    pub state: AppState,
    server: JoinHandle<()>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb) -> Self {
        Self::spawn_with(db, SessionConfig::default()).await
    }

    pub async fn spawn_with(test_db: &TestDb, sessions: SessionConfig) -> Self {
        Self::spawn_limited(test_db, sessions, tessera::serve::Limits::default()).await
    }

    /// A server whose limits on slow and greedy clients the test chooses.
    pub async fn spawn_limited(
        test_db: &TestDb,
        sessions: SessionConfig,
        limits: tessera::serve::Limits,
    ) -> Self {
        let db = test_db.connect().await;
        app::server::service::accounts::bootstrap_admin(
            &db,
            &Default::default(),
            Some(ADMIN_PASSWORD.into()),
        )
        .await
        .expect("bootstrap admin");
        let options = leptos::prelude::get_configuration(None)
            .expect("leptos options")
            .leptos_options;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        // The site's origin is where the test listens, unless the test chose one.
        let sessions = if sessions.public_origin == SessionConfig::default().public_origin {
            SessionConfig {
                public_origin: format!("http://{addr}"),
                ..sessions
            }
        } else {
            sessions
        };
        let state = AppState::new(db.clone(), sessions);
        tessera::follow_changes(&state);
        let router = tessera::router(state.clone(), options);
        let server = tokio::spawn(tessera::serve::serve(
            listener,
            router,
            limits,
            std::future::pending(),
        ));
        Self {
            addr,
            db,
            state,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A client that keeps cookies, like a browser on Tessera's own pages (it says so with
    /// `Origin`), and never follows redirects.
    pub fn client(&self) -> reqwest::Client {
        self.browser("reqwest")
    }

    /// Like [`Self::client`], saying it is the browser `user_agent`.
    pub fn browser(&self, user_agent: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::ORIGIN,
            reqwest::header::HeaderValue::from_str(&format!("http://{}", self.addr))
                .expect("origin"),
        );
        reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(user_agent)
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    }

    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        username: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/sfn/sign_in"))
            .form(&[
                ("username", username),
                ("password", password),
                ("next", "/admin/tokens"),
            ])
            .send()
            .await
            .expect("sign_in request")
    }

    /// The username the server sees behind `client`'s session, if any.
    pub async fn whoami(&self, client: &reqwest::Client) -> Option<String> {
        let response = client
            .post(self.url("/sfn/current_user"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.expect("json");
        body.get("username")
            .and_then(|u| u.as_str())
            .map(str::to_owned)
    }

    pub async fn create_user(&self, username: &str, admin: bool) {
        accounts::create_user(
            &self.db,
            &self.state.auth,
            accounts::NewUser {
                username: username.into(),
                password: USER_PASSWORD.into(),
                admin,
                ..Default::default()
            },
            accounts::Creator::Operator,
        )
        .await
        .expect("create user");
    }

    pub async fn change_user(&self, user_id: i64, changes: accounts::UserChanges) {
        accounts::update_user(
            &self.db,
            &self.state.auth,
            &self.admin().await,
            user_id,
            changes,
        )
        .await
        .expect("update user");
    }

    /// What `username` holds on the command line (every right the user has).
    pub async fn operator(&self, username: &str) -> Grant {
        let user = accounts::find_by_username(&self.db, username)
            .await
            .unwrap()
            .expect("user");
        Grant::operator(accounts::account_of(&self.db, user).await.unwrap())
    }

    /// A client of the administrators' REST API, with a fresh `admin` token.
    pub async fn admin_client(&self) -> AdminClient<'_> {
        AdminClient {
            app: self,
            token: self.issue("admin", &["admin"]).await.secret,
        }
    }

    /// The bootstrap administrator's proof of oversight, for reads a test makes through the
    /// services.
    pub async fn overseer(&self) -> app::server::authz::Overseer {
        (&self.admin().await).into()
    }

    /// The bootstrap administrator's proof, for changes a test makes through the services.
    pub async fn admin(&self) -> Admin {
        self.operator("admin")
            .await
            .admin()
            .expect("admin is an administrator")
    }

    /// Stops the server and closes the pool now (dropping does the first only).
    pub async fn stop(mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
        self.db.clone().close().await.ok();
    }
}

/// A test that panics never reaches its `stop()`: the server still stops with it, instead
/// of serving on until the runtime ends.
impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The session cookie's value in a `Set-Cookie` header, if the response set one.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix("tessera_session=")
                .or_else(|| v.strip_prefix("__Host-tessera_session="))
        })
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

pub async fn error_body(response: reqwest::Response) -> String {
    response.text().await.expect("body")
}

pub async fn lock(app: &TestApp, user_id: i64) {
    app.change_user(
        user_id,
        accounts::UserChanges {
            locked: Some(true),
            ..Default::default()
        },
    )
    .await;
}

pub async fn set_active_until(app: &TestApp, user_id: i64, until: Option<chrono::NaiveDate>) {
    app.change_user(
        user_id,
        accounts::UserChanges {
            active_until: Some(until),
            ..Default::default()
        },
    )
    .await;
}

impl TestApp {
    /// A client call to the REST API with `token` as the bearer, if any.
    pub fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self.client().request(method, self.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// The status of `GET /api/v1/me` with `secret`.
    pub async fn me_status(&self, secret: &str) -> u16 {
        self.me(secret).await.0
    }

    /// The status and error code (empty on success) of `GET /api/v1/me` with `secret`.
    pub async fn me(&self, secret: &str) -> (u16, String) {
        let request = self.api(reqwest::Method::GET, "/api/v1/me", Some(secret));
        status_and_code(request.send().await.unwrap()).await
    }

    /// A call with `token` and, if given, a JSON body: the status and the JSON answer (null
    /// when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self.api(method, path, Some(token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Issues a token for `username` through the service, as an administrator would.
    pub async fn issue(&self, username: &str, scopes: &[&str]) -> app::api::tokens::IssuedToken {
        self.issue_with(
            username,
            app::server::service::tokens::NewToken {
                name: format!("{username}'s token"),
                scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
                ..Default::default()
            },
        )
        .await
    }

    /// Issues `token` for `username` through the service.
    pub async fn issue_with(
        &self,
        username: &str,
        token: app::server::service::tokens::NewToken,
    ) -> app::api::tokens::IssuedToken {
        let grant = self.operator(username).await;
        app::server::service::tokens::create(
            &self.db,
            &self.state.auth,
            app::server::service::tokens::Owner::Myself(&grant),
            token,
        )
        .await
        .expect("issue token")
    }

    /// An endpoint "orders" that takes tokens, and an endpoint token "Billing" (not assigned
    /// to it), made through the API with the administrator's `root`: their ids.
    pub async fn endpoint_with_token(&self, root: &str) -> (i64, i64) {
        let body = serde_json::json!({"name": "Orders", "path": "orders", "auth_type": "token"});
        let (status, endpoint) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/admin/endpoints",
                root,
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{endpoint}");
        let body = serde_json::json!({"name": "Billing"});
        let (status, issued) = self
            .call(
                reqwest::Method::POST,
                "/api/v1/admin/endpoint-tokens",
                root,
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "{issued}");
        (
            endpoint["id"].as_i64().unwrap(),
            issued["endpoint_token"]["id"].as_i64().unwrap(),
        )
    }

    /// The OpenAPI document the server serves.
    pub async fn openapi(&self) -> serde_json::Value {
        let response = self
            .client()
            .get(self.url("/api/openapi.json"))
            .send()
            .await;
        response
            .unwrap()
            .json()
            .await
            .expect("the OpenAPI document")
    }

    /// The JSON answer of a GET to the REST API.
    pub async fn get_json(&self, path: &str, token: &str) -> serde_json::Value {
        let response = self
            .api(reqwest::Method::GET, path, Some(token))
            .send()
            .await
            .unwrap();
        response.json().await.expect("a JSON answer")
    }

    /// The ids of every item of a paginated list, following `next_cursor` to the end.
    pub async fn ids_in_pages(&self, path: &str, token: &str) -> Vec<i64> {
        let mut ids = Vec::new();
        let mut cursor = String::new();
        loop {
            let separator = if path.contains('?') { '&' } else { '?' };
            let page = self
                .get_json(&format!("{path}{separator}cursor={cursor}"), token)
                .await;
            ids.extend(
                page["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .map(|t| t["id"].as_i64().expect("id")),
            );
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => return ids,
            }
        }
    }

    /// Saves `policy` as the instance's token settings, as an administrator.
    pub async fn save_settings(&self, policy: app::model::settings::TokenSettings) {
        let admin = self.admin().await;
        app::server::service::settings::save(&self.db, &self.state.auth, &admin, &policy)
            .await
            .expect("save settings");
    }

    pub async fn user_id(&self, username: &str) -> i64 {
        accounts::find_by_username(&self.db, username)
            .await
            .unwrap()
            .expect("user")
            .id
    }
}

/// Status and the error code of an API answer.
pub async fn status_and_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Inserts `count` tokens named `{prefix}{i}` for `owner` straight into the table: as many
/// as a test of the database's plans needs, without making them one by one.
pub async fn seed_tokens(db: &DatabaseConnection, owner: i64, prefix: &str, count: usize) {
    let now = chrono::Utc::now();
    for chunk in (0..count).collect::<Vec<_>>().chunks(1_000) {
        let mut insert = sea_orm::sea_query::Query::insert()
            .into_table(sea_orm::sea_query::Alias::new("access_tokens"))
            .columns(
                [
                    "name",
                    "description",
                    "owner_id",
                    "scopes",
                    "secret_digest",
                    "hint",
                    "created_at",
                    "created_by",
                    "updated_at",
                    "updated_by",
                ]
                .map(sea_orm::sea_query::Alias::new),
            )
            .to_owned();
        for i in chunk {
            insert
                .values([
                    format!("{prefix}{i}").into(),
                    "".into(),
                    owner.into(),
                    "profile:read".into(),
                    format!("seed-digest-{prefix}{i}").into(),
                    "seed".into(),
                    now.into(),
                    "seed".into(),
                    now.into(),
                    "seed".into(),
                ])
                .expect("a row");
        }
        db.execute(&insert).await.expect("seed tokens");
    }
}

/// The administrators' REST API as a test drives it: a token with `admin`, and the calls
/// the tests make with it.
pub struct AdminClient<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl AdminClient<'_> {
    /// The status and the JSON answer (null when there is none).
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.app.call(method, path, &self.token, body).await
    }

    /// The JSON answer of a call that must succeed.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, value) = self.send(method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {value}");
        value
    }

    /// A new endpoint: its id.
    pub async fn endpoint(&self, path: &str, auth_type: &str, allow_deleting: bool) -> i64 {
        let body = json!({"name": path, "path": path, "auth_type": auth_type, "allow_deleting": allow_deleting});
        self.ok(Method::POST, "/api/v1/admin/endpoints", Some(body))
            .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A fresh value for the endpoint's `method` primary.
    pub async fn primary(&self, endpoint: i64, method: &str) -> String {
        let path = format!("/api/v1/admin/endpoints/{endpoint}/primaries/{method}/regenerate");
        self.ok(Method::POST, &path, None).await["secret"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A new endpoint token: (id, secret).
    pub async fn secondary(&self, name: &str, enabled: bool) -> (i64, String) {
        let body = json!({"name": name, "enabled": enabled});
        let issued = self
            .ok(Method::POST, "/api/v1/admin/endpoint-tokens", Some(body))
            .await;
        (
            issued["endpoint_token"]["id"].as_i64().unwrap(),
            issued["secret"].as_str().unwrap().to_owned(),
        )
    }

    /// Assigns endpoint token `token` to `endpoint` for the methods among `P`, `G`, `D`.
    pub async fn assign(&self, endpoint: i64, token: i64, methods: &str, enabled: bool) {
        let body = json!({
            "post": methods.contains('P'),
            "get": methods.contains('G'),
            "delete": methods.contains('D'),
            "enabled": enabled,
        });
        let path = format!("/api/v1/admin/endpoints/{endpoint}/assignments/{token}");
        self.ok(Method::PUT, &path, Some(body)).await;
    }
}

/// Whether `user_id` holds `admin` now, through any group.
pub async fn is_admin(db: &impl sea_orm::ConnectionTrait, user_id: i64) -> bool {
    app::server::service::groups::standing_of(db, user_id)
        .await
        .unwrap()
        .rights
        .is_admin()
}

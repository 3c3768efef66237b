use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::cache::AuthCache;
use super::rate_limits::RateLimits;
use super::record_writer::RecordWriter;
use super::reporter_keys::ReporterKeys;
use super::requests::RequestLog;
use super::service::mail::Mailer;
use super::service::webhooks::delivery::Deliverer;
use super::usage::UsageLog;

/// Shared by every request: the database pool, the settings read at start, and what token
/// verification keeps in memory. One `Arc`, so that handing it to a handler (axum does, per
/// request) costs one counter update, not one per part.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub db: DatabaseConnection,
    pub sessions: SessionConfig,
    pub auth: Arc<AuthCache>,
    pub usage: Arc<UsageLog>,
    /// Per-token request rates, counted in this instance.
    pub rates: RateLimits,
    pub requests: Arc<RequestLog>,
    pub records: RecordWriter,
    /// Sends webhook deliveries from the outbox.
    pub webhooks: Deliverer,
    /// Sends notice emails, when an SMTP server is configured.
    pub mailer: Option<Mailer>,
    /// Endpoint calls that run to their end even if their client hangs up; shutdown waits
    /// for them before the last flush of the request log.
    pub calls: tokio_util::task::TaskTracker,
}

impl AppState {
    /// Starts the record writer, so it needs a Tokio runtime.
    pub fn new(db: DatabaseConnection, sessions: SessionConfig) -> Self {
        let requests = Arc::<RequestLog>::default();
        Self(Arc::new(Shared {
            records: RecordWriter::start(db.clone(), requests.clone()),
            webhooks: Deliverer::new(sessions.webhook_allow_private),
            mailer: sessions.mail.as_ref().and_then(|mail| {
                Mailer::new(&mail.smtp_url, &mail.from, &sessions.public_origin)
                    .inspect_err(|err| tracing::error!(error = %err, "email is off"))
                    .ok()
            }),
            db,
            sessions,
            auth: Arc::default(),
            usage: Arc::default(),
            rates: RateLimits::default(),
            requests,
            calls: tokio_util::task::TaskTracker::new(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// A session ends after this long without a request.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, active or not.
    pub absolute_timeout: Duration,
    /// Send the cookie only over HTTPS (then it is named `__Host-tessera_session`).
    pub secure_cookie: bool,
    /// The site's own origin, e.g. `https://tessera.example.com`: a browser request that
    /// changes something must come from it (see `src/csrf.rs`).
    pub public_origin: String,
    /// Reverse proxies whose `X-Forwarded-For` is believed (see `server::client_ip`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Webhooks may reach loopback and private addresses (refused otherwise).
    pub webhook_allow_private: bool,
    /// Where notice emails go out, if anywhere.
    pub mail: Option<MailConfig>,
    /// The keys leak reports must be signed with (`TESSERA_LEAK_REPORT_KEYS`); without
    /// them, reports need no signature.
    pub leak_report_keys: Option<ReporterKeys>,
}

#[derive(Clone)]
pub struct MailConfig {
    /// `TESSERA_SMTP_URL`, e.g. `smtp://mail.example.com:587?tls=required`.
    pub smtp_url: String,
    /// The sender, e.g. `Tessera <tessera@example.com>`.
    pub from: String,
}

/// Without the URL, which may carry the SMTP password.
impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl SessionConfig {
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookie {
            "__Host-tessera_session"
        } else {
            "tessera_session"
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(12 * 60 * 60),
            secure_cookie: false,
            public_origin: "http://127.0.0.1:3000".into(),
            trusted_proxies: Vec::new(),
            webhook_allow_private: false,
            mail: None,
            leak_report_keys: None,
        }
    }
}

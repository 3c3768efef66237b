use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::cache::AuthCache;
use super::config::SessionConfig;
use super::rate_limits::RateLimits;
use super::record_writer::RecordWriter;
use super::requests::RequestLog;
use super::service::mail::Mailer;
use super::service::token_auth::Verifier;
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

    /// What token verification reads and counts.
    pub fn verifier(&self) -> Verifier<'_> {
        Verifier {
            db: &self.db,
            auth: &self.auth,
            rates: &self.rates,
            usage: &self.usage,
        }
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

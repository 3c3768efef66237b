//! What the operator configured at start (from the command line and the environment, read
//! in `src/config.rs`): sessions, the site's origin, proxies, webhooks, mail, leak reports.
use std::time::Duration;

use super::reporter_keys::ReporterKeys;

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

//! Command line and environment: everything the operator can set.
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use app::server::config::MailConfig;
use app::server::reporter_keys::ReporterKeys;
use app::server::service::mail::Mailer;
use app::server::{client_ip, config::SessionConfig};

#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about = "Self-hosted console for API tokens"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// SQLite (`sqlite://path?mode=rwc`) or PostgreSQL (`postgres://...`).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/tessera.db?mode=rwc",
        global = true
    )]
    pub database_url: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web console and the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage access tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user and print only its secret on standard output.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// Comma-separated, e.g. profile:read,tokens:read.
        #[arg(long, default_value = "profile:read")]
        scopes: String,
        /// Days until it expires; 0 for never (only when the policy has no maximum).
        /// Without it, the policy's default lifetime.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// Member of Administrators.
        #[arg(long)]
        admin: bool,
        /// A technical (integration) user.
        #[arg(long)]
        technical: bool,
    },
    /// Let a user sign in again: clears the lock and the failed sign-ins counted against
    /// the username (e.g. an administrator locked out by someone else's guesses).
    Unlock {
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Password for the first administrator, `admin`, when the database has no users.
    /// Without it a random one is generated and printed once.
    #[arg(
        long,
        env = "TESSERA_BOOTSTRAP_ADMIN_PASSWORD",
        hide_env_values = true,
        global = true
    )]
    pub bootstrap_admin_password: Option<String>,
    /// Minutes without activity after which a session ends.
    #[arg(
        long,
        env = "TESSERA_SESSION_IDLE_MINUTES",
        default_value_t = 30,
        global = true
    )]
    pub session_idle_minutes: u64,
    /// Hours after sign-in after which a session ends, active or not.
    #[arg(
        long,
        env = "TESSERA_SESSION_MAX_HOURS",
        default_value_t = 12,
        global = true
    )]
    pub session_max_hours: u64,
    /// Mark the session cookie Secure. Without it, Secure exactly when the public URL is https.
    #[arg(long, env = "TESSERA_SECURE_COOKIES", global = true)]
    pub secure_cookies: Option<bool>,
    /// The site's origin as browsers see it, e.g. `https://tessera.example.com`. Requests
    /// that change something from a browser must come from it. Default: http:// and the
    /// listen address.
    #[arg(long, env = "TESSERA_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Reverse proxies (comma-separated CIDR ranges) whose X-Forwarded-For is believed;
    /// from anyone else the socket's address is the client's.
    #[arg(
        long,
        env = "TESSERA_TRUSTED_PROXIES",
        default_value = "",
        global = true
    )]
    pub trusted_proxies: String,
    /// Let webhooks reach loopback, private and link-local addresses. Off, such URLs are
    /// refused: an administrator's session could otherwise make Tessera call into its own
    /// network.
    #[arg(
        long,
        env = "TESSERA_WEBHOOK_ALLOW_PRIVATE",
        default_value_t = false,
        global = true
    )]
    pub webhook_allow_private: bool,
    /// SMTP server for notice emails to token owners (expiry, leaks), e.g.
    /// `smtp://mail.example.com:587?tls=required` or `smtps://user:password@mail.example.com`.
    /// Without it, no email is sent.
    #[arg(long, env = "TESSERA_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// The sender of notice emails.
    #[arg(
        long,
        env = "TESSERA_MAIL_FROM",
        default_value = "Tessera <tessera@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// A file of the public keys leak reports must be signed with (PEM blocks, or GitHub's
    /// JSON list of its secret-scanning keys). Without it, reports need no signature.
    #[arg(long, env = "TESSERA_LEAK_REPORT_KEYS", global = true)]
    pub leak_report_keys: Option<std::path::PathBuf>,
}

impl ServeArgs {
    /// The session and site settings for a server listening on `listen`; a public URL that
    /// is not an http(s) origin is refused with a message naming it.
    pub fn session_config(&self, listen: std::net::SocketAddr) -> Result<SessionConfig, String> {
        let public_origin = match self.public_url.as_deref().map(str::trim) {
            None | Some("") => format!("http://{listen}"),
            Some(url) => origin_of(url).ok_or_else(|| {
                format!("TESSERA_PUBLIC_URL must be an http or https origin such as https://tessera.example.com, not {url:?}")
            })?,
        };
        let mail = match self.smtp_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => {
                // Refused here, by name, rather than found out at the first notice.
                Mailer::new(url, &self.mail_from, &public_origin)?;
                Some(MailConfig {
                    smtp_url: url.to_owned(),
                    from: self.mail_from.clone(),
                })
            }
        };
        let leak_report_keys =
            match &self.leak_report_keys {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| {
                        format!(
                            "TESSERA_LEAK_REPORT_KEYS: cannot read {}: {e}",
                            path.display()
                        )
                    })?;
                    Some(ReporterKeys::parse(&text).map_err(|e| {
                        format!("TESSERA_LEAK_REPORT_KEYS: {}: {e}", path.display())
                    })?)
                }
            };
        Ok(SessionConfig {
            idle_timeout: Duration::from_secs(self.session_idle_minutes * 60),
            absolute_timeout: Duration::from_secs(self.session_max_hours * 60 * 60),
            secure_cookie: self
                .secure_cookies
                .unwrap_or(public_origin.starts_with("https://")),
            public_origin,
            trusted_proxies: client_ip::parse_ranges(&self.trusted_proxies)
                .map_err(|e| format!("TESSERA_TRUSTED_PROXIES: {e}"))?,
            webhook_allow_private: self.webhook_allow_private,
            mail,
            leak_report_keys,
        })
    }
}

/// `scheme://host[:port]` of an http(s) URL, lower-cased, without a path.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if host.is_empty() || host.contains(['@', ' ']) || host.chars().any(char::is_control) {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn a_public_url_becomes_its_origin() {
        assert_eq!(
            origin_of("https://Tessera.example.com/console/").as_deref(),
            Some("https://tessera.example.com")
        );
        assert_eq!(
            origin_of("http://10.0.0.5:3000").as_deref(),
            Some("http://10.0.0.5:3000")
        );
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("https://user@evil"), None);
        assert_eq!(origin_of("tessera.example.com"), None);
    }
}

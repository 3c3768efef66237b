//! Command line and environment: everything the operator can set.
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use app::server::state::SessionConfig;

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
    /// Mark the session cookie Secure (set this behind HTTPS).
    #[arg(
        long,
        env = "TESSERA_SECURE_COOKIES",
        default_value_t = false,
        global = true
    )]
    pub secure_cookies: bool,
}

impl ServeArgs {
    pub fn session_config(&self) -> SessionConfig {
        SessionConfig {
            idle_timeout: Duration::from_secs(self.session_idle_minutes * 60),
            absolute_timeout: Duration::from_secs(self.session_max_hours * 60 * 60),
            secure_cookie: self.secure_cookies,
        }
    }
}

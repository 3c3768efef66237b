//! Tessera's rules, one place each. Server functions, REST handlers and the CLI call these.
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod passwords;
pub mod settings;
pub mod token_auth;
pub mod tokens;

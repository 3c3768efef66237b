//! Server functions, one module per area. Each is thin: find who is asking, check they may,
//! call a service, convert its error.
pub mod auth;
pub mod dashboard;
pub mod endpoints;
pub mod groups;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub(crate) mod context;

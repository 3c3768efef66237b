//! Everything that runs only on the server: state, sessions, entities and the services
//! that hold Tessera's rules. Server functions and REST handlers call the services.
pub mod account;
pub mod audit_log;
pub mod authz;
pub mod cache;
pub mod change;
pub mod client_ip;
pub mod config;
pub mod drafts;
pub mod endpoint_access;
pub mod entity;
pub mod error;
pub mod rate_limits;
pub mod record_writer;
pub mod reporter_keys;
pub mod requests;
pub mod retry;
pub mod secrets;
pub mod service;
pub mod session;
pub mod state;
pub mod usage;
pub mod webhook_outbox;

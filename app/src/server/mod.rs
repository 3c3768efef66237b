//! Everything that runs only on the server: state, sessions, entities and the services
//! that hold Tessera's rules. Server functions and REST handlers call the services.
pub mod account;
pub mod authz;
pub mod cache;
pub mod change;
pub mod client_ip;
pub mod drafts;
pub mod entity;
pub mod error;
pub mod rate_limits;
pub mod record_writer;
pub mod reporter_keys;
pub mod requests;
pub mod secrets;
pub mod service;
pub mod session;
pub mod state;
pub mod usage;

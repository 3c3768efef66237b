pub mod access_token;
pub mod audit_event;
pub mod group;
pub mod membership;
pub mod session;
pub mod setting;
pub mod user;

pub mod access_tokens;
pub mod dialog;
pub mod header;
pub mod session;
pub mod token;

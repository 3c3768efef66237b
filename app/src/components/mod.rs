pub mod header;
pub mod session;

pub mod access_tokens;
pub mod chart;
pub mod dialog;
pub mod header;
pub mod pager;
pub mod session;
pub mod token;

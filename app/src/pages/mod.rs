pub mod account;
pub mod admin;
pub mod audit;
pub mod errors;
pub mod home;
pub mod login;
pub mod settings;
pub mod tokens;

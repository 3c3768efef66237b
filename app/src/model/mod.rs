//! Types that both the browser and the server see. Imports nothing else of the app, so the
//! pages, the server functions and the services can all depend on it.
pub mod audit;
pub mod dashboard;
pub mod endpoint;
pub mod scope;
pub mod session;
pub mod settings;
pub mod token;

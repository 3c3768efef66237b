//! Types that both the browser and the server see. Imports nothing else of the app, so the
//! pages, the server functions and the services can all depend on it.
pub mod audit;
pub mod dashboard;
pub mod endpoint;
pub mod group;
pub mod rights;
pub mod scope;
pub mod session;
pub mod settings;
pub mod token;
pub mod webhook;

/// Tells an absent field (`None`) from an explicit null (`Some(None)`), for
/// `#[serde(default, deserialize_with = "explicit_null")]`.
pub fn explicit_null<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}

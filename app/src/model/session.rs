//! A signed-in browser session as its owner and administrators see it.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    /// Names the session without revealing its cookie: a digest of the session id.
    pub handle: String,
    pub signed_in_at: DateTime<Utc>,
    /// The last request that moved the idle timeout (to within a minute).
    pub seen_at: DateTime<Utc>,
    /// The client address at sign-in.
    pub ip: Option<String>,
    /// The browser and system, read from the user agent ("Chrome 156 on Linux").
    pub browser: String,
    /// The session this request came with.
    pub current: bool,
}

//! Server functions of the sessions lists: one's own (`user_id` None) or, for
//! administrators, a user's.
use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::session::SessionView;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use crate::server::authz::{Grant, Reach};

    /// Who is asking, how far they reach, whose sessions are meant and the caller's session id.
    pub struct Asking {
        pub grant: Grant,
        pub admin: Option<crate::server::authz::Admin>,
        pub user_id: i64,
        pub current: Option<String>,
    }

    impl Asking {
        pub async fn new(user_id: Option<i64>) -> Result<Self, AppError> {
            let grant = crate::api::context::require_grant().await?;
            let admin = grant.admin();
            let current = crate::api::context::session()
                .await?
                .id()
                .map(|id| id.to_string());
            let user_id = user_id.unwrap_or(grant.account().user.id);
            Ok(Self {
                grant,
                admin,
                user_id,
                current,
            })
        }

        pub fn reach(&self) -> Reach<'_> {
            Reach::widest(&self.grant, self.admin.as_ref())
        }
    }
}

#[server(prefix = "/sfn", endpoint = "list_sessions")]
pub async fn list_sessions(user_id: Option<i64>) -> Result<Vec<SessionView>, AppError> {
    use crate::server::service::sessions::{self, Current};
    let asking = ssr::Asking::new(user_id).await?;
    let state = super::context::state()?;
    let current = Current(asking.current.as_deref());
    Ok(sessions::list(&state.db, asking.reach(), asking.user_id, current).await?)
}

/// Ends one session (`handle`) or, without one, every session but the caller's; answers how
/// many ended.
#[server(prefix = "/sfn", endpoint = "end_sessions")]
pub async fn end_sessions(user_id: Option<i64>, handle: Option<String>) -> Result<u64, AppError> {
    use crate::server::service::sessions::{self, Current, Ending};
    let asking = ssr::Asking::new(user_id).await?;
    let state = super::context::state()?;
    let ending = match handle.as_deref() {
        Some(handle) => Ending::One(handle),
        None => Ending::AllOthers,
    };
    let current = Current(asking.current.as_deref());
    Ok(sessions::end(
        &state.db,
        &state.auth,
        asking.reach(),
        asking.user_id,
        ending,
        current,
    )
    .await?)
}

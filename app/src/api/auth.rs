//! Signing in and out, and who is signed in.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in user as the pages see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    /// Reads what administrators read (administrators and auditors).
    pub may_audit: bool,
}

/// Where to go after signing in: only a path on this site, never another origin. Browsers
/// drop tabs and line breaks from a URL (so `/<TAB>/evil.example` is `//evil.example`, another
/// host) and read `\` as `/`: any control character or backslash sends the user home.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[server(prefix = "/sfn", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    let account = super::context::account().await?;
    Ok(account.map(|a| SessionUser {
        is_admin: a.is_admin(),
        may_audit: a.rights.may_audit(),
        username: a.user.username,
        display_name: a.user.display_name,
    }))
}

/// Answers the path to continue to. A plain HTML form (no WebAssembly yet) is redirected
/// there by the server; the hydrated page navigates itself.
#[server(prefix = "/sfn", endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<String, AppError> {
    use super::context;
    use crate::server::{service::auth, session};

    let state = context::state()?;
    let ip = context::client_ip().await;
    let account = auth::sign_in(&state.db, &state.auth, &username, password, ip.as_deref()).await?;
    session::sign_in(
        &context::session().await?,
        account.user.id,
        context::session_client().await,
    )
    .await?;
    let next = safe_next(next.as_deref());
    redirect_plain_form(&next);
    Ok(next)
}

#[server(prefix = "/sfn", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::context;
    use crate::server::{service::auth, session};

    let state = context::state()?;
    let session = context::session().await?;
    if let Some(account) = context::account().await? {
        let ip = context::client_ip().await;
        auth::record_sign_out(&state.db, &account.user.username, ip.as_deref()).await?;
    }
    session::sign_out(&session).await?;
    redirect_plain_form("/login");
    Ok(())
}

/// Changes the signed-in user's password; other sessions end, this one stays signed in.
#[server(prefix = "/sfn", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use super::context;
    use crate::server::{service::auth, session};

    let account = context::require_account().await?;
    if new_password != confirm_password {
        let err = AppError::Invalid {
            field: Some("confirm_password".into()),
            message: "The new passwords do not match".into(),
        };
        err.set_response_status();
        return Err(err);
    }
    let state = context::state()?;
    let ip = context::client_ip().await;
    auth::change_password(
        &state.db,
        &state.auth,
        &account,
        current_password,
        new_password,
        ip.as_deref(),
    )
    .await?;
    session::sign_in(
        &context::session().await?,
        account.user.id,
        context::session_client().await,
    )
    .await?;
    Ok(())
}

/// Redirects only requests from a plain HTML form: the hydrated app does a full page load
/// itself, so that every part of the page sees the new session.
#[cfg(feature = "ssr")]
fn redirect_plain_form(path: &str) {
    let from_form = use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false);
    if from_form {
        leptos_axum::redirect(path);
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/admin/tokens?user=svc")),
            "/admin/tokens?user=svc"
        );
        for attack in [
            "//evil.example",
            "/\t/evil.example",
            "/\r\n/x",
            "/\\evil.example",
            "https://evil.example",
            "/ok\u{0}",
            "",
        ] {
            assert_eq!(safe_next(Some(attack)), "/", "{attack:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}

//! Page access, decided on the server before a page renders: anonymous visitors go to the
//! sign-in page, and non-administrators get 403 on `/admin/...` (auditors read the pages
//! listed in [`AUDITED_PAGES`]). A page path written another
//! way (`/admin/tokens/`, `//admin//tokens`) is first sent to its one canonical form, so no
//! spelling reaches a page around this guard.
use axum::{
    extract::{Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use app::server::{service::sessions, state::AppState};

const PUBLIC_PAGES: [&str; 1] = ["/login"];
/// Administrators' pages that auditors read too (they show them no button that changes).
const AUDITED_PAGES: [&str; 2] = ["/admin/groups", "/admin/audit"];
/// leptos_axum registers server functions beside the pages; each checks its caller itself
/// and answers 401/403 rather than a redirect.
const SERVER_FN_PREFIX: &str = "/sfn/";

pub async fn pages(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if PUBLIC_PAGES.contains(&path.as_str()) || path.starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let account = match sessions::current_account(&session, &state.db, &state.sessions).await {
        Ok(account) => account,
        Err(err) => {
            tracing::error!(error = %err, "could not load the session");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match account {
        None => {
            let wanted = request
                .uri()
                .path_and_query()
                .map_or(path.clone(), |pq| pq.as_str().to_owned());
            let target = format!("/login?next={}", urlencoding::encode(&wanted));
            Redirect::to(&target).into_response()
        }
        Some(account) if path.starts_with("/admin") && !may_see(&account, &path) => {
            // The page itself shows the forbidden notice; the status tells machines.
            let mut response = next.run(request).await;
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
        }
        Some(_) => next.run(request).await,
    }
}

/// Paths that are not pages: they answer in their own way and keep their spelling.
const NOT_PAGES: [&str; 3] = ["/api/", "/sfn/", "/pkg/"];

/// `path` without empty segments and without a trailing slash.
fn canonical_path(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}", segments.join("/"))
}

/// One permanent redirect from any other spelling of a page path to the canonical one.
pub async fn canonical(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    // Checked before anything is built: this runs on every request, API calls included.
    let odd_spelling = path.len() > 1 && (path.ends_with('/') || path.contains("//"));
    let is_page_read = matches!(*request.method(), Method::GET | Method::HEAD)
        && !NOT_PAGES.iter().any(|prefix| path.starts_with(prefix));
    if !odd_spelling || !is_page_read {
        return next.run(request).await;
    }
    let canonical = canonical_path(path);
    let target = match request.uri().query() {
        Some(query) => format!("{canonical}?{query}"),
        None => canonical,
    };
    Redirect::permanent(&target).into_response()
}

fn may_see(account: &app::server::account::Account, path: &str) -> bool {
    let audited = AUDITED_PAGES.iter().any(|page| {
        path == *page
            || path
                .strip_prefix(page)
                .is_some_and(|rest| rest.starts_with('/'))
    });
    account.is_admin() || (audited && account.rights.may_audit())
}

#[cfg(test)]
mod tests {
    use super::canonical_path;

    #[test]
    fn every_spelling_has_one_canonical_path() {
        assert_eq!(canonical_path("/admin/tokens/"), "/admin/tokens");
        assert_eq!(canonical_path("//admin//tokens"), "/admin/tokens");
        assert_eq!(canonical_path("/"), "/");
        assert_eq!(canonical_path("/me/tokens"), "/me/tokens");
    }
}

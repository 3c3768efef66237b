//! Page access, decided on the server before a page renders: anonymous visitors go to the
//! sign-in page, and non-administrators get 403 on `/admin/...`.
use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use tower_sessions::Session;

use app::server::{session, state::AppState};

const PUBLIC_PAGES: [&str; 1] = ["/login"];
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
    let account = match session::current_account(&session, &state.db, &state.sessions).await {
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
        Some(account) if path.starts_with("/admin") && !account.is_admin => {
            // The page itself shows the forbidden notice; the status tells machines.
            let mut response = next.run(request).await;
            *response.status_mut() = StatusCode::FORBIDDEN;
            response
        }
        Some(_) => next.run(request).await,
    }
}

//! The REST API under /api/v1: thin handlers over the services, authenticated by bearer
//! tokens, answering DESIGN section 5's shapes; described by OpenAPI at /api/openapi.json.
mod admin;
mod docs;
mod dto;
mod error;
mod extract;
mod me;
mod tokens;

use axum::{
    extract::DefaultBodyLimit,
    routing::{delete, get, patch, post},
    Router,
};

use app::server::state::AppState;

pub use docs::ApiDoc;

/// Larger bodies are refused with 413 before they are read.
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    let v1 = Router::new()
        .route("/me", get(me::me))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/introspect", post(tokens::introspect))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/tokens/{id}/regenerate", post(tokens::regenerate))
        .route(
            "/admin/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/admin/users/{id}", patch(admin::update_user))
        .route(
            "/admin/tokens",
            get(admin::list_tokens).post(admin::create_token),
        )
        .route(
            "/admin/tokens/{id}",
            get(admin::get_token).delete(admin::delete_token),
        )
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route(
            "/admin/tokens/{id}/regenerate",
            post(admin::regenerate_token),
        )
        .fallback(|| async { error::ApiError::not_found() })
        .layer(DefaultBodyLimit::max(BODY_LIMIT));
    Router::new()
        .nest("/api/v1", v1)
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::docs_page))
}

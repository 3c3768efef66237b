//! The REST API under /api/v1: thin handlers over the services, authenticated by bearer
//! tokens, answering DESIGN section 5's shapes; described by OpenAPI at /api/openapi.json.
mod admin;
mod docs;
mod dto;
mod endpoints;
mod error;
mod extract;
mod groups;
mod leaks;
mod me;
mod records;
mod token_headers;
mod tokens;
mod webhooks;

use axum::{
    extract::DefaultBodyLimit,
    routing::{any, delete, get, patch, post, put},
    Router,
};

use app::server::state::AppState;

pub use docs::ApiDoc;
pub(crate) use records::Uncompressed;

/// Larger bodies are refused with 413 before they are read.
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    // Full paths rather than a nested router: nesting costs a second routing step and a
    // service clone on every request.
    let v1 = Router::new()
        .route("/api/v1/me", get(me::me))
        .route("/api/v1/leaks", post(leaks::report))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/introspect", post(tokens::introspect))
        .route("/api/v1/tokens/self/rotate", post(tokens::rotate_self))
        .route(
            "/api/v1/tokens/{id}",
            delete(tokens::revoke).patch(tokens::update),
        )
        .route("/api/v1/tokens/{id}/regenerate", post(tokens::regenerate))
        .route("/api/v1/tokens/{id}/usage", get(tokens::usage))
        .route(
            "/api/v1/admin/users",
            get(admin::list_users).post(admin::create_user),
        )
        .route("/api/v1/admin/users/{id}", patch(admin::update_user))
        .route(
            "/api/v1/admin/users/{id}/revoke-tokens",
            post(admin::revoke_user_tokens),
        )
        .route(
            "/api/v1/admin/tokens/revoke-issued-before",
            post(admin::revoke_issued_before),
        )
        .route("/api/v1/admin/audit", get(admin::audit_log))
        .route(
            "/api/v1/admin/groups",
            get(groups::list).post(groups::create),
        )
        .route(
            "/api/v1/admin/groups/{id}",
            get(groups::get)
                .patch(groups::update)
                .delete(groups::delete),
        )
        .route("/api/v1/admin/groups/{id}/members", get(groups::members))
        .route(
            "/api/v1/admin/groups/{id}/members/{user_id}",
            put(groups::add_member).delete(groups::remove_member),
        )
        .route(
            "/api/v1/admin/tokens",
            get(admin::list_tokens).post(admin::create_token),
        )
        .route(
            "/api/v1/admin/tokens/{id}",
            get(admin::get_token)
                .delete(admin::delete_token)
                .patch(admin::update_token),
        )
        .route("/api/v1/admin/tokens/{id}/usage", get(admin::token_usage))
        .route(
            "/api/v1/admin/tokens/{id}/revoke",
            post(admin::revoke_token),
        )
        .route(
            "/api/v1/admin/tokens/{id}/regenerate",
            post(admin::regenerate_token),
        )
        .route(
            "/api/v1/admin/endpoints",
            get(endpoints::list).post(endpoints::create),
        )
        .route(
            "/api/v1/admin/endpoints/{id}",
            get(endpoints::get).patch(endpoints::update),
        )
        .route(
            "/api/v1/admin/endpoints/{id}/primaries/{method}/regenerate",
            post(endpoints::regenerate_primary),
        )
        .route(
            "/api/v1/admin/endpoints/{id}/assignments",
            get(endpoints::list_assignments),
        )
        .route(
            "/api/v1/admin/endpoints/{id}/assignments/{token_id}",
            put(endpoints::assign).delete(endpoints::unassign),
        )
        .route(
            "/api/v1/admin/endpoints/{id}/requests",
            get(endpoints::requests),
        )
        .route(
            "/api/v1/admin/endpoint-tokens",
            get(endpoints::list_tokens).post(endpoints::create_token),
        )
        .route(
            "/api/v1/admin/endpoint-tokens/{id}",
            patch(endpoints::update_token),
        )
        .route(
            "/api/v1/admin/endpoint-tokens/{id}/regenerate",
            post(endpoints::regenerate_token),
        )
        .route(
            "/api/v1/admin/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v1/admin/webhooks/{id}",
            patch(webhooks::update).delete(webhooks::delete),
        )
        .route(
            "/api/v1/admin/webhooks/{id}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/redeliver",
            post(webhooks::redeliver),
        )
        // Unknown API paths answer in the API's shape, not with the pages' 404.
        .route("/api/v1", any(not_found))
        .route("/api/v1/{*rest}", any(not_found))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(token_headers::add));
    // Records may be up to 1 MiB, beyond the limit of every other route.
    let records = Router::new()
        .route(
            "/api/v1/endpoints/{path}/records",
            get(records::list).post(records::create),
        )
        .route(
            "/api/v1/endpoints/{path}/records/{id}",
            delete(records::delete),
        )
        .layer(DefaultBodyLimit::max(records::RECORD_LIMIT));
    Router::new()
        .merge(records)
        .merge(v1)
        .route("/api/openapi.json", get(docs::openapi_json))
        .route("/api/docs", get(docs::docs_page))
}

async fn not_found() -> error::ApiError {
    error::ApiError::not_found()
}

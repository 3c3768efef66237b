//! Liveness and readiness for load balancers and orchestrators.
use axum::{extract::State, http::StatusCode};

use app::server::state::AppState;

/// The process is up and answering.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers too; 503 when it does not.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(error = %err, "database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

//! Works out each request's client address once (see `app::server::client_ip`) and puts it
//! in the request's extensions for every handler, server function and limit.
use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};

use app::server::client_ip::{resolve, ClientIp};
use app::server::state::AppState;

pub async fn resolve_client(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() {
        // Every line, in order: a proxy may add its own line after the client's.
        let lines: Vec<&str> = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let forwarded_for = (!lines.is_empty()).then(|| lines.join(","));
        let client = resolve(
            peer.ip(),
            forwarded_for.as_deref(),
            &state.sessions.trusted_proxies,
        );
        request.extensions_mut().insert(ClientIp(client));
    }
    next.run(request).await
}

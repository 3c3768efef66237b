//! The browser bundle under /pkg: the WebAssembly, its JavaScript glue and the stylesheet.
//! Served precompressed when the build wrote `.br` / `.gz` beside each file (`.ci/compress`),
//! chosen by the request's `Accept-Encoding`: compressed once at build time, never per
//! request. The names carry no content hash yet, so browsers revalidate (a 304 costs no body).
use std::path::Path;

use axum::{
    http::{header, HeaderValue},
    Router,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

pub fn router(site_root: &Path, pkg_dir: &str) -> Router {
    let files = ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}

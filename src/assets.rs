//! The browser bundle under /pkg: the WebAssembly, its JavaScript glue and the stylesheet.
//! Served precompressed when the build wrote `.br` / `.gz` beside each file (`.ci/compress`),
//! chosen by the request's `Accept-Encoding`: compressed once at build time, never per
//! request. When the build gave the files content-hashed names (cargo-leptos `hash-files`,
//! which then writes [`HASH_FILE`] into the site root), a name never changes meaning, so
//! browsers keep the files for a year without asking again; without hashes they revalidate.
use std::path::Path;

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::Response,
    Router,
};
use leptos::prelude::LeptosOptions;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// Where the build records the bundle's hashes (`js: …`, `wasm: …`, `css: …`).
pub const HASH_FILE: &str = "hash.txt";

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Points the page shell at the hashed names when the build made them. The build scripts
/// write the hash file into the site root; plain `cargo leptos build` writes it beside the
/// executable, where Leptos looks by default but the tests' binaries are not. Either is
/// accepted, by absolute path. Answers whether names are hashed.
pub fn use_hashed_names(options: &mut LeptosOptions) -> bool {
    let beside_executable = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(HASH_FILE)));
    let found = [
        Some(Path::new(options.site_root.as_ref()).join(HASH_FILE)),
        beside_executable,
    ]
    .into_iter()
    .flatten()
    .filter_map(|file| std::path::absolute(file).ok())
    .find(|file| file.is_file());
    options.hash_files = found.is_some();
    if let Some(file) = found {
        options.hash_file = file.to_string_lossy().into_owned().into();
    }
    options.hash_files
}

pub fn router(site_root: &Path, pkg_dir: &str, hashed: bool) -> Router {
    let files = ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            move |response: &Response| {
                // A missing file must not be remembered for a year.
                let found =
                    response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED;
                let policy = if hashed && found {
                    IMMUTABLE
                } else {
                    REVALIDATE
                };
                Some(HeaderValue::from_static(policy))
            },
        ))
}

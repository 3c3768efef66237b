//! Tessera's pages, components and server functions, shared by the server (feature `ssr`)
//! and the browser (feature `hydrate`).
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy,
};

use crate::api::auth::current_user;
use crate::components::header::AppHeader;
use crate::components::session::CurrentUser;
use crate::components::toast::{ToastRegion, Toasts};
use crate::pages::{errors::NotFound, lazy, login::LoginPage};

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                // The bundle's names carry content hashes when the build made them.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Scripts run only with this response's nonce (the hydration script, then what it loads),
/// WebAssembly may compile, and nothing is inline, framed or sent elsewhere.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    use axum::http::{header::CONTENT_SECURITY_POLICY, HeaderValue};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Toasts::provide();
    // Blocking: the header is rendered with the user in the first HTML, so nothing jumps
    // when the WebAssembly takes over.
    let user = Resource::new_blocking(|| (), |_| current_user());
    provide_context(CurrentUser(user));

    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Tessera".to_owned() } else { format!("{title} · Tessera") }
        }/>
        <Router>
            <AppHeader/>
            // `data-hydrated` is set by `hydrate` below.
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view={Lazy::<lazy::token_pages::Home>::new()}/>
                    <Route path=path!("/login") view=LoginPage/>
                    <Route path=path!("/me") view={Lazy::<lazy::other_pages::MyAccount>::new()}/>
                    <Route path=path!("/me/tokens") view={Lazy::<lazy::token_pages::MyTokens>::new()}/>
                    <Route path=path!("/me/tokens/:id") view={Lazy::<lazy::token_pages::Token>::new()}/>
                    <Route path=path!("/me/sessions") view={Lazy::<lazy::other_pages::MySessions>::new()}/>
                    <Route path=path!("/admin/tokens") view={Lazy::<lazy::token_pages::Tokens>::new()}/>
                    <Route path=path!("/admin/tokens/:id") view={Lazy::<lazy::token_pages::Token>::new()}/>
                    <Route path=path!("/admin/users") view={Lazy::<lazy::other_pages::Users>::new()}/>
                    <Route path=path!("/admin/users/:id") view={Lazy::<lazy::other_pages::User>::new()}/>
                    <Route path=path!("/admin/groups") view={Lazy::<lazy::other_pages::Groups>::new()}/>
                    <Route path=path!("/admin/groups/:id") view={Lazy::<lazy::other_pages::Group>::new()}/>
                    <Route path=path!("/admin/endpoints") view={Lazy::<lazy::other_pages::Endpoints>::new()}/>
                    <Route path=path!("/admin/endpoints/:id") view={Lazy::<lazy::other_pages::Endpoint>::new()}/>
                    <Route path=path!("/admin/endpoint-tokens") view={Lazy::<lazy::other_pages::EndpointTokens>::new()}/>
                    <Route path=path!("/admin/audit") view={Lazy::<lazy::other_pages::Audit>::new()}/>
                    <Route path=path!("/admin/settings") view={Lazy::<lazy::other_pages::Settings>::new()}/>
                </Routes>
            </main>
            <ToastRegion/>
        </Router>
    }
}

/// The browser entry: hydrates the server-rendered page, waiting first for the piece of
/// WebAssembly the route was split into (pages/lazy.rs), then marks `main` with
/// `data-hydrated`: from then on the page answers input. Tests and the first-load benchmark
/// wait for that mark; an effect in `App` would set it while a console page still loads.
/// Leptos's `hydrate_lazy` does the same but offers no way to learn when it is done.
#[cfg(feature = "hydrate")]
pub fn hydrate() {
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            leptos::logging::error!("no <body> to hydrate");
            return;
        };
        leptos::mount::hydrate_from_async(body, App).await.forget();
        if let Some(main) = document().get_element_by_id("main") {
            // Cannot fail for a name and value this plain.
            _ = main.set_attribute("data-hydrated", "true");
        }
    });
}

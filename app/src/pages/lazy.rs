//! The pages behind sign-in live in one piece of WebAssembly of their own (`cargo leptos
//! build --split`), which the browser loads with the first console page it shows. The page
//! most visitors see first, /login, then carries only the framework and its own code. On a
//! direct visit to a console page the server names the piece in the HTML (preloaded) and
//! hydration waits for it.
//!
//! One piece rather than one per page: the pages share most of their code, and the splitter
//! gives every combination of pages that shares a function a file of its own, which came to
//! 40–135 requests per page with a piece per page.
use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::pages::{
    account, audit, endpoint_tokens, endpoints, home, settings, token, tokens, users,
};

/// A route type per page (what the router's `Lazy` takes), all drawn by one lazy function.
macro_rules! console_pages {
    ($($route:ident => $page:path,)*) => {
        #[derive(Clone, Copy)]
        enum Page {
            $($route,)*
        }

        #[lazy]
        fn console_page(page: Page) -> AnyView {
            #[cfg(feature = "ssr")]
            preload_piece();
            match page {
                $(Page::$route => untrack($page).into_any(),)*
            }
        }

        $(
            pub struct $route;

            impl LazyRoute for $route {
                // Each page makes its own resources: the route has no data half.
                fn data() -> Self {
                    Self
                }

                // The router awaits this before it hydrates or shows the route: without it
                // the page would still be loading when hydration reaches it.
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    __preload_console_page().await;
                }

                async fn view(_this: Self) -> AnyView {
                    console_page(Page::$route).await
                }
            }
        )*
    };
}

/// Names the console's piece in the page's head, so that the browser fetches it beside the
/// main bundle instead of after it. Leptos 0.8.23 means to do this itself, but it looks for
/// the split manifest outside the request's reactive owner, so whether it finds it depends on
/// which owner happens to be current (without this function, it did not). When both name
/// the piece, the browser still fetches it once. The manifest holds the one lazy function
/// above, so every piece it lists is the console's.
#[cfg(feature = "ssr")]
fn preload_piece() {
    use leptos::WasmSplitManifest;
    use leptos_meta::Link;

    let Some(manifest) = use_context::<WasmSplitManifest>() else {
        return;
    };
    manifest.0.with_value(|(pkg, pieces, _loader)| {
        for piece in pieces.values().flatten() {
            // Rendering a meta component registers it with the head; it writes nothing here.
            _ = view! {
                <Link rel="preload" href=format!("{pkg}/{piece}.wasm") as_="fetch"
                    type_="application/wasm" crossorigin="anonymous"/>
            }
            .to_html();
        }
    });
}

console_pages! {
    Home => home::HomePage,
    MyAccount => account::MyAccountPage,
    MyTokens => account::MyTokensPage,
    MySessions => account::MySessionsPage,
    Token => token::TokenPage,
    Tokens => tokens::TokensPage,
    Users => users::UsersPage,
    User => users::UserPage,
    Endpoints => endpoints::EndpointsPage,
    Endpoint => endpoints::EndpointPage,
    EndpointTokens => endpoint_tokens::EndpointTokensPage,
    Audit => audit::AuditPage,
    Settings => settings::SettingsPage,
}

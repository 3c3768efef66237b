//! The pages behind sign-in live in pieces of WebAssembly of their own (`cargo leptos build
//! --split`), which the browser loads with the first console page it shows. The page most
//! visitors see first, /login, then carries only the framework and its own code. On a direct
//! visit to a console page the server names the pieces in the HTML (preloaded), and hydration
//! waits for them.
//!
//! Two groups of pages, each drawn by one lazy function: the token pages (the landing page
//! and the token lists and pages) and the rest. The splitter gives every combination of split
//! points that shares code a file of its own: one split point per page came to 40–135 files
//! per page, too many round trips on a slow network; two groups make three files (one per
//! group and one they share), and a token page needs two of them. One group for every page
//! made /admin/tokens fetch the code of every page (366 KB brotli against 241 KB).
use leptos::prelude::*;
use leptos_router::LazyRoute;

use crate::pages::{
    account, audit, endpoint_tokens, endpoints, groups, home, settings, token, tokens, users,
};

/// A route type per page (what the router's `Lazy` takes); the pages of one group are drawn
/// by one lazy function, named for the group (it names the group's piece, too).
macro_rules! console_pages {
    ($group:ident { $($route:ident => $page:path,)* }) => {
        pub mod $group {
            use super::*;

            #[derive(Clone, Copy)]
            enum Page {
                $($route,)*
            }

            #[lazy($group)]
            fn console_page(page: Page) -> AnyView {
                #[cfg(feature = "ssr")]
                preload_piece(stringify!($group));
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

                    // The router awaits this before it hydrates or shows the route: without
                    // it the page would still be loading when hydration reaches it.
                    async fn preload() {
                        #[cfg(feature = "hydrate")]
                        __preload_console_page().await;
                    }

                    async fn view(_this: Self) -> AnyView {
                        console_page(Page::$route).await
                    }
                }
            )*
        }
    };
}

/// Names a group's pieces in the page's head, so that the browser fetches them beside the
/// main bundle instead of after it. leptos_integration_utils 0.8.9 means to do this itself
/// (lib.rs, `from_app`), but it looks for the split manifest outside the request's reactive
/// owner, so whether it finds it depends on which owner happens to be current (without this
/// function, it did not). When both name a piece, the browser still fetches it once.
#[cfg(feature = "ssr")]
fn preload_piece(group: &str) {
    use leptos::WasmSplitManifest;
    use leptos_meta::Link;

    let Some(manifest) = use_context::<WasmSplitManifest>() else {
        return;
    };
    manifest.0.with_value(|(pkg, pieces, _loader)| {
        // Keyed by the lazy function's name, `_`, and a hash of where it is.
        let ours = |name: &str| {
            name.strip_prefix(group)
                .and_then(|rest| rest.strip_prefix('_'))
                .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()))
        };
        let needed = pieces.iter().filter(|(name, _)| ours(name));
        for piece in needed.flat_map(|(_, pieces)| pieces) {
            // Rendering a meta component registers it with the head; it writes nothing here.
            _ = view! {
                <Link rel="preload" href=format!("{pkg}/{piece}.wasm") as_="fetch"
                    type_="application/wasm" crossorigin="anonymous"/>
            }
            .to_html();
        }
    });
}

console_pages!(token_pages {
    Home => home::HomePage,
    MyTokens => account::MyTokensPage,
    Token => token::TokenPage,
    Tokens => tokens::TokensPage,
});

console_pages!(other_pages {
    MyAccount => account::MyAccountPage,
    MySessions => account::MySessionsPage,
    Users => users::UsersPage,
    User => users::UserPage,
    Groups => groups::GroupsPage,
    Group => groups::GroupPage,
    Endpoints => endpoints::EndpointsPage,
    Endpoint => endpoints::EndpointPage,
    EndpointTokens => endpoint_tokens::EndpointTokensPage,
    Audit => audit::AuditPage,
    Settings => settings::SettingsPage,
});

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

//! The signed-in user, loaded once per page load and shared through context.
use leptos::prelude::*;

use crate::api::auth::SessionUser;
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct CurrentUser(pub Resource<Result<Option<SessionUser>, AppError>>);

/// A full page load, so that every part of the page sees a changed session.
pub fn load_page(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// Shows `children` to administrators and the forbidden notice to anyone else. The server
/// refuses the same people in its own checks; this only decides what the page shows.
///
/// Make a page's resources before this, in the page component itself: Suspense runs its
/// children's closures more than once on the server, and a resource made inside them is made
/// again each time; the earlier ones lose the server's state (their owner is disposed of),
/// fail, and the browser could hydrate the page from such a failure.
#[component]
pub fn AdminOnly(children: ChildrenFn) -> impl IntoView {
    view! { <ShownTo who=|u| u.is_admin children/> }
}

/// Like [`AdminOnly`], for pages auditors read too (without their buttons).
#[component]
pub fn OverseerOnly(children: ChildrenFn) -> impl IntoView {
    view! { <ShownTo who=|u| u.may_audit children/> }
}

/// Shows `children` (controls that change something) to administrators only: auditors
/// read the same pages without them.
#[component]
pub fn ForAdmins(children: ChildrenFn) -> impl IntoView {
    let CurrentUser(user) = expect_context();
    view! {
        <Suspense>
            {move || user.get().and_then(|u| u.ok().flatten()).filter(|u| u.is_admin).map(|_| children())}
        </Suspense>
    }
}

#[component]
fn ShownTo(who: fn(&SessionUser) -> bool, children: ChildrenFn) -> impl IntoView {
    let CurrentUser(user) = expect_context();
    view! {
        <Suspense>
            {move || user.get().map(|user| match user {
                Ok(Some(u)) if who(&u) => children().into_any(),
                _ => view! { <crate::pages::errors::Forbidden/> }.into_any(),
            })}
        </Suspense>
    }
}

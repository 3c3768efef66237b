use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <h1>"Page not found"</h1>
        <p>"There is nothing at this address. " <a href="/">"Go to the start page"</a></p>
    }
}

/// Shown to signed-in users who are not administrators; the server answers 403 with it.
#[component]
pub fn Forbidden() -> impl IntoView {
    view! {
        <Title text="Forbidden"/>
        <h1>"403 Forbidden"</h1>
        <p>"This page is for administrators. " <a href="/me/tokens">"Go to your access tokens"</a></p>
    }
}

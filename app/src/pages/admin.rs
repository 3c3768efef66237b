//! Administration pages. Each is reachable only by administrators: the server answers 403
//! to anyone else, and every server function checks again.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::session::AdminOnly;

#[component]
fn AdminPlaceholder(title: &'static str, empty: &'static str) -> impl IntoView {
    view! {
        <AdminOnly>
            <Title text=title/>
            <h1>{title}</h1>
            <p class="empty">{empty}</p>
        </AdminOnly>
    }
}

#[component]
pub fn EndpointsPage() -> impl IntoView {
    view! { <AdminPlaceholder title="Endpoints" empty="No endpoints have been created yet."/> }
}

#[component]
pub fn EndpointPage() -> impl IntoView {
    view! { <AdminPlaceholder title="Endpoint" empty="This endpoint's settings will appear here."/> }
}

#[component]
pub fn EndpointTokensPage() -> impl IntoView {
    view! { <AdminPlaceholder title="Endpoint tokens" empty="No endpoint tokens yet."/> }
}

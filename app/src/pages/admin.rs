//! Administration pages. Each is reachable only by administrators: the server answers 403
//! to anyone else, and every server function checks again.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::users::{list_users, UserRow};
use crate::components::access_tokens::AccessTokensTab;
use crate::components::session::AdminOnly;
use leptos_router::hooks::use_params_map;

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
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    view! {
        <AdminOnly>
            <Title text="Users"/>
            <h1>"Users"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(rows) => view! { <UsersTable rows/> }.into_any(),
                    }
                })}
            </Suspense>
        </AdminOnly>
    }
}

#[component]
fn UsersTable(rows: Vec<UserRow>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Username"</th>
                        <th scope="col">"Display name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|u| {
                        let role = match (u.is_admin, u.technical) {
                            (true, _) => "Administrator",
                            (false, true) => "Technical user",
                            (false, false) => "User",
                        };
                        let (badge, status) = match u.unusable {
                            Some(reason) => ("badge muted", reason),
                            None => ("badge ok", "Active".to_owned()),
                        };
                        view! {
                            <tr>
                                <td><a href=format!("/admin/users/{}", u.id)>{u.username}</a></td>
                                <td>{u.display_name}</td>
                                <td>{role}</td>
                                <td><span class=badge>{status}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let user_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    view! {
        <AdminOnly>
            <Title text="User"/>
            <h1>"User"</h1>
            <h2>"Access Tokens"</h2>
            {move || match user_id() {
                Some(id) => view! { <AccessTokensTab user_id=Some(id)/> }.into_any(),
                None => view! { <p class="error">"No such user."</p> }.into_any(),
            }}
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

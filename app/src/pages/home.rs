use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::session::CurrentUser;

#[component]
pub fn HomePage() -> impl IntoView {
    let CurrentUser(user) = expect_context();
    view! {
        <Title text=""/>
        <Suspense>
            {move || Suspend::new(async move {
                user.await.ok().flatten().map(|u| view! {
                    <h1>"Welcome, " {u.display_name.clone()}</h1>
                    <ul class="cards">
                        <li><a href="/me/tokens">"Your access tokens"</a></li>
                        {u.is_admin.then(|| view! {
                            <li><a href="/admin/tokens">"All tokens"</a></li>
                            <li><a href="/admin/users">"Users"</a></li>
                            <li><a href="/admin/endpoints">"Endpoints"</a></li>
                        })}
                    </ul>
                })
            })}
        </Suspense>
    }
}

use leptos::prelude::*;

use super::session::{load_page, CurrentUser};
use crate::api::auth::SignOut;

const ADMIN_LINKS: [(&str, &str); 6] = [
    ("/admin/tokens", "Tokens"),
    ("/admin/users", "Users"),
    ("/admin/endpoints", "Endpoints"),
    ("/admin/endpoint-tokens", "Endpoint tokens"),
    ("/admin/audit", "Audit log"),
    ("/admin/settings", "Settings"),
];

#[component]
pub fn AppHeader() -> impl IntoView {
    let CurrentUser(user) = expect_context();
    let sign_out = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = sign_out.value().get() {
            load_page("/login");
        }
    });

    view! {
        <header class="topbar">
            <a class="brand" href="/">"Tessera"</a>
            <Suspense>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|u| {
                        view! {
                            <nav aria-label="Main" class="nav">
                                <ul>
                                    {u.is_admin.then(|| view! {
                                        <li class="nav-admin">
                                            <a href="/admin/tokens">"Administration"</a>
                                            <ul class="subnav">
                                                {ADMIN_LINKS.iter().map(|(href, label)| view! {
                                                    <li><a href=*href>{*label}</a></li>
                                                }).collect_view()}
                                            </ul>
                                        </li>
                                    })}
                                    <li><a href="/me/tokens">"My account"</a></li>
                                </ul>
                            </nav>
                            <div class="session">
                                <span class="who" title=u.username.clone()>{u.display_name.clone()}</span>
                                <ActionForm action=sign_out>
                                    <button type="submit" class="secondary">"Sign out"</button>
                                </ActionForm>
                            </div>
                        }
                    })
                })}
            </Suspense>
        </header>
    }
}

use leptos::prelude::*;

use super::session::{load_page, CurrentUser};
use crate::api::auth::SignOut;

/// The administrators' pages, and whether auditors read them too.
const ADMIN_LINKS: [(&str, &str, bool); 7] = [
    ("/admin/tokens", "Tokens", false),
    ("/admin/users", "Users", false),
    ("/admin/groups", "Groups", true),
    ("/admin/endpoints", "Endpoints", false),
    ("/admin/endpoint-tokens", "Endpoint tokens", false),
    ("/admin/audit", "Audit log", true),
    ("/admin/settings", "Settings", false),
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

    // On a phone the navigation folds behind "Menu"; following a link folds it again.
    let open = RwSignal::new(false);
    let location = leptos_router::hooks::use_location();
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    // The link of the section the page belongs to is marked as the current one.
    let current = move |href: &'static str| {
        move || {
            location.pathname.with(|path| {
                (path == href || path.starts_with(&format!("{href}/"))).then_some("page")
            })
        }
    };
    view! {
        <header class="topbar" class:open=move || open.get()>
            <a class="brand" href="/">"Tessera"</a>
            <Suspense>
                {move || Suspend::new(async move {
                    user.await.ok().flatten().map(|u| {
                        view! {
                            <button type="button" class="secondary menu-toggle" aria-controls="main-nav"
                                aria-expanded=move || open.get().to_string()
                                on:click=move |_| open.update(|o| *o = !*o)>"Menu"</button>
                            <nav aria-label="Main" class="nav" id="main-nav">
                                <ul>
                                    {u.may_audit.then(|| {
                                        let links: Vec<_> = ADMIN_LINKS
                                            .iter()
                                            .filter(|&&(_, _, audited)| u.is_admin || audited)
                                            .collect();
                                        view! {
                                            <li class="nav-admin">
                                                <a href=links[0].0>"Administration"</a>
                                                <ul class="subnav">
                                                    {links.iter().map(|&&(href, label, _)| view! {
                                                        <li><a href=href aria-current=current(href)>{label}</a></li>
                                                    }).collect_view()}
                                                </ul>
                                            </li>
                                        }
                                    })}
                                    <li><a href="/me/tokens" aria-current=current("/me")>"My account"</a></li>
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

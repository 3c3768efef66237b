//! Administration > Users, and one user's General and Access Tokens tabs.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::users::{create_user, get_user, list_users, update_user, UserForm, UserRow};
use crate::components::access_tokens::{AccessTokensTab, AccountTokens};
use crate::components::dialog::{ConfirmDialog, Confirmation, Modal};
use crate::components::form::{Submission, TextField};
use crate::components::session::{load_page, AdminOnly};
use crate::components::sessions_list::{Sessions, SessionsPanel};
use crate::components::tabs::{TabButton, TabKey, Tabs};
use crate::components::url_state::{debounced, UrlState, TYPING_PAUSE_MS};
use crate::error::AppError;

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    let url = UrlState::new(&["q"]);
    let search = url.get("q");
    let typed = debounced(TYPING_PAUSE_MS, move |value: String| {
        url.push(&[("q", Some(value))])
    });
    let create_open = RwSignal::new(false);
    view! {
        <AdminOnly>
            <Title text="Users"/>
            <div class="page-head">
                <h1>"Users"</h1>
                <button type="button" class="primary-inline" on:click=move |_| create_open.set(true)>"+ User"</button>
            </div>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label>"Search"
                    <input type="search" placeholder="username or name"
                        prop:value=move || search.get().unwrap_or_default()
                        on:input=move |ev| typed.run(event_target_value(&ev))/>
                </label>
            </form>
            <Suspense fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(rows) => view! {
                            {move || {
                                let needle = search.get().unwrap_or_default().to_lowercase();
                                let shown: Vec<UserRow> = rows.iter()
                                    .filter(|u| needle.is_empty()
                                        || u.username.to_lowercase().contains(&needle)
                                        || u.display_name.to_lowercase().contains(&needle))
                                    .cloned()
                                    .collect();
                                if shown.is_empty() {
                                    view! { <p class="empty">"No user matches. “+ User” adds one."</p> }.into_any()
                                } else {
                                    view! { <UsersTable rows=shown/> }.into_any()
                                }
                            }}
                        }.into_any(),
                    }
                })}
            </Suspense>
            <Modal title="Create user" open=create_open>
                <UserFields creating=true initial=UserForm::default() on_save=move |form| async move {
                    create_user(form).await.map(|id| load_page(&format!("/admin/users/{id}?created=1")))
                }/>
            </Modal>
        </AdminOnly>
    }
}

#[component]
fn UsersTable(rows: Vec<UserRow>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Users">
            <table class="stack">
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
                                <td data-label="Username"><a href=format!("/admin/users/{}", u.id)>{u.username}</a></td>
                                <td data-label="Name">{u.display_name}</td>
                                <td data-label="Role">{role}</td>
                                <td data-label="Status"><span class=badge>{status}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The fields of a user, for creating one or for the General tab.
#[component]
fn UserFields<F, Fut>(creating: bool, initial: UserForm, on_save: F) -> impl IntoView
where
    F: Fn(UserForm) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + 'static,
{
    let form = RwSignal::new(initial);
    let submission = Submission::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.run(on_save(form.get_untracked()));
    };
    let prefix = if creating { "new-user" } else { "user" };
    let text = move |name: &'static str,
                     label: &'static str,
                     kind: &'static str,
                     get: fn(&UserForm) -> String,
                     set: fn(&mut UserForm, String)| {
        view! {
            <TextField id=format!("{prefix}-{name}") label field=name kind submission
                value=Signal::derive(move || form.with(get))
                on_input=move |v| form.update(|f| set(f, v))/>
        }
    };
    let check =
        move |label: &'static str, get: fn(&UserForm) -> bool, set: fn(&mut UserForm, bool)| {
            view! {
                <label class="check">
                    <input type="checkbox" prop:checked=move || form.with(get)
                        on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev)))/>
                    {label}
                </label>
            }
        };
    view! {
        <form on:submit=submit novalidate>
            {creating.then(|| text("username", "Username", "text", |f| f.username.clone(), |f, v| f.username = v))}
            {text("display_name", "Display name", "text", |f| f.display_name.clone(), |f, v| f.display_name = v)}
            {text("email", "Email", "email", |f| f.email.clone(), |f, v| f.email = v)}
            {creating.then(|| text("password", "Password", "password", |f| f.password.clone(), |f, v| f.password = v))}
            {text("active_until", "Active until", "date", |f| f.active_until.clone(), |f, v| f.active_until = v)}
            <div class="field">
                {check("Member of Administrators", |f| f.admin, |f, v| f.admin = v)}
                {check("Technical user", |f| f.technical, |f, v| f.technical = v)}
            </div>
            <p role="status" class="status-line">{move || submission.saved().then_some("Saved.")}</p>
            {submission.form_error()}
            <button type="submit" class="primary-inline" disabled=move || submission.saving()>
                {if creating { "Create" } else { "Save" }}
            </button>
        </form>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    General,
    AccessTokens,
    Sessions,
}

impl TabKey for Tab {
    const ALL: &'static [Self] = &[Self::General, Self::AccessTokens, Self::Sessions];
    fn key(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::AccessTokens => "tokens",
            Self::Sessions => "sessions",
        }
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
    let url = UrlState::new(&["tab"]);
    // "Created" after the creating dialog brought us here.
    let created = url.arrived_with("created");
    let tab = Tabs::<Tab>::new(url);
    let user = Resource::new(user_id, |id| async move {
        match id {
            Some(id) => get_user(id).await,
            None => Err(AppError::NotFound),
        }
    });
    let id = user_id().unwrap_or_default();
    let tokens = user_id().map(|id| AccountTokens::new(Some(id)));
    let sessions = user_id().map(|id| Sessions::new(Some(id)));
    view! {
        <AdminOnly>
            <Title text="User"/>
            <Suspense fallback=|| view! { <h1>"User"</h1> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(form) => view! { <h1>{form.username}</h1> }.into_any(),
                        Err(e) => view! { <h1>"User"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            {move || created.get().then(|| view! { <p class="banner ok" role="status">"User created."</p> })}
            <div role="tablist" class="tabs" aria-label="User">
                <TabButton tabs=tab which=Tab::General label="General" panel="panel-general"/>
                <TabButton tabs=tab which=Tab::AccessTokens label="Access Tokens" panel="panel-tokens"/>
                <TabButton tabs=tab which=Tab::Sessions label="Sessions" panel="panel-sessions"/>
            </div>
            <div id="panel-general" role="tabpanel" aria-label="General" hidden=move || tab.get() != Tab::General>
                <Suspense fallback=|| view! { <p class="loading">"Loading user…"</p> }>
                    {move || Suspend::new(async move {
                        user.await.ok().map(|form| {
                            let locked = form.locked;
                            let groups = form.groups.clone();
                            view! {
                                <UserFields creating=false initial=form.clone() on_save=move |form| async move {
                                    update_user(id, form).await
                                }/>
                                <section class="section" aria-labelledby="groups-heading">
                                    <h2 id="groups-heading">"Groups"</h2>
                                    {if groups.is_empty() {
                                        view! { <p class="empty">"Not in any group: they manage only their own tokens."</p> }.into_any()
                                    } else {
                                        view! { <ul>{groups.into_iter().map(|g| view! { <li>{g}</li> }).collect_view()}</ul> }.into_any()
                                    }}
                                    <p><a href="/admin/groups">"Manage groups"</a></p>
                                </section>
                                <LockButton id form locked/>
                            }
                        })
                    })}
                </Suspense>
            </div>
            <div id="panel-tokens" role="tabpanel" aria-label="Access Tokens" hidden=move || tab.get() != Tab::AccessTokens>
                {tokens.map(|data| view! { <AccessTokensTab data/> })}
            </div>
            <div id="panel-sessions" role="tabpanel" aria-label="Sessions" hidden=move || tab.get() != Tab::Sessions>
                {sessions.map(|data| view! { <SessionsPanel data/> })}
            </div>
        </AdminOnly>
    }
}

/// Lock ends the user's sessions and stops their tokens at once; Unlock restores both.
#[component]
fn LockButton(id: i64, form: UserForm, locked: bool) -> impl IntoView {
    let locked = RwSignal::new(locked);
    let message = RwSignal::new(None::<String>);
    let confirmation = Confirmation::new();
    let username = form.username.clone();
    let apply = move || {
        let mut request = form.clone();
        request.locked = !locked.get_untracked();
        leptos::task::spawn_local(async move {
            match update_user(id, request.clone()).await {
                Ok(()) => {
                    locked.set(request.locked);
                    message.set(Some(
                        if request.locked {
                            "User locked."
                        } else {
                            "User unlocked."
                        }
                        .into(),
                    ));
                }
                Err(e) => message.set(Some(e.to_string())),
            }
        });
    };
    let toggle = move |_| {
        if locked.get_untracked() {
            apply();
        } else {
            confirmation.ask(
                format!("Lock {username}? They are signed out everywhere, cannot sign in, and every token of theirs is refused at once."),
                "Lock",
                apply.clone(),
            );
        }
    };
    view! {
        <section class="section">
            <h2>"Access"</h2>
            <p>{move || if locked.get() { "Locked: cannot sign in; tokens are refused." } else { "Active." }}</p>
            <button type="button" class="danger" on:click=toggle>
                {move || if locked.get() { "Unlock" } else { "Lock" }}
            </button>
            <p role="status" class="status-line">{move || message.get()}</p>
            <ConfirmDialog confirmation/>
        </section>
    }
}

//! Administration > Tokens.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{
    create_token, list_tokens, token_form_defaults, CreateTokenForm, DeleteToken, IssuedToken,
    RevokeToken, TokenFilter, TokenPrefill, TokenView,
};
use crate::api::users::{suggest_users, UserRow};
use crate::components::dialog::{ConfirmDialog, Confirmation, Modal};
use crate::components::filters::Filters;
use crate::components::form::Submission;
use crate::components::pager::Pager;
use crate::components::secret::{SecretReveal, UncopiedWarning};
use crate::components::session::AdminOnly;
use crate::components::toast::use_toasts;
use crate::components::token::{ImportedBadge, ScopeChips, StatusBadge, When};
use crate::components::url_state::UrlState;
use crate::error::AppError;
use crate::model::token::{StatusFilter, TokenSort};

/// What a row's button is about to do, once confirmed.
#[derive(Clone, Copy, PartialEq)]
enum Pending {
    Revoke,
    Delete,
}

/// Every resource of the page is made here, outside AdminOnly (see there why).
#[component]
pub fn TokensPage() -> impl IntoView {
    // The filters, the order and the page live in the query string, so a reload, Back and a
    // shared link show the same list.
    let url = UrlState::new(&["user", "status", "q", "sort", "cursor"]);
    let user = url.get("user");
    let status = url.get("status");
    let text = url.get("q");
    let sort = url.get("sort");
    let cursor = url.get("cursor");
    // Cursors of the pages before the current one, for "Previous" (Back works as well).
    let cursors = RwSignal::new(Vec::<Option<String>>::new());
    // A new filter starts again at the first page.
    let filter = move |key: &'static str, value: String| url.filter(cursors, key, Some(value));
    let typed = move |key: &'static str| url.typed_filter(cursors, key);
    let pending = RwSignal::new(false);
    let revoke = ServerAction::<RevokeToken>::new();
    let delete = ServerAction::<DeleteToken>::new();
    let created = RwSignal::new(None::<IssuedToken>);
    // Counts imports, which show no dialog but add a token to the list.
    let imported = RwSignal::new(0u32);
    let message = RwSignal::new(None::<String>);

    let tokens = Resource::new(
        move || {
            (
                user.get(),
                status.get().and_then(|s| StatusFilter::parse(&s)),
                text.get(),
                sort.get(),
                cursor.get(),
                revoke.version().get(),
                delete.version().get(),
                created.with(|c| c.as_ref().map(|c| c.token.id)),
                imported.get(),
            )
        },
        |(user, state, q, sort, cursor, ..)| {
            list_tokens(TokenFilter {
                user,
                state,
                q,
                sort,
                cursor,
            })
        },
    );

    let confirmation = Confirmation::new();
    let ask = move |pending: Pending, token: TokenView| {
        let id = token.id;
        match pending {
            Pending::Revoke => confirmation.ask(
                format!("Revoke “{}” ({})? Every integration using it is refused at once; it stays listed with its removal date.", token.name, token.number),
                "Revoke",
                move || { revoke.dispatch(RevokeToken { id }); },
            ),
            Pending::Delete => confirmation.ask(
                format!("Delete “{}” ({})? It stops working at once and its row is removed; the audit log keeps the fact.", token.name, token.number),
                "Delete",
                move || { delete.dispatch(DeleteToken { id }); },
            ),
        }
    };
    // Each outcome names the token it was about.
    let toasts = use_toasts();
    for (action, verb) in [(revoke.value(), "revoked"), (delete.value(), "deleted")] {
        Effect::new(move |_| {
            match action.get() {
                Some(Ok(number)) => toasts.show(format!("Token {number} {verb}.")),
                // Another tab or administrator got there first; the list refreshes to show it.
                Some(Err(AppError::NotFound)) => toasts.show(
                    "This token no longer exists: it was deleted elsewhere. The list is up to date now.",
                ),
                Some(Err(e)) => message.set(Some(e.to_string())),
                None => {}
            }
        });
    }

    let create_open = RwSignal::new(false);
    let prefill = Resource::new(|| (), |_| token_form_defaults());
    // Each "User" box suggests the first users matching what it holds, not every user.
    let filter_users = Resource::new(
        move || user.get().unwrap_or_default(),
        |text| suggest_users(text, false),
    );
    let owner_typed = RwSignal::new(String::new());
    let owner_users = Resource::new(move || owner_typed.get(), |text| suggest_users(text, true));
    view! {
        <AdminOnly>
        <Title text="Tokens"/>
        <div class="page-head">
            <h1>"Tokens"</h1>
            <button type="button" class="primary-inline" on:click=move |_| create_open.set(true)>"+ Token"</button>
        </div>
        <p class="status-line" role="status">{move || message.get()}</p>
        <Filters>
            <label>"User"
                <input type="search" placeholder="part of a name" list="filter-users" autocomplete="off"
                    prop:value=move || user.get().unwrap_or_default()
                    on:input={
                        let typed = typed("user");
                        move |ev| typed.run(event_target_value(&ev))
                    }/>
                <UserSuggestions id="filter-users" users=filter_users/>
            </label>
            <label>"Status"
                <select on:change=move |ev| filter("status", event_target_value(&ev))>
                    {chosen(status, &status_options())}
                </select>
            </label>
            <label>"Search"
                <input type="search" placeholder="name or AT-number" prop:value=move || text.get().unwrap_or_default()
                    on:input={
                        let typed = typed("q");
                        move |ev| typed.run(event_target_value(&ev))
                    }/>
            </label>
            <label>"Sort by"
                <select on:change=move |ev| filter("sort", event_target_value(&ev))>
                    {chosen(sort, &SORT_OPTIONS)}
                </select>
            </label>
        </Filters>
        // While a new filter or page loads, the old rows stay, dimmed and marked busy.
        <div class="loadable" class:dimmed=move || pending.get() aria-busy=move || pending.get().to_string()>
        <Transition fallback=|| view! { <p class="loading">"Loading tokens…"</p> } set_pending=pending>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.items.is_empty() && cursors.with(Vec::is_empty) => {
                        if url.any_set(&["sort", "cursor"]) {
                            view! {
                                <div class="empty">
                                    <p>"No tokens match these filters."</p>
                                    <button type="button" class="secondary" on:click=move |_| {
                                        cursors.set(Vec::new());
                                        url.clear();
                                    }>"Clear filters"</button>
                                </div>
                            }.into_any()
                        } else {
                            view! {
                                <p class="empty">"No tokens yet. Use “+ Token” to issue one for a user."</p>
                            }.into_any()
                        }
                    }
                    Ok(list) => {
                        let total = list.total_text();
                        let next = list.next_cursor;
                        view! {
                            <p class="total" aria-live="polite">{total}</p>
                            <TokenTable items=list.items
                                sort=sort.get_untracked().and_then(|s| TokenSort::parse(&s)).unwrap_or_default()
                                on_sort=move |s: TokenSort| filter("sort", s.as_str().to_owned())
                                on_action=ask/>
                            <Pager trail=cursors current=cursor next go=move |c| url.push(&[("cursor", c)])/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        </div>
        <Modal title="Create token" open=create_open>
            <CreateTokenForm open=create_open created imported prefill users=owner_users owner_typed/>
        </Modal>
        <TokenCreatedDialog created/>
        <ConfirmDialog confirmation/>
        </AdminOnly>
    }
}

fn status_options() -> Vec<(&'static str, &'static str)> {
    std::iter::once(("", "All"))
        .chain(StatusFilter::ALL.map(|s| (s.as_str(), s.label())))
        .collect()
}

const SORT_OPTIONS: [(&str, &str); 3] = [
    ("created", "Created (newest first)"),
    ("expires", "Expires (soonest first)"),
    ("last_used", "Last used (most recent first)"),
];

/// The users a "User" box suggests as one types.
#[component]
fn UserSuggestions(
    id: &'static str,
    users: Resource<Result<Vec<UserRow>, AppError>>,
) -> impl IntoView {
    view! {
        <Suspense>
            {move || Suspend::new(async move {
                let options = users.await.unwrap_or_default().into_iter()
                    .map(|u| view! { <option value=u.username.clone()>{u.display_name.clone()}</option> })
                    .collect_view();
                view! { <datalist id=id>{options}</datalist> }
            })}
        </Suspense>
    }
}

/// A select's options, the one in `current` (or the first) selected: rendered on the server
/// too, so a reloaded page shows the filter it was opened with.
fn chosen(
    current: Memo<Option<String>>,
    options: &[(&'static str, &'static str)],
) -> impl IntoView {
    options
        .iter()
        .enumerate()
        .map(|(index, &(value, label))| {
            let selected = move || {
                current.with(|c| match c.as_deref() {
                    Some(chosen) => chosen == value,
                    None => index == 0,
                })
            };
            view! { <option value=value selected=selected>{label}</option> }
        })
        .collect_view()
}

#[component]
fn TokenTable(
    items: Vec<TokenView>,
    /// The order the rows are in, announced on its column.
    sort: TokenSort,
    on_sort: impl Fn(TokenSort) + Copy + Send + Sync + 'static,
    on_action: impl Fn(Pending, TokenView) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    // Each order runs one way (the keyset behind it does), so a header sorts, never reverses.
    let header = move |column: TokenSort, label: &'static str| {
        let current = sort == column;
        let direction = if column == TokenSort::Expires {
            "ascending"
        } else {
            "descending"
        };
        view! {
            <th scope="col" aria-sort=current.then_some(direction)>
                <button type="button" class="sort" aria-pressed=current.to_string()
                    on:click=move |_| on_sort(column)>
                    {label}
                    <span aria-hidden="true">{if !current { "" } else if column == TokenSort::Expires { " ▲" } else { " ▼" }}</span>
                </button>
            </th>
        }
    };
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Tokens">
            <table class="dense stack">
                <thead>
                    <tr>
                        <th scope="col">"Number"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"User"</th>
                        <th scope="col">"Scopes"</th>
                        {header(TokenSort::Created, "Created")}
                        {header(TokenSort::Expires, "Expires")}
                        {header(TokenSort::LastUsed, "Last used")}
                        <th scope="col">"Status"</th>
                        <th scope="col">"Removal date"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|token| {
                        let revoke_target = token.clone();
                        let delete_target = token.clone();
                        let revoked = token.revoked_at.is_some();
                        view! {
                            <tr>
                                <td data-label="Number"><code>{token.number.clone()}</code></td>
                                <td data-label="Name" class="name"><a href=format!("/admin/tokens/{}", token.id)>{token.name.clone()}</a><ImportedBadge token=token.clone()/></td>
                                <td data-label="User">{token.owner.clone()}</td>
                                <td data-label="Scopes"><ScopeChips scopes=token.scopes.clone()/></td>
                                <td data-label="Created"><When at=Some(token.created_at)/></td>
                                <td data-label="Expires">{token.expires_at.map_or_else(|| "Never".to_owned(), |d| d.to_string())}</td>
                                <td data-label="Last used"><When at=token.last_used_at never="Never"/></td>
                                <td data-label="Status"><StatusBadge token=token.clone()/></td>
                                <td data-label="Removal date"><When at=token.revoked_at/></td>
                                <td class="actions">
                                    <button type="button" class="secondary" disabled=revoked
                                        aria-label=format!("Revoke {}", token.name)
                                        on:click=move |_| on_action(Pending::Revoke, revoke_target.clone())>"Revoke"</button>
                                    <button type="button" class="danger icon"
                                        aria-label=format!("Delete {}", token.name)
                                        title="Delete"
                                        on:click=move |_| on_action(Pending::Delete, delete_target.clone())>
                                        <svg aria-hidden="true" width="16" height="16" viewBox="0 0 16 16"><path fill="currentColor" d="M6 1h4l1 1h3v2H2V2h3zM3 5h10l-1 10H4z"/></svg>
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CreateTokenForm(
    open: RwSignal<bool>,
    created: RwSignal<Option<IssuedToken>>,
    imported: RwSignal<u32>,
    prefill: Resource<Result<TokenPrefill, AppError>>,
    users: Resource<Result<Vec<UserRow>, AppError>>,
    /// What the "User" box holds, for `users` to follow.
    owner_typed: RwSignal<String>,
) -> impl IntoView {
    let form = RwSignal::new(CreateTokenForm {
        scopes: vec!["profile:read".into()],
        ..Default::default()
    });
    let submission = Submission::new();
    let toasts = use_toasts();
    // A secret being imported leaves the page with the dialog, however it closes (Cancel,
    // Escape, after an error): the dialog stays mounted, so the form must forget it.
    Effect::new(move |_| {
        if !open.get() {
            form.update(|f| f.secret.clear());
        }
    });
    // Prefill the expiration date from the policy once it is known.
    Effect::new(move |_| {
        if let Some(Ok(defaults)) = prefill.get() {
            if form.with_untracked(|f| f.expires_at.is_empty()) {
                let day = defaults
                    .expires_at
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                form.update(|f| f.expires_at = day);
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A second click while the first is on its way creates nothing more.
        let request = form.get_untracked();
        submission.run(async move {
            let issued = create_token(request).await?;
            form.update(|f| {
                f.name.clear();
                f.description.clear();
                f.secret.clear();
            });
            open.set(false);
            if issued.secret.is_empty() {
                // Imported: nothing new to show; the administrator has the secret already.
                toasts.show(format!(
                    "Token {} imported for {}.",
                    issued.token.number, issued.token.owner
                ));
                imported.update(|n| *n += 1);
            } else {
                created.set(Some(issued));
            }
            Ok(())
        });
    };
    let field_error = move |field| submission.field_error(field);
    let text_input = move |id: &'static str,
                           get: fn(&CreateTokenForm) -> String,
                           set: fn(&mut CreateTokenForm, String)| {
        view! {
            <input id=id type="text" prop:value=move || form.with(get)
                on:input=move |ev| form.update(|f| set(f, event_target_value(&ev)))/>
        }
    };
    view! {
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="token-user">"User"</label>
                <input id="token-user" type="text" list="token-users" autocomplete="off"
                    prop:value=move || form.with(|f| f.user.clone())
                    on:input=move |ev| {
                        let typed = event_target_value(&ev);
                        owner_typed.set(typed.clone());
                        form.update(|f| f.user = typed);
                    }/>
                // One boundary for the suggestions and the note about them: a resource read
                // outside a boundary during server rendering can deadlock the reactive graph.
                <Suspense>
                    {move || Suspend::new(async move {
                        let technical_only = prefill.await.is_ok_and(|p| p.technical_users_only);
                        let options = users.await.unwrap_or_default().into_iter()
                            .filter(|u| u.may_be_offered_a_token(technical_only))
                            .map(|u| view! { <option value=u.username.clone()>{u.display_name.clone()}</option> })
                            .collect_view();
                        view! {
                            <datalist id="token-users">{options}</datalist>
                            {technical_only.then(|| view! {
                                <p class="hint">"Only technical users are offered: the token policy reserves administrator-issued tokens for them."</p>
                            })}
                        }
                    })}
                </Suspense>
                {field_error("user")}
            </div>
            <div class="field">
                <label for="token-name">"Name"</label>
                {text_input("token-name", |f| f.name.clone(), |f, v| f.name = v)}
                {field_error("name")}
            </div>
            <div class="field">
                <label for="token-description">"Description"</label>
                {text_input("token-description", |f| f.description.clone(), |f, v| f.description = v)}
                {field_error("description")}
            </div>
            <div class="field">
                <label for="token-expires">"Expiration date"</label>
                <input id="token-expires" type="date" prop:value=move || form.with(|f| f.expires_at.clone())
                    on:input=move |ev| form.update(|f| f.expires_at = event_target_value(&ev))/>
                {field_error("expires_at")}
            </div>
            <fieldset class="field">
                <legend>"Scopes"</legend>
                <Suspense>
                    {move || Suspend::new(async move {
                        prefill.await.map(|d| d.scopes).unwrap_or_default().into_iter().map(|scope| {
                            let checked_scope = scope.clone();
                            let toggled_scope = scope.clone();
                            view! {
                                <label class="check">
                                    <input type="checkbox"
                                        prop:checked=move || form.with(|f| f.scopes.contains(&checked_scope))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let scope = toggled_scope.clone();
                                            form.update(|f| {
                                                f.scopes.retain(|s| *s != scope);
                                                if on { f.scopes.push(scope); }
                                            });
                                        }/>
                                    {scope}
                                </label>
                            }
                        }).collect_view()
                    })}
                </Suspense>
                {field_error("scopes")}
            </fieldset>
            <Suspense>
                {move || Suspend::new(async move {
                    let defaults = prefill.await.ok();
                    let identifier = defaults.as_ref().is_some_and(|d| d.identifier_mandatory);
                    let pass_code = defaults.as_ref().is_some_and(|d| d.pass_code_mandatory);
                    view! {
                        {identifier.then(|| view! {
                            <div class="field">
                                <label for="token-identifier">"Identifier"</label>
                                {text_input("token-identifier", |f| f.identifier.clone(), |f, v| f.identifier = v)}
                                {field_error("identifier")}
                            </div>
                        })}
                        {pass_code.then(|| view! {
                            <div class="field">
                                <label for="token-pass-code">"Pass code"</label>
                                <input id="token-pass-code" type="password" autocomplete="new-password"
                                    on:input=move |ev| form.update(|f| f.pass_code = event_target_value(&ev))/>
                                {field_error("pass_code")}
                            </div>
                        })}
                    }
                })}
            </Suspense>
            <div class="field">
                <label for="token-secret">"Existing secret (optional)"</label>
                <input id="token-secret" type="password" autocomplete="off" spellcheck="false"
                    aria-describedby="token-secret-hint"
                    prop:value=move || form.with(|f| f.secret.clone())
                    on:input=move |ev| form.update(|f| f.secret = event_target_value(&ev))/>
                <p class="hint" id="token-secret-hint">"To move an integration without changing its credential: at least 22 characters and 128 bits of entropy. Stored as a digest, never shown again. Empty: Tessera generates one."</p>
                {field_error("secret")}
            </div>
            {submission.form_error()}
            <div class="buttons">
                <button type="submit" class="primary-inline" disabled=move || submission.saving()>
                    {move || if submission.saving() { "Creating…" } else { "Create" }}
                </button>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn TokenCreatedDialog(created: RwSignal<Option<IssuedToken>>) -> impl IntoView {
    let toasts = use_toasts();
    let open = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let warn = RwSignal::new(false);
    Effect::new(move |_| {
        open.set(created.with(Option::is_some));
        copied.set(false);
        warn.set(false);
    });
    // However the dialog closes (Copy, Close, Escape), the secret leaves the page with it:
    // nothing in the DOM or in client state keeps it afterwards.
    Effect::new(move |was_open: Option<bool>| {
        let is_open = open.get();
        if was_open == Some(true) && !is_open {
            created.set(None);
        }
        is_open
    });
    // "Copy to clipboard" copies, then closes the dialog; the page says it copied.
    Effect::new(move |_| {
        if copied.get() {
            let number = created.with_untracked(|c| c.as_ref().map(|c| c.token.number.clone()));
            if let Some(number) = number {
                toasts.show(format!("Token {number} copied to the clipboard."));
            }
            open.set(false);
        }
    });
    // Closing before copying asks first: the secret is never shown again.
    let close = move || {
        if copied.get_untracked() {
            open.set(false);
            false
        } else {
            warn.set(true);
            true
        }
    };
    view! {
        <Modal title="Token created" open keep_open=Callback::new(move |()| close())>
            {move || created.get().map(|issued| view! {
                <p>"Token " <strong>{issued.token.name.clone()}</strong> " (" {issued.token.number.clone()} ") for " {issued.token.owner.clone()} "."</p>
                <SecretReveal secret=Some(issued.secret.clone()) name="New token" noun="token"
                    copy_label="Copy to clipboard" copied/>
                <p class="warning" role="note">"Copy it now: it will not be shown again."</p>
                <UncopiedWarning warn close=move || open.set(false)/>
                <div class="buttons">
                    <button type="button" class="secondary" on:click=move |_| { close(); }>"Close"</button>
                </div>
            })}
        </Modal>
    }
}

//! Administration > Endpoint tokens: one secondary token per client application, its
//! "Token settings" dialog and its assignments onto endpoints' primaries.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::endpoints::{
    assign_endpoint_token, discard_endpoint_draft, draft_endpoint_secret, endpoint_assignments,
    list_endpoint_tokens, list_endpoints, save_endpoint_token, set_endpoint_token_state,
    Assignment, AuthType, EndpointDraft, EndpointTokenForm, EndpointTokenView,
};
use crate::components::dialog::{ConfirmDialog, Confirmation, Modal};
use crate::components::form::{Submission, TextField};
use crate::components::overlap::{Overlap, OverlapSelect};
use crate::components::secret::{SecretReveal, Shape};
use crate::components::session::AdminOnly;
use crate::components::url_state::UrlState;
use crate::error::AppError;
use crate::model::token::IpPolicy;

#[component]
pub fn EndpointTokensPage() -> impl IntoView {
    // Made here, outside AdminOnly (see there why).
    let url = UrlState::new(&["inactive"]);
    let inactive = url.get("inactive");
    let show_inactive = Signal::derive(move || inactive.get().is_some_and(|v| v == "shown"));
    let changed = RwSignal::new(0u32);
    let tokens = Resource::new(
        move || (show_inactive.get(), changed.get()),
        |(inactive, _)| list_endpoint_tokens(inactive),
    );
    view! {
        <AdminOnly>
            <Title text="Endpoint tokens"/>
            <EndpointTokensAdmin show_inactive url changed tokens/>
        </AdminOnly>
    }
}

#[component]
fn EndpointTokensAdmin(
    show_inactive: Signal<bool>,
    url: UrlState,
    changed: RwSignal<u32>,
    tokens: Resource<Result<Vec<EndpointTokenView>, AppError>>,
) -> impl IntoView {
    let message = RwSignal::new(None::<Result<String, String>>);
    // The token the "Token settings" dialog edits; a new one when `None`.
    let editing = RwSignal::new(None::<EndpointTokenView>);
    let settings_open = RwSignal::new(false);
    let assigning = RwSignal::new(None::<EndpointTokenView>);
    let assign_open = RwSignal::new(false);
    let confirmation = Confirmation::new();
    let set_state = move |token: EndpointTokenView, enabled: Option<bool>, active: Option<bool>| {
        leptos::task::spawn_local(async move {
            let done = match (enabled, active) {
                (Some(true), _) => "enabled",
                (Some(false), _) => "disabled",
                (_, Some(true)) => "activated",
                _ => "deactivated",
            };
            match set_endpoint_token_state(token.id, enabled, active).await {
                Ok(t) => message.set(Some(Ok(format!("{} {done}.", t.name)))),
                Err(e) => message.set(Some(Err(e.to_string()))),
            }
            changed.update(|n| *n += 1);
        });
    };
    view! {
        <div class="page-head">
            <h1>"Endpoint tokens"</h1>
            <button type="button" class="primary-inline" on:click=move |_| {
                editing.set(None);
                settings_open.set(true);
            }>"+ Add"</button>
        </div>
        <p class="hint">"One token per client application: switch one off and only that application stops."</p>
        <label class="check">
            <input type="checkbox" role="switch" prop:checked=move || show_inactive.get()
                on:change=move |ev| url.push(&[("inactive", event_target_checked(&ev).then(|| "shown".to_owned()))])/>
            "Show inactive"
        </label>
        <p role="status" class="status-line">{move || message.get().and_then(Result::ok)}</p>
        <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
        <Transition fallback=|| view! { <p class="loading">"Loading endpoint tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty">"No endpoint tokens here. “+ Add” creates one for a client application."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Endpoint tokens">
                            <table class="stack">
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Description"</th>
                                    <th scope="col">"Enabled"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|token| {
                                        let name = token.name.clone();
                                        let (t1, t2, t3, t4) = (token.clone(), token.clone(), token.clone(), token.clone());
                                        view! {
                                            <tr>
                                                <td data-label="Name">{name.clone()}{(!token.active).then(|| view! { " " <span class="badge muted">"Inactive"</span> })}
                                                    <br/><code class="muted">{token.hint.clone()}</code></td>
                                                <td data-label="Description">{token.description.clone()}</td>
                                                <td data-label="Enabled"><EnabledSwitch token=t1 confirmation set_state/></td>
                                                <td class="actions">
                                                    <button type="button" class="secondary" on:click=move |_| {
                                                        editing.set(Some(t2.clone()));
                                                        settings_open.set(true);
                                                    }>{format!("Edit {name}")}</button>
                                                    <button type="button" class="secondary" on:click=move |_| {
                                                        assigning.set(Some(t3.clone()));
                                                        assign_open.set(true);
                                                    }>{format!("Assign endpoint tokens {name}")}</button>
                                                    {if token.active {
                                                        view! { <button type="button" class="secondary"
                                                            on:click=move |_| {
                                                                let token = t4.clone();
                                                                confirmation.ask(
                                                                    format!("Deactivate “{}”? The application using it is refused at once, and the token moves to the inactive list.", token.name),
                                                                    "Deactivate",
                                                                    move || set_state(token.clone(), None, Some(false)),
                                                                );
                                                            }>
                                                            {format!("Deactivate token {name}")}</button> }.into_any()
                                                    } else {
                                                        view! { <button type="button" class="secondary"
                                                            on:click=move |_| set_state(t4.clone(), None, Some(true))>
                                                            {format!("Activate token {name}")}</button> }.into_any()
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
        <Modal title="Token settings" open=settings_open>
            {move || settings_open.get().then(|| view! {
                <TokenSettings token=editing.get_untracked() open=settings_open on_saved=move |name: String| {
                    message.set(Some(Ok(format!("{name} saved."))));
                    changed.update(|n| *n += 1);
                }/>
            })}
        </Modal>
        <ConfirmDialog confirmation/>
        <Modal title="Assign endpoint tokens" open=assign_open>
            {move || assign_open.get().then(|| assigning.get_untracked().map(|token| view! {
                <AssignForm token open=assign_open on_saved=move |text: String| message.set(Some(Ok(text)))/>
            }))}
        </Modal>
    }
}

/// "Enabled <name>": switching off asks first, since the application stops at once.
#[component]
fn EnabledSwitch(
    token: EndpointTokenView,
    confirmation: Confirmation,
    set_state: impl Fn(EndpointTokenView, Option<bool>, Option<bool>) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let on = RwSignal::new(token.enabled);
    let label = format!("Enabled {}", token.name);
    view! {
        <input type="checkbox" role="switch" aria-label=label prop:checked=move || on.get()
            on:change=move |ev| {
                let token = token.clone();
                if event_target_checked(&ev) {
                    on.set(true);
                    set_state(token, Some(true), None);
                } else {
                    // Stays on until confirmed.
                    on.set(true);
                    confirmation.ask(
                        format!("Disable “{}”? The application using it is refused at once until it is enabled again.", token.name),
                        "Disable",
                        move || {
                            on.set(false);
                            set_state(token.clone(), Some(false), None);
                        },
                    );
                }
            }/>
    }
}

/// Name, Token (masked, Show/Hide, Regenerate, Copy), Description, Enabled. A drafted value
/// is visible only while this dialog is open; afterwards only its hint.
#[component]
fn TokenSettings(
    token: Option<EndpointTokenView>,
    open: RwSignal<bool>,
    on_saved: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let id = token.as_ref().map(|t| t.id);
    let hint = token.as_ref().map(|t| t.hint.clone()).unwrap_or_default();
    let name = RwSignal::new(token.as_ref().map(|t| t.name.clone()).unwrap_or_default());
    let description = RwSignal::new(
        token
            .as_ref()
            .map(|t| t.description.clone())
            .unwrap_or_default(),
    );
    let enabled = RwSignal::new(token.as_ref().is_none_or(|t| t.enabled));
    let overlap = RwSignal::new(Overlap::None);
    let ranges = RwSignal::new(
        token
            .as_ref()
            .map(|t| t.allowed_ips.join("\n"))
            .unwrap_or_default(),
    );
    let policy = RwSignal::new(token.as_ref().map(|t| t.ip_policy).unwrap_or_default());
    let (shown_ips, shown_policy) = (ranges.get_untracked(), policy.get_untracked());
    let previous_until = token.as_ref().and_then(|t| t.previous_valid_until);
    // The value drawn by the server, shown only while this dialog is open; the dialog is
    // unmounted when it closes, and an unsaved draft is discarded on the server too.
    let secret = RwSignal::new(None::<EndpointDraft>);
    let saved = RwSignal::new(false);
    on_cleanup(move || {
        let unsaved = secret
            .try_get_untracked()
            .flatten()
            .filter(|_| !saved.try_get_untracked().unwrap_or(false));
        if let Some(draft) = unsaved {
            leptos::task::spawn_local(async move {
                let _ = discard_endpoint_draft(draft.id).await;
            });
        }
    });
    let submission = Submission::new();
    let note = RwSignal::new(None::<&'static str>);
    let regenerate = move || {
        leptos::task::spawn_local(async move {
            match draft_endpoint_secret().await {
                Ok(value) => {
                    if let Some(replaced) = secret.get_untracked() {
                        let _ = discard_endpoint_draft(replaced.id).await;
                    }
                    secret.set(Some(value));
                    note.set(Some("New value drafted: Save to use it."));
                }
                Err(e) => submission.fail(e),
            }
        });
    };
    // A new token starts with a drafted value, ready to copy.
    if id.is_none() {
        Effect::new(move |_| regenerate());
    }
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = EndpointTokenForm {
            id,
            name: name.get_untracked(),
            description: description.get_untracked(),
            enabled: enabled.get_untracked(),
            draft: secret.with_untracked(|d| d.as_ref().map(|d| d.id.clone())),
            grace_seconds: overlap.get_untracked().seconds(),
            // Only what was edited here.
            allowed_ips: (ranges.get_untracked() != shown_ips).then(|| {
                ranges
                    .get_untracked()
                    .lines()
                    .map(|line| line.trim().to_owned())
                    .filter(|line| !line.is_empty())
                    .collect()
            }),
            ip_policy: (policy.get_untracked() != shown_policy).then(|| policy.get_untracked()),
        };
        submission.run(async move {
            let token = save_endpoint_token(form).await?;
            saved.set(true);
            open.set(false);
            on_saved(token.name);
            Ok(())
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <TextField id="endpoint-token-name".to_owned() label="Name" field="name" submission
                value=name on_input=move |v| name.set(v)/>
            <div class="field">
                <label for="endpoint-token-value">"Token"</label>
                <SecretReveal secret=Signal::derive(move || secret.with(|d| d.as_ref().map(|d| d.secret.clone())))
                    name="endpoint-token-value" noun="token" copy_label="Copy token" shape=Shape::Field placeholder=hint/>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| regenerate()>"Regenerate token"</button>
                </div>
                {submission.field_error("secret")}
                <p class="warning">"The value can be seen only until this dialog is saved or closed."</p>
            </div>
            {id.map(|_| view! {
                <OverlapSelect id="endpoint-token-overlap" label="After a new value is saved, the old one keeps working for"
                    overlap choices=&Overlap::ANY/>
                {previous_until.map(|until| view! {
                    <p class="hint">"The value replaced last still works until " {until.format("%Y-%m-%d %H:%M UTC").to_string()} "."</p>
                })}
                <div class="field">
                    <label for="endpoint-token-ips">"Allowed addresses"</label>
                    <textarea id="endpoint-token-ips" rows="3" spellcheck="false" placeholder="203.0.113.0/24"
                        aria-describedby="endpoint-token-ips-hint"
                        prop:value=move || ranges.get()
                        on:input=move |ev| ranges.set(event_target_value(&ev))></textarea>
                    <p class="hint" id="endpoint-token-ips-hint">"Addresses or CIDR ranges, one per line, at most 20. Empty: any address."</p>
                    {submission.field_error("allowed_ips")}
                </div>
                <div class="field">
                    <label for="endpoint-token-ip-policy">"From other addresses"</label>
                    <select id="endpoint-token-ip-policy" on:change=move |ev| {
                        policy.set(IpPolicy::parse(&event_target_value(&ev)).unwrap_or_default());
                    }>
                        <option value="enforce" selected=policy.get_untracked() == IpPolicy::Enforce>"Refuse the call (403 ip_not_allowed)"</option>
                        <option value="report" selected=policy.get_untracked() == IpPolicy::Report>"Accept it and record it in the audit log"</option>
                    </select>
                </div>
            })}
            <TextField id="endpoint-token-description".to_owned() label="Description" field="description"
                submission value=description on_input=move |v| description.set(v)/>
            <label class="check">
                <input type="checkbox" role="switch" prop:checked=enabled
                    on:change=move |ev| enabled.set(event_target_checked(&ev))/>
                "Enabled"
            </label>
            <p role="status" class="status-line">{move || note.get()}</p>
            {submission.form_error()}
            <div class="buttons">
                <button type="submit" class="primary-inline" disabled=move || submission.saving()>"Save"</button>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

/// Picks an endpoint that takes tokens and the primaries this token may stand in for.
#[component]
fn AssignForm(
    token: EndpointTokenView,
    open: RwSignal<bool>,
    on_saved: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let token_id = token.id;
    let endpoints = Resource::new(|| (), |_| list_endpoints());
    let existing = Resource::new(
        move || (),
        move |_| endpoint_assignments(None, Some(token_id)),
    );
    let endpoint = RwSignal::new(None::<i64>);
    let choice = RwSignal::new(Assignment {
        enabled: true,
        ..Default::default()
    });
    let error = RwSignal::new(None::<String>);
    let confirmation = Confirmation::new();
    // What is assigned on an endpoint now (nothing, enabled, when none is).
    let saved = move |id: Option<i64>| {
        existing
            .get_untracked()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|a| Some(a.endpoint_id) == id))
            .map(|a| a.assignment)
            .unwrap_or(Assignment {
                enabled: true,
                ..Default::default()
            })
    };
    // Choosing an endpoint shows what is assigned there already.
    let pick = move |id: Option<i64>| {
        endpoint.set(id);
        choice.set(saved(id));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(endpoint_id) = endpoint.get_untracked() else {
            error.set(Some("Choose an endpoint".into()));
            return;
        };
        let assignment = choice.get_untracked();
        let name = token.name.clone();
        let before = saved(Some(endpoint_id));
        // Taking a right away breaks the application's calls: asked first.
        let loses = (before.post && !assignment.post)
            || (before.get && !assignment.get)
            || (before.delete && !assignment.delete)
            || (before.enabled
                && !assignment.enabled
                && (before.post || before.get || before.delete));
        let question = format!(
            "Take rights away from “{name}” on this endpoint? Its calls with the removed methods are refused at once."
        );
        let save = move || {
            let (name, assignment) = (name.clone(), assignment.clone());
            leptos::task::spawn_local(async move {
                match assign_endpoint_token(endpoint_id, token_id, assignment).await {
                    Ok(()) => {
                        open.set(false);
                        on_saved(format!("Assignments of {name} saved."));
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            });
        };
        if loses {
            confirmation.ask(question, "Remove", save);
        } else {
            save();
        }
    };
    let method =
        move |label: &'static str, get: fn(&Assignment) -> bool, set: fn(&mut Assignment, bool)| {
            view! {
                <label class="check">
                    <input type="checkbox" prop:checked=move || choice.with(get)
                        on:change=move |ev| choice.update(|c| set(c, event_target_checked(&ev)))/>
                    {label}
                </label>
            }
        };
    view! {
        <form on:submit=submit novalidate>
            <div class="field">
                <label for="assign-endpoint">"Endpoint"</label>
                <select id="assign-endpoint" on:change=move |ev| pick(event_target_value(&ev).parse().ok())>
                    <option value="">"Choose an endpoint"</option>
                    <Suspense>
                        {move || Suspend::new(async move {
                            endpoints.await.unwrap_or_default().into_iter()
                                .filter(|e| e.auth_type == AuthType::Token)
                                .map(|e| view! { <option value=e.id.to_string()>{format!("{} (/{})", e.name, e.path)}</option> })
                                .collect_view()
                        })}
                    </Suspense>
                </select>
            </div>
            <fieldset class="field">
                <legend>"Primaries"</legend>
                {method("POST", |a| a.post, |a, v| a.post = v)}
                {method("GET", |a| a.get, |a, v| a.get = v)}
                {method("DELETE", |a| a.delete, |a, v| a.delete = v)}
            </fieldset>
            <label class="check">
                <input type="checkbox" role="switch" prop:checked=move || choice.with(|c| c.enabled)
                    on:change=move |ev| choice.update(|c| c.enabled = event_target_checked(&ev))/>
                "Assignment enabled"
            </label>
            <p role="alert" class="error">{move || error.get()}</p>
            <ConfirmDialog confirmation/>
            <div class="buttons">
                <button type="submit" class="primary-inline">"Save"</button>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

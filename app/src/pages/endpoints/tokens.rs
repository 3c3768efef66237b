//! The Tokens tab: primary tokens, and the endpoint tokens assigned to them.
use leptos::prelude::*;

use crate::api::endpoints::{
    assign_endpoint_token, generate_primary, Assignment, AssignmentView, EndpointTokenView,
    EndpointView, Method,
};
use crate::components::dialog::{ConfirmDialog, Confirmation};
use crate::components::overlap::{Overlap, OverlapSelect};
use crate::components::secret::SecretReveal;
use crate::components::token::When;
use crate::error::AppError;

/// POST, GET and DELETE primaries: "Generate <METHOD> token" shows a fresh value once, and
/// "Copy <METHOD> token" copies it while it is shown.
#[component]
pub(super) fn PrimaryTokens(endpoint: EndpointView) -> impl IntoView {
    let id = endpoint.id;
    let message = RwSignal::new(None::<Result<String, String>>);
    let confirmation = Confirmation::new();
    let overlap = RwSignal::new(Overlap::None);
    view! {
        <section class="section" aria-labelledby="primaries-heading">
            <h2 id="primaries-heading">"Primary tokens"</h2>
            <p class="hint">"Each method has its own token. Generating a new one stops the old value at once, or after the overlap chosen here, so integrations can switch without an outage."</p>
            <OverlapSelect id="primary-overlap" label="After generating, the old value keeps working for" overlap choices=&Overlap::ANY/>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Primary tokens">
                <table class="stack">
                    <thead><tr>
                        <th scope="col">"Method"</th><th scope="col">"Token"</th>
                        <th scope="col">"Generated"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {endpoint.primaries.into_iter().map(|p| {
                            let method = p.method;
                            let fresh = RwSignal::new(None::<String>);
                            let generated = RwSignal::new(p.generated_at);
                            // Replacing a value in use breaks whoever holds it: asked first.
                            let in_use = RwSignal::new(p.issued);
                            let previous = RwSignal::new(p.previous_valid_until);
                            let generate = move || {
                                    in_use.set(true);
                                    let grace = overlap.get_untracked().seconds();
                                    leptos::task::spawn_local(async move {
                                        match generate_primary(id, method, grace).await {
                                            Ok(secret) => {
                                                let now = chrono::Utc::now();
                                                fresh.set(Some(secret));
                                                generated.set(now);
                                                previous.set((grace > 0).then(|| now + chrono::Duration::seconds(grace)));
                                                message.set(Some(Ok(format!("New {method} token generated. Copy it now: it is not shown again."))));
                                            }
                                            Err(e) => message.set(Some(Err(e.to_string()))),
                                        }
                                    });
                            };
                            let ask = move |_| {
                                if in_use.get_untracked() {
                                    let when = match overlap.get_untracked() {
                                        Overlap::None => "stops working at once".to_owned(),
                                        o => format!("keeps working for {}, then stops", o.label()),
                                    };
                                    confirmation.ask(
                                        format!("Generate a new {method} token? The current {method} token {when}: every integration using it must be given the new one."),
                                        "Generate",
                                        generate,
                                    );
                                } else {
                                    generate();
                                }
                            };
                            view! {
                                <tr>
                                    <th scope="row">{method.as_str()}</th>
                                    <td data-label="Token">
                                        <SecretReveal secret=fresh name=format!("{method} token") noun=format!("{method} token")
                                            copy_label=format!("Copy {method} token") revealed=true placeholder=p.hint.clone()/>
                                    </td>
                                    <td data-label="Generated">
                                        {move || view! { <When at=Some(generated.get())/> }}
                                        {move || previous.get().map(|until| view! {
                                            <span class="hint">" Previous value works until " {until.format("%Y-%m-%d %H:%M UTC").to_string()}</span>
                                        })}
                                    </td>
                                    <td class="actions">
                                        <button type="button" class="secondary" on:click=ask>{format!("Generate {method} token")}</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p role="status" class="status-line">{move || message.get().and_then(Result::ok)}</p>
            <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
            <ConfirmDialog confirmation/>
        </section>
    }
}

/// The endpoint tokens with a checkbox per primary; "Hide unassigned" keeps only those
/// assigned here.
#[component]
pub(super) fn AssignedTokens(
    id: i64,
    /// The endpoint's primaries; none while it takes no tokens.
    methods: Signal<Vec<Method>>,
    data: Resource<Result<Assignable, AppError>>,
) -> impl IntoView {
    let hide_unassigned = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let confirmation = Confirmation::new();
    let message = RwSignal::new(None::<Result<String, String>>);
    // One save at a time, and each row keeps what the server accepted: a second click starts
    // from the saved state, never from what the row showed before the first one landed.
    let save = move |token: &EndpointTokenView, row: RwSignal<Assignment>, next: Assignment| {
        if busy.get_untracked() {
            row.update(|_| ());
            return;
        }
        busy.set(true);
        let (token_id, name) = (token.id, token.name.clone());
        leptos::task::spawn_local(async move {
            match assign_endpoint_token(id, token_id, next.clone()).await {
                Ok(()) => {
                    row.set(next);
                    message.set(Some(Ok(format!("Assignments of {name} saved."))));
                }
                Err(e) => {
                    // Puts the boxes back to the saved state.
                    row.update(|_| ());
                    message.set(Some(Err(e.to_string())));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section class="section" aria-labelledby="assigned-heading">
            <h2 id="assigned-heading">"Endpoint tokens"</h2>
            <label class="check">
                <input type="checkbox" role="switch" prop:checked=move || hide_unassigned.get()
                    on:change=move |ev| hide_unassigned.set(event_target_checked(&ev))/>
                "Hide unassigned"
            </label>
            <Suspense fallback=|| view! { <p class="loading">"Loading endpoint tokens…"</p> }>
                {move || {
                    let methods = methods.get();
                    data.get().map(|data| match data {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok((tokens, _)) if tokens.is_empty() => view! {
                            <p class="empty">"No endpoint tokens yet. Add one per client application under Administration > Endpoint tokens."</p>
                        }.into_any(),
                        Ok((tokens, assignments)) => view! {
                            <AssignmentTable tokens assignments methods hide_unassigned busy save confirmation/>
                        }.into_any(),
                    })
                }}
            </Suspense>
            <p role="status" class="status-line">{move || message.get().and_then(Result::ok)}</p>
            <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
            <ConfirmDialog confirmation/>
        </section>
    }
}

/// Every endpoint token, and those assigned to this endpoint.
pub(super) type Assignable = (Vec<EndpointTokenView>, Vec<AssignmentView>);

fn is_assigned(a: &Assignment) -> bool {
    a.post || a.get || a.delete
}

#[component]
fn AssignmentTable(
    tokens: Vec<EndpointTokenView>,
    assignments: Vec<AssignmentView>,
    methods: Vec<Method>,
    hide_unassigned: RwSignal<bool>,
    busy: RwSignal<bool>,
    save: impl Fn(&EndpointTokenView, RwSignal<Assignment>, Assignment) + Copy + Send + Sync + 'static,
    confirmation: Confirmation,
) -> impl IntoView {
    // Taking a right away stops the application's calls at once: asked first. Until then the
    // row shows what is saved.
    let change = move |token: &EndpointTokenView,
                       row: RwSignal<Assignment>,
                       next: Assignment,
                       loss: Option<String>| {
        match loss {
            None => save(token, row, next),
            Some(question) => {
                row.update(|_| ());
                let token = token.clone();
                confirmation.ask(question, "Remove", move || save(&token, row, next.clone()));
            }
        }
    };
    let headers = methods
        .iter()
        .map(|m| view! { <th scope="col">{m.as_str()}</th> })
        .collect_view();
    let rows = tokens
        .into_iter()
        .map(|token| {
            let row = RwSignal::new(
                assignments
                    .iter()
                    .find(|a| a.endpoint_token_id == token.id)
                    .map(|a| a.assignment.clone())
                    .unwrap_or(Assignment {
                        enabled: true,
                        ..Default::default()
                    }),
            );
            let boxes = methods
                .iter()
                .map(|&method| {
                    let token = token.clone();
                    let label = format!("Assign {} to {}", token.name, method);
                    view! {
                        <td data-label=method.as_str()><input type="checkbox" aria-label=label disabled=move || busy.get()
                            prop:checked=move || row.with(|a| method.allowed_by(a))
                            on:change=move |ev| {
                                let mut next = row.get_untracked();
                                let on = event_target_checked(&ev);
                                *method.flag(&mut next) = on;
                                let loss = (!on).then(|| format!(
                                    "Remove {method} from “{}”? Its {method} calls to this endpoint are refused at once.", token.name
                                ));
                                change(&token, row, next, loss);
                            }/></td>
                    }
                })
                .collect_view();
            let enabled_label = format!("Assignment of {} enabled", token.name);
            let toggle_token = token.clone();
            view! {
                <tr hidden=move || hide_unassigned.get() && !row.with(is_assigned)>
                    <th scope="row">{token.name.clone()}{(!token.enabled).then(|| view! { " " <span class="badge muted">"Disabled"</span> })}</th>
                    {boxes}
                    <td data-label="Enabled"><input type="checkbox" role="switch" aria-label=enabled_label
                        disabled=move || busy.get() || !row.with(is_assigned)
                        prop:checked=move || row.with(|a| a.enabled)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let loss = (!on).then(|| format!(
                                "Disable the assignment of “{}”? All its calls to this endpoint are refused at once.", toggle_token.name
                            ));
                            change(&toggle_token, row, Assignment { enabled: on, ..row.get_untracked() }, loss);
                        }/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Endpoint token assignments">
            <table class="stack">
                <thead><tr><th scope="col">"Endpoint token"</th>{headers}<th scope="col">"Enabled"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

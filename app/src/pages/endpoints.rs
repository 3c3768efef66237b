//! Administration > Endpoints, and one endpoint's General, Tokens and Data tabs.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::endpoints::{
    assign_endpoint_token, create_endpoint, endpoint_assignments, endpoint_record,
    endpoint_traffic, generate_primary, get_endpoint, list_endpoint_tokens, list_endpoints,
    update_endpoint, Assignment, AssignmentView, AuthType, EndpointForm, EndpointTokenView,
    EndpointView, Method, RequestView, Traffic, TrafficFilter,
};
use crate::components::chart::CallsChart;
use crate::components::dialog::Modal;
use crate::components::form::{Submission, TextField};
use crate::components::session::{load_page, AdminOnly};
use crate::components::tabs::TabButton;
use crate::components::token::{copy_to_clipboard, When};
use crate::error::AppError;

#[component]
pub fn EndpointsPage() -> impl IntoView {
    let endpoints = Resource::new(|| (), |_| list_endpoints());
    let create_open = RwSignal::new(false);
    view! {
        <AdminOnly>
            <Title text="Endpoints"/>
            <div class="page-head">
                <h1>"Endpoints"</h1>
                <button type="button" class="primary-inline" on:click=move |_| create_open.set(true)>"+ Endpoint"</button>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading endpoints…"</p> }>
                {move || Suspend::new(async move {
                    match endpoints.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No endpoints yet. “+ Endpoint” creates one; integrations then send records to /api/v1/endpoints/<path>/records."</p>
                        }.into_any(),
                        Ok(list) => view! { <EndpointTable items=list/> }.into_any(),
                    }
                })}
            </Suspense>
            <Modal title="Create endpoint" open=create_open>
                <EndpointFields initial=EndpointForm { auth_type: "none".into(), ..Default::default() }
                    creating=true on_save=move |form| async move {
                        create_endpoint(form).await.map(|e| load_page(&format!("/admin/endpoints/{}", e.id)))
                    }/>
            </Modal>
        </AdminOnly>
    }
}

#[component]
fn EndpointTable(items: Vec<EndpointView>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Endpoints">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Path"</th>
                        <th scope="col">"Authentication"</th>
                        <th scope="col">"Deleting"</th>
                        <th scope="col">"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|e| view! {
                        <tr>
                            <td><a href=format!("/admin/endpoints/{}", e.id)>{e.name}</a></td>
                            <td><code>{e.path}</code></td>
                            <td>{if e.auth_type == AuthType::Token { "Token" } else { "None" }}</td>
                            <td>{if e.allow_deleting { "Allowed" } else { "Not allowed" }}</td>
                            <td><When at=Some(e.updated_at)/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Name, Path, Description, Authentication type and Allow deleting, for "+ Endpoint" and the
/// General tab.
#[component]
fn EndpointFields<F, Fut>(initial: EndpointForm, creating: bool, on_save: F) -> impl IntoView
where
    F: Fn(EndpointForm) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + 'static,
{
    let form = RwSignal::new(initial);
    let submission = Submission::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.run(on_save(form.get_untracked()));
    };
    let prefix = if creating { "new-endpoint" } else { "endpoint" };
    let field_error = move |name| submission.field_error(name);
    let text = move |name: &'static str,
                     label: &'static str,
                     get: fn(&EndpointForm) -> String,
                     set: fn(&mut EndpointForm, String)| {
        view! {
            <TextField id=format!("{prefix}-{name}") label field=name submission
                value=Signal::derive(move || form.with(get))
                on_input=move |v| form.update(|f| set(f, v))/>
        }
    };
    let auth_id = format!("{prefix}-auth-type");
    view! {
        <form on:submit=submit novalidate>
            {text("name", "Name", |f| f.name.clone(), |f, v| f.name = v)}
            {text("path", "Path", |f| f.path.clone(), |f, v| f.path = v)}
            <p class="hint">"Lower-case letters, digits and hyphens: records go to /api/v1/endpoints/"
                {move || form.with(|f| if f.path.is_empty() { "<path>".to_owned() } else { f.path.clone() })}"/records"</p>
            {text("description", "Description", |f| f.description.clone(), |f, v| f.description = v)}
            <div class="field">
                <label for=auth_id.clone()>"Authentication type"</label>
                <select id=auth_id prop:value=move || form.with(|f| f.auth_type.clone())
                    on:change=move |ev| form.update(|f| f.auth_type = event_target_value(&ev))>
                    <option value="none">"None"</option>
                    <option value="token">"Token"</option>
                </select>
                {field_error("auth_type")}
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || form.with(|f| f.allow_deleting)
                    on:change=move |ev| form.update(|f| f.allow_deleting = event_target_checked(&ev))/>
                "Allow deleting"
            </label>
            <p role="status" class="status-line">{move || submission.saved().then_some("Saved.")}</p>
            {submission.form_error()}
            <div class="buttons">
                <button type="submit" class="primary-inline" disabled=move || submission.saving()>
                    {if creating { "Create" } else { "Save" }}
                </button>
            </div>
        </form>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    General,
    Tokens,
    Data,
}

/// One endpoint's General, Tokens and Data tabs. Each part waits in its own boundary, side by
/// side, and every resource is made here, outside AdminOnly (see there why): boundaries
/// nested inside a boundary that was still waiting failed to hydrate.
#[component]
pub fn EndpointPage() -> impl IntoView {
    let params = use_params_map();
    let id = params
        .read_untracked()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or_default();
    let tab = RwSignal::new(Tab::General);
    let loaded = Resource::new(|| (), move |_| get_endpoint(id));
    // What the General tab saved last; until then, what was loaded.
    let saved = RwSignal::new(None::<EndpointView>);
    let endpoint = move || match saved.get() {
        Some(e) => Some(Ok(e)),
        None => loaded.get(),
    };
    let token_endpoint = move || {
        endpoint()
            .and_then(Result::ok)
            .filter(|e| e.auth_type == AuthType::Token)
    };
    let assignable = Resource::new(
        || (),
        move |_| async move {
            let tokens = list_endpoint_tokens(false).await?;
            let assignments = endpoint_assignments(Some(id), None).await?;
            Ok::<_, AppError>((tokens, assignments))
        },
    );
    let traffic = TrafficQuery::new(id);
    view! {
        <AdminOnly>
            <Title text="Endpoint"/>
            <Suspense fallback=|| view! { <h1>"Endpoint"</h1> }>
                {move || match endpoint() {
                    Some(Err(e)) => view! { <h1>"Endpoint"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Some(Ok(e)) => view! { <h1>{e.name}</h1> }.into_any(),
                    None => view! { <h1>"Endpoint"</h1> }.into_any(),
                }}
            </Suspense>
            <div role="tablist" class="tabs" aria-label="Endpoint">
                <TabButton selected=tab which=Tab::General label="General" panel="panel-general"/>
                <Suspense>
                    {move || token_endpoint().map(|_| view! {
                        <TabButton selected=tab which=Tab::Tokens label="Tokens" panel="panel-tokens"/>
                    })}
                </Suspense>
                <TabButton selected=tab which=Tab::Data label="Data" panel="panel-data"/>
            </div>
            <div id="panel-general" role="tabpanel" aria-label="General" hidden=move || tab.get() != Tab::General>
                <Suspense fallback=|| view! { <p class="loading">"Loading endpoint…"</p> }>
                    // Made once from what was loaded: saving keeps the form (and its focus).
                    {move || Suspend::new(async move {
                        loaded.await.ok().map(|e| view! {
                            <EndpointFields creating=false initial=EndpointForm {
                                name: e.name,
                                path: e.path,
                                description: e.description,
                                auth_type: e.auth_type.as_str().to_owned(),
                                allow_deleting: e.allow_deleting,
                            } on_save=move |form| async move {
                                update_endpoint(id, form).await.map(|e| saved.set(Some(e)))
                            }/>
                        })
                    })}
                </Suspense>
            </div>
            <div id="panel-tokens" role="tabpanel" aria-label="Tokens" hidden=move || tab.get() != Tab::Tokens>
                <Suspense fallback=|| view! { <p class="loading">"Loading tokens…"</p> }>
                    {move || token_endpoint().map(|e| view! { <PrimaryTokens endpoint=e/> })}
                </Suspense>
                <AssignedTokens id methods=Signal::derive(move || {
                    token_endpoint()
                        .map(|e| e.primaries.into_iter().map(|p| p.method).collect())
                        .unwrap_or_default()
                }) data=assignable/>
            </div>
            <div id="panel-data" role="tabpanel" aria-label="Data" hidden=move || tab.get() != Tab::Data>
                <DataViewer query=traffic/>
            </div>
        </AdminOnly>
    }
}

/// POST, GET and DELETE primaries: "Generate <METHOD> token" shows a fresh value once, and
/// "Copy <METHOD> token" copies it while it is shown.
#[component]
fn PrimaryTokens(endpoint: EndpointView) -> impl IntoView {
    let id = endpoint.id;
    let message = RwSignal::new(None::<Result<String, String>>);
    view! {
        <section class="section" aria-labelledby="primaries-heading">
            <h2 id="primaries-heading">"Primary tokens"</h2>
            <p class="hint">"Each method has its own token. Generating a new one stops the old value at once."</p>
            <div class="table-wrap" tabindex="0" role="region" aria-label="Primary tokens">
                <table>
                    <thead><tr>
                        <th scope="col">"Method"</th><th scope="col">"Token"</th>
                        <th scope="col">"Generated"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {endpoint.primaries.into_iter().map(|p| {
                            let method = p.method;
                            let fresh = RwSignal::new(None::<String>);
                            let generated = RwSignal::new(p.generated_at);
                            let generate = {
                                move |_| {
                                    leptos::task::spawn_local(async move {
                                        match generate_primary(id, method).await {
                                            Ok(secret) => {
                                                fresh.set(Some(secret));
                                                generated.set(chrono::Utc::now());
                                                message.set(Some(Ok(format!("New {method} token generated. Copy it now: it is not shown again."))));
                                            }
                                            Err(e) => message.set(Some(Err(e.to_string()))),
                                        }
                                    });
                                }
                            };
                            let copy = {
                                move |_| if let Some(secret) = fresh.get_untracked() {
                                    copy_to_clipboard(&secret);
                                    message.set(Some(Ok(format!("{method} token copied."))));
                                }
                            };
                            view! {
                                <tr>
                                    <th scope="row">{method.as_str()}</th>
                                    <td>{move || match fresh.get() {
                                        Some(secret) => view! { <code aria-label=format!("{} token", p.method)>{secret}</code> }.into_any(),
                                        None => view! { <code class="muted">{p.hint.clone()}</code> }.into_any(),
                                    }}</td>
                                    <td>{move || view! { <When at=Some(generated.get())/> }}</td>
                                    <td class="actions">
                                        <button type="button" class="secondary" on:click=generate>{format!("Generate {method} token")}</button>
                                        <button type="button" class="secondary" disabled=move || fresh.with(Option::is_none)
                                            on:click=copy>{format!("Copy {method} token")}</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <p role="status" class="status-line">{move || message.get().and_then(Result::ok)}</p>
            <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
        </section>
    }
}

/// The endpoint tokens with a checkbox per primary; "Hide unassigned" keeps only those
/// assigned here.
#[component]
fn AssignedTokens(
    id: i64,
    /// The endpoint's primaries; none while it takes no tokens.
    methods: Signal<Vec<Method>>,
    data: Resource<Result<Assignable, AppError>>,
) -> impl IntoView {
    let hide_unassigned = RwSignal::new(false);
    let busy = RwSignal::new(false);
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
                            <AssignmentTable tokens assignments methods hide_unassigned busy save/>
                        }.into_any(),
                    })
                }}
            </Suspense>
            <p role="status" class="status-line">{move || message.get().and_then(Result::ok)}</p>
            <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
        </section>
    }
}

/// Every endpoint token, and those assigned to this endpoint.
type Assignable = (Vec<EndpointTokenView>, Vec<AssignmentView>);

fn is_assigned(a: &Assignment) -> bool {
    a.post || a.get || a.delete
}

/// The switch of one primary's method in an assignment.
#[component]
fn AssignmentTable(
    tokens: Vec<EndpointTokenView>,
    assignments: Vec<AssignmentView>,
    methods: Vec<Method>,
    hide_unassigned: RwSignal<bool>,
    busy: RwSignal<bool>,
    save: impl Fn(&EndpointTokenView, RwSignal<Assignment>, Assignment) + Copy + Send + Sync + 'static,
) -> impl IntoView {
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
                        <td><input type="checkbox" aria-label=label disabled=move || busy.get()
                            prop:checked=move || row.with(|a| method.allowed_by(a))
                            on:change=move |ev| {
                                let mut next = row.get_untracked();
                                *method.flag(&mut next) = event_target_checked(&ev);
                                save(&token, row, next);
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
                    <td><input type="checkbox" role="switch" aria-label=enabled_label
                        disabled=move || busy.get() || !row.with(is_assigned)
                        prop:checked=move || row.with(|a| a.enabled)
                        on:change=move |ev| save(&toggle_token, row, Assignment {
                            enabled: event_target_checked(&ev),
                            ..row.get_untracked()
                        })/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Endpoint token assignments">
            <table>
                <thead><tr><th scope="col">"Endpoint token"</th>{headers}<th scope="col">"Enabled"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The data viewer's filter and what it finds; made by the page, outside AdminOnly.
#[derive(Clone, Copy)]
struct TrafficQuery {
    id: i64,
    chosen: RwSignal<Vec<String>>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    refresh: RwSignal<u32>,
    traffic: Resource<Result<Traffic, AppError>>,
}

impl TrafficQuery {
    fn new(id: i64) -> Self {
        let chosen = RwSignal::new(Vec::<String>::new());
        let from = RwSignal::new(String::new());
        let to = RwSignal::new(String::new());
        let refresh = RwSignal::new(0u32);
        let traffic = Resource::new(
            move || (chosen.get(), from.get(), to.get(), refresh.get()),
            move |(tokens, from, to, _)| endpoint_traffic(id, TrafficFilter { tokens, from, to }),
        );
        Self {
            id,
            chosen,
            from,
            to,
            refresh,
            traffic,
        }
    }
}

/// The endpoint data viewer: filter by token and dates, a chart of calls per token, the
/// calls themselves, and a record's JSON on demand.
#[component]
fn DataViewer(query: TrafficQuery) -> impl IntoView {
    let TrafficQuery {
        id,
        chosen,
        from,
        to,
        refresh,
        traffic,
    } = query;
    let senders = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        if let Some(Ok(t)) = traffic.get() {
            if senders.with_untracked(|s| s != &t.senders) {
                senders.set(t.senders);
            }
        }
    });
    let record_open = RwSignal::new(false);
    let record = RwSignal::new(None::<Result<String, String>>);
    let show_record = move |record_id: i64| {
        record.set(None);
        record_open.set(true);
        leptos::task::spawn_local(async move {
            record.set(Some(
                endpoint_record(id, record_id)
                    .await
                    .map(|r| serde_json::to_string_pretty(&r.data).unwrap_or_default())
                    .map_err(|e| e.to_string()),
            ));
        });
    };
    view! {
        <form class="filters" on:submit=|ev| ev.prevent_default()>
            <fieldset class="field token-filter">
                <legend>"Tokens"</legend>
                {move || {
                    let all = senders.get();
                    if all.is_empty() {
                        return view! { <span class="muted">"No callers yet"</span> }.into_any();
                    }
                    all.into_iter().map(|sender| {
                        let value = sender.clone();
                        let key = sender.clone();
                        view! {
                            <label class="check">
                                <input type="checkbox" prop:checked=move || chosen.with(|c| c.contains(&key))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| {
                                            c.retain(|s| s != &value);
                                            if on { c.push(value.clone()); }
                                        });
                                    }/>
                                {sender}
                            </label>
                        }
                    }).collect_view().into_any()
                }}
            </fieldset>
            <label>"From"<input type="date" on:change=move |ev| from.set(event_target_value(&ev))/></label>
            <label>"To"<input type="date" on:change=move |ev| to.set(event_target_value(&ev))/></label>
            <div><button type="button" class="secondary" on:click=move |_| refresh.update(|n| *n += 1)>"Refresh"</button></div>
        </form>
        <p class="hint">"Calls appear within a second or two: they are written in batches."</p>
        <Transition fallback=|| view! { <p class="loading">"Loading calls…"</p> }>
            {move || Suspend::new(async move {
                match traffic.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(t) if t.requests.is_empty() => view! {
                        <p class="empty">"No calls match. Integrations appear here once they call /api/v1/endpoints/<path>/records."</p>
                    }.into_any(),
                    Ok(t) => view! {
                        <CallsChart chart=t.chart/>
                        <RequestTable rows=t.requests show_record/>
                    }.into_any(),
                }
            })}
        </Transition>
        <Modal title="Record" open=record_open>
            {move || match record.get() {
                None => view! { <p class="loading">"Loading record…"</p> }.into_any(),
                Some(Ok(json)) => view! { <pre class="json">{json}</pre> }.into_any(),
                Some(Err(e)) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
            }}
            <div class="buttons">
                <button type="button" class="secondary" on:click=move |_| record_open.set(false)>"Close"</button>
            </div>
        </Modal>
    }
}

#[component]
fn RequestTable(
    rows: Vec<RequestView>,
    show_record: impl Fn(i64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Calls">
            <table>
                <thead><tr>
                    <th scope="col">"Received"</th><th scope="col">"Method"</th><th scope="col">"Token"</th>
                    <th scope="col">"Status"</th><th scope="col">"Size"</th><th scope="col">"Client"</th>
                    <th scope="col"><span class="visually-hidden">"Record"</span></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td><When at=Some(r.received_at)/></td>
                            <td>{r.method.clone()}</td>
                            <td>{r.token.clone()}</td>
                            <td><span class=if r.status < 400 { "badge ok" } else { "badge muted" }>{r.status}</span></td>
                            <td>{format!("{} B", r.size)}</td>
                            <td>{r.ip.clone().unwrap_or_default()}</td>
                            <td>{r.record_id.map(|record_id| view! {
                                <button type="button" class="secondary" on:click=move |_| show_record(record_id)>"View JSON"</button>
                            })}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

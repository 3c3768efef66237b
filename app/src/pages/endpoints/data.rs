//! The Data tab: the data viewer.
use leptos::prelude::*;

use crate::api::endpoints::{
    endpoint_record, endpoint_traffic, RequestView, Traffic, TrafficFilter,
};
use crate::components::chart::CallsChart;
use crate::components::dialog::Modal;
use crate::components::token::When;
use crate::error::AppError;

/// The data viewer's filter and what it finds; made by the page, outside AdminOnly.
#[derive(Clone, Copy)]
pub(super) struct TrafficQuery {
    id: i64,
    chosen: RwSignal<Vec<String>>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    refresh: RwSignal<u32>,
    traffic: Resource<Result<Traffic, AppError>>,
}

impl TrafficQuery {
    pub(super) fn new(id: i64) -> Self {
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
pub(super) fn DataViewer(query: TrafficQuery) -> impl IntoView {
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
                            <td><span class=if r.status < 400 { "badge ok" } else { "badge muted" }>{r.status}</span>
                                {(r.calls > 1).then(|| format!(" × {} in this minute", r.calls))}</td>
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

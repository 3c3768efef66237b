//! The Data tab: the data viewer.
use leptos::prelude::*;

use crate::api::endpoints::{
    endpoint_record, endpoint_traffic, RequestView, Traffic, TrafficFilter, TrafficRange,
};
use crate::components::chart::CallsChart;
use crate::components::dialog::Modal;
use crate::components::pager::Pager;
use crate::components::token::When;
use crate::components::url_state::UrlState;
use crate::error::AppError;

/// The data viewer's filter (in the query string, beside the tab) and what it finds; made by
/// the page, outside AdminOnly.
#[derive(Clone, Copy)]
pub(super) struct TrafficQuery {
    id: i64,
    url: UrlState,
    chosen: Memo<Vec<String>>,
    range: Memo<TrafficRange>,
    from: Memo<Option<String>>,
    to: Memo<Option<String>>,
    cursor: Memo<Option<String>>,
    refresh: RwSignal<u32>,
    traffic: Resource<Result<Traffic, AppError>>,
}

/// The query parameters of the endpoint page: its tab and the data viewer's filter.
pub(super) const PARAMETERS: &[&str] = &["tab", "senders", "range", "from", "to", "cursor"];

/// Sender names are joined by line feeds in the URL: a name holds no control character.
const SEPARATOR: char = '\n';

impl TrafficQuery {
    pub(super) fn new(id: i64, url: UrlState) -> Self {
        let senders = url.get("senders");
        let chosen = Memo::new(move |_| {
            senders
                .get()
                .map(|s| s.split(SEPARATOR).map(str::to_owned).collect())
                .unwrap_or_default()
        });
        let range_key = url.get("range");
        let range = Memo::new(move |_| {
            range_key
                .get()
                .and_then(|r| TrafficRange::parse(&r))
                .unwrap_or_default()
        });
        let (from, to, cursor) = (url.get("from"), url.get("to"), url.get("cursor"));
        let refresh = RwSignal::new(0u32);
        let traffic = Resource::new(
            move || {
                let filter = TrafficFilter {
                    tokens: chosen.get(),
                    range: range.get(),
                    from: from.get().unwrap_or_default(),
                    to: to.get().unwrap_or_default(),
                    cursor: cursor.get(),
                };
                (filter, refresh.get())
            },
            move |(filter, _)| endpoint_traffic(id, filter),
        );
        Self {
            id,
            url,
            chosen,
            range,
            from,
            to,
            cursor,
            refresh,
            traffic,
        }
    }
}

/// How often the first page refreshes itself while it is on screen.
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// Refreshes after the last thing the user did: an unattended page stops asking, so it
/// neither keeps the session alive past its idle timeout nor loads the database for no one.
const REFRESHES_UNATTENDED: u32 = 30;

/// The endpoint data viewer: filter by token and time, a chart of calls per token, the
/// calls themselves 50 at a time, and a record's JSON on demand.
#[component]
pub(super) fn DataViewer(
    query: TrafficQuery,
    /// The Data tab is the one shown.
    #[prop(into)]
    shown: Signal<bool>,
) -> impl IntoView {
    let TrafficQuery {
        id,
        url,
        chosen,
        range,
        from,
        to,
        cursor,
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
    // New calls show up by themselves on the first page while it is on screen; a later page
    // stays as it is.
    let left = StoredValue::new(REFRESHES_UNATTENDED);
    Effect::new(move |_| {
        // Any filter or page change counts as the user being there (and Refresh, below).
        chosen.track();
        range.track();
        from.track();
        to.track();
        cursor.track();
        left.set_value(REFRESHES_UNATTENDED);
    });
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let on_screen = shown.get_untracked() && document_visible();
                if on_screen && cursor.get_untracked().is_none() && left.get_value() > 0 {
                    left.update_value(|n| *n -= 1);
                    refresh.update(|n| *n += 1);
                }
            },
            REFRESH_EVERY,
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    let trail = RwSignal::new(Vec::<Option<String>>::new());
    let set = move |key: &'static str, value: Option<String>| url.filter(trail, key, value);
    let pending = RwSignal::new(false);
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
        <form class="filters data-filters" on:submit=|ev| ev.prevent_default()>
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
                                        let mut next = chosen.get_untracked();
                                        next.retain(|s| s != &value);
                                        if on { next.push(value.clone()); }
                                        let joined = next.join(&SEPARATOR.to_string());
                                        set("senders", Some(joined));
                                    }/>
                                <span>{sender}</span>
                            </label>
                        }
                    }).collect_view().into_any()
                }}
            </fieldset>
            <label>"Time"
                <select on:change=move |ev| set("range", Some(event_target_value(&ev)))>
                    {TrafficRange::ALL.map(|r| view! {
                        <option value=r.as_str() selected=move || range.get() == r>{r.label()}</option>
                    })}
                </select>
            </label>
            <Show when=move || range.get() == TrafficRange::Custom>
                <label>"From"<input type="date" prop:value=move || from.get().unwrap_or_default()
                    on:change=move |ev| set("from", Some(event_target_value(&ev)))/></label>
                <label>"To"<input type="date" prop:value=move || to.get().unwrap_or_default()
                    on:change=move |ev| set("to", Some(event_target_value(&ev)))/></label>
            </Show>
            <div><button type="button" class="secondary" on:click=move |_| {
                left.set_value(REFRESHES_UNATTENDED);
                refresh.update(|n| *n += 1);
            }>"Refresh"</button></div>
        </form>
        <p class="hint">"Calls appear within a second or two (they are written in batches); the first page refreshes every 10 seconds."</p>
        <div class="loadable" class:dimmed=move || pending.get() aria-busy=move || pending.get().to_string()>
        <Transition fallback=|| view! { <p class="loading">"Loading calls…"</p> } set_pending=pending>
            {move || Suspend::new(async move {
                match traffic.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(t) if t.requests.is_empty() && cursor.with_untracked(Option::is_none) => view! {
                        <p class="empty">"No calls match. Integrations appear here once they call /api/v1/endpoints/<path>/records."</p>
                    }.into_any(),
                    Ok(t) => {
                        let next = t.next_cursor;
                        view! {
                            <CallsChart chart=t.chart senders=t.senders/>
                            <RequestTable rows=t.requests show_record/>
                            <Pager trail current=cursor next go=move |c| url.push(&[("cursor", c)])/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
        </div>
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
            <table class="stack">
                <thead><tr>
                    <th scope="col">"Received"</th><th scope="col">"Method"</th><th scope="col">"Token"</th>
                    <th scope="col">"Status"</th><th scope="col">"Size"</th><th scope="col">"Client"</th>
                    <th scope="col"><span class="visually-hidden">"Record"</span></th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td data-label="Received"><When at=Some(r.received_at)/></td>
                            <td data-label="Method">{r.method.clone()}</td>
                            <td data-label="Token">{r.token.clone()}</td>
                            <td data-label="Status"><span class=if r.status < 400 { "badge ok" } else { "badge muted" }>{r.status}</span>
                                {(r.calls > 1).then(|| format!(" × {} in this minute", r.calls))}</td>
                            <td data-label="Size">{format!("{} B", r.size)}</td>
                            <td data-label="Client">{r.ip.clone().unwrap_or_default()}</td>
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

/// Whether the browser shows this page (not a background tab, not minimised).
fn document_visible() -> bool {
    #[cfg(feature = "hydrate")]
    {
        !document().hidden()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

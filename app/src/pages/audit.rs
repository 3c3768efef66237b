//! Administration > Audit log: newest first, filtered by actor, action and time.
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{list_audit, AuditFilter};
use crate::components::filters::Filters;
use crate::components::pager::Pager;
use crate::components::session::AdminOnly;
use crate::components::token::When;
use crate::components::url_state::{debounced, UrlState};

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[component]
pub fn AuditPage() -> impl IntoView {
    // The filters and the page live in the query string.
    let url = UrlState::new(&["actor", "action", "from", "to", "cursor"]);
    let [actor, action, from, to, cursor] =
        ["actor", "action", "from", "to", "cursor"].map(|key| url.get(key));
    let filter = Memo::new(move |_| AuditFilter {
        actor: actor.get().unwrap_or_default(),
        action: action.get().unwrap_or_default(),
        from: from.get().and_then(|d| date(&d)),
        to: to.get().and_then(|d| date(&d)),
        cursor: cursor.get().and_then(|c| c.parse().ok()),
    });
    let previous = RwSignal::new(Vec::<Option<i64>>::new());
    let events = Resource::new(move || filter.get(), list_audit);
    let set = move |key: &'static str, value: String| {
        previous.set(Vec::new());
        url.push(&[(key, Some(value)), ("cursor", None)]);
    };
    let typed = move |key: &'static str| {
        debounced(300, move |value: String| {
            previous.set(Vec::new());
            url.push(&[(key, Some(value)), ("cursor", None)]);
        })
    };
    let value = move |memo: Memo<Option<String>>| move || memo.get().unwrap_or_default();
    let go_to = move |c: Option<i64>| url.push(&[("cursor", c.map(|c| c.to_string()))]);
    view! {
        <AdminOnly>
            <Title text="Audit log"/>
            <h1>"Audit log"</h1>
            <Filters>
                <label>"Actor"<input type="text" prop:value=value(actor)
                    on:input={ let typed = typed("actor"); move |ev| typed.run(event_target_value(&ev)) }/></label>
                <label>"Action"<input type="text" placeholder="e.g. token." prop:value=value(action)
                    on:input={ let typed = typed("action"); move |ev| typed.run(event_target_value(&ev)) }/></label>
                <label>"From"<input type="date" prop:value=value(from) on:change=move |ev| set("from", event_target_value(&ev))/></label>
                <label>"To"<input type="date" prop:value=value(to) on:change=move |ev| set("to", event_target_value(&ev))/></label>
            </Filters>
            <Transition fallback=|| view! { <p class="loading">"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.items.is_empty() => view! {
                            <p class="empty">"No events match these filters."</p>
                        }.into_any(),
                        Ok(list) => {
                            let next = list.next_cursor;
                            view! {
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Audit events">
                                    <table>
                                        <thead><tr>
                                            <th scope="col">"Time"</th>
                                            <th scope="col">"Actor"</th>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"Target"</th>
                                            <th scope="col">"IP"</th>
                                            <th scope="col">"Details"</th>
                                        </tr></thead>
                                        <tbody>
                                            {list.items.into_iter().map(|e| view! {
                                                <tr>
                                                    <td><When at=Some(e.at)/></td>
                                                    <td>{e.actor.unwrap_or_else(|| "—".into())}</td>
                                                    <td><code>{e.action}</code></td>
                                                    <td>{e.target.unwrap_or_default()}</td>
                                                    <td>{e.ip.unwrap_or_default()}</td>
                                                    <td class="details">{e.details.map(|d| d.to_string()).unwrap_or_default()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <Pager trail=previous current=Signal::derive(move || filter.with(|f| f.cursor)) next
                                    go=go_to/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </AdminOnly>
    }
}

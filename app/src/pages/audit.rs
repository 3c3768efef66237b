//! Administration > Audit log: newest first, filtered by actor, action and time.
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{list_audit, AuditFilter};
use crate::components::pager::Pager;
use crate::components::session::AdminOnly;
use crate::components::token::When;

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let filter = RwSignal::new(AuditFilter::default());
    let previous = RwSignal::new(Vec::<Option<i64>>::new());
    let events = Resource::new(move || filter.get(), list_audit);
    let set = move |change: fn(&mut AuditFilter, String), value: String| {
        previous.set(Vec::new());
        filter.update(|f| {
            change(f, value);
            f.cursor = None;
        });
    };
    view! {
        <AdminOnly>
            <Title text="Audit log"/>
            <h1>"Audit log"</h1>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <label>"Actor"<input type="text" on:change=move |ev| set(|f, v| f.actor = v, event_target_value(&ev))/></label>
                <label>"Action"<input type="text" placeholder="e.g. token." on:change=move |ev| set(|f, v| f.action = v, event_target_value(&ev))/></label>
                <label>"From"<input type="date" on:change=move |ev| set(|f, v| f.from = date(&v), event_target_value(&ev))/></label>
                <label>"To"<input type="date" on:change=move |ev| set(|f, v| f.to = date(&v), event_target_value(&ev))/></label>
            </form>
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
                                    go=move |c| filter.update(|f| f.cursor = c)/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </AdminOnly>
    }
}

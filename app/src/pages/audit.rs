//! Administration > Audit log: newest first, filtered by actor, action and time.
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{list_audit, AuditFilter};
use crate::components::audit_table::AuditTable;
use crate::components::filters::Filters;
use crate::components::pager::Pager;
use crate::components::session::OverseerOnly;
use crate::components::url_state::UrlState;

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
    let set = move |key: &'static str, value: String| url.filter(previous, key, Some(value));
    let typed = move |key: &'static str| url.typed_filter(previous, key);
    let value = move |memo: Memo<Option<String>>| move || memo.get().unwrap_or_default();
    let go_to = move |c: Option<i64>| url.push(&[("cursor", c.map(|c| c.to_string()))]);
    view! {
        <OverseerOnly>
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
                                <AuditTable items=list.items label="Audit events" targets=true/>
                                <Pager trail=previous current=Signal::derive(move || filter.with(|f| f.cursor)) next
                                    go=go_to/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </OverseerOnly>
    }
}

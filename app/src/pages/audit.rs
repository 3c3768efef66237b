//! Administration > Audit log: newest first, filtered by actor, action and time.
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{list_audit, AuditFilter};
use crate::api::tokens::parse_number;
use crate::components::filters::Filters;
use crate::components::pager::Pager;
use crate::components::session::AdminOnly;
use crate::components::token::When;
use crate::components::url_state::UrlState;
use crate::model::audit::{summarize, Action, AuditRow};

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
                                    <table class="stack audit">
                                        <thead><tr>
                                            <th scope="col">"Time"</th>
                                            <th scope="col">"Actor"</th>
                                            <th scope="col">"Action"</th>
                                            <th scope="col">"Target"</th>
                                            <th scope="col">"IP"</th>
                                            <th scope="col">"Details"</th>
                                        </tr></thead>
                                        <tbody>
                                            {list.items.into_iter().map(|e| view! { <AuditLine event=e/> }).collect_view()}
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

/// One event: the action in words (its code on hover), the target linked to its page, the
/// details summarised with the JSON on demand.
#[component]
fn AuditLine(event: AuditRow) -> impl IntoView {
    let action = Action::parse(&event.action);
    let label = action.map_or_else(|| event.action.clone(), |a| a.label().to_owned());
    let link = event
        .target
        .as_deref()
        .and_then(|target| target_page(&event.action, target));
    let target = event.target.clone().unwrap_or_default();
    let details = event.details.clone().map(|d| {
        let raw = serde_json::to_string_pretty(&d).unwrap_or_default();
        view! {
            <span>{summarize(&d)}</span>
            <details><summary>"JSON"</summary><pre class="json">{raw}</pre></details>
        }
    });
    view! {
        <tr>
            <td data-label="Time" class="nowrap"><When at=Some(event.at)/></td>
            <td data-label="Actor">{event.actor.unwrap_or_else(|| "—".into())}</td>
            // The code too, small: it is what the Action filter and the API take.
            <td data-label="Action">{label}<br/><code class="code-note">{event.action.clone()}</code></td>
            <td data-label="Target">{match link {
                Some(href) => view! { <a href=href>{target}</a> }.into_any(),
                None => view! { <span>{target}</span> }.into_any(),
            }}</td>
            <td data-label="IP"><code>{event.ip.unwrap_or_default()}</code></td>
            <td data-label="Details" class="details">{details}</td>
        </tr>
    }
}

/// The page a target lives on: a token's own page, a user or an endpoint found by name.
fn target_page(action: &str, target: &str) -> Option<String> {
    let search = |base: &str| format!("{base}?q={}", urlencoding::encode(target));
    if let Some(id) = parse_number(target) {
        return Some(format!("/admin/tokens/{id}"));
    }
    let about_user = [Action::TokenRevokeAll, Action::SessionEnd]
        .iter()
        .any(|a| a.as_str() == action);
    if action.starts_with("user.") || action.starts_with("auth.sign") || about_user {
        Some(search("/admin/users"))
    } else if action.starts_with("endpoint_token.") {
        Some("/admin/endpoint-tokens".to_owned())
    } else if action.starts_with("endpoint.") {
        Some("/admin/endpoints".to_owned())
    } else {
        None
    }
}

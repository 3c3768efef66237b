//! Audit events as a table: the action in words, the target linked to its page, the details
//! summarised with the JSON on demand. The audit log and a token's page show it.
use leptos::prelude::*;

use crate::api::tokens::parse_number;
use crate::components::token::When;
use crate::model::audit::{summarize, Action, AuditRow};

#[component]
pub fn AuditTable(
    items: Vec<AuditRow>,
    /// The region's accessible name.
    label: &'static str,
    /// Whether to show the Target column (a token's own page leaves it out).
    targets: bool,
) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
            <table class="stack audit">
                <thead><tr>
                    <th scope="col">"Time"</th>
                    <th scope="col">"Actor"</th>
                    <th scope="col">"Action"</th>
                    {targets.then(|| view! { <th scope="col">"Target"</th> })}
                    <th scope="col">"IP"</th>
                    <th scope="col">"Details"</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|e| view! { <AuditLine event=e targets/> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One event: the action in words (its code on hover), the target linked to its page, the
/// details summarised with the JSON on demand.
#[component]
fn AuditLine(event: AuditRow, targets: bool) -> impl IntoView {
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
            <td data-label="Action">
                {label}
                {(event.count > 1).then(|| view! { " " <span class="count">{format!("{} times", event.count)}</span> })}
                <br/><code class="code-note">{event.action.clone()}</code>
            </td>
            {targets.then(|| view! {
                <td data-label="Target">{match link {
                    Some(href) => view! { <a href=href>{target}</a> }.into_any(),
                    None => view! { <span>{target}</span> }.into_any(),
                }}</td>
            })}
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

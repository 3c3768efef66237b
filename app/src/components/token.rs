//! Pieces every token list shares: status badges, scope chips and times.
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;

use crate::api::tokens::TokenView;
use crate::model::token::{Reason, SuspendUntil};

/// "3 days ago", "in 5 hours"; the exact UTC time is on hover.
#[component]
pub fn When(
    at: Option<DateTime<Utc>>,
    #[prop(optional, into)] never: Option<String>,
) -> impl IntoView {
    match at {
        None => {
            view! { <span class="muted">{never.unwrap_or_else(|| "—".into())}</span> }.into_any()
        }
        Some(at) => view! {
            <time datetime=at.to_rfc3339() title=at.format("%Y-%m-%d %H:%M:%S UTC").to_string()>
                {relative(at, Utc::now())}
            </time>
        }
        .into_any(),
    }
}

pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - at).num_seconds();
    let (amount, unit) = match seconds.abs() {
        s if s < 60 => return "just now".into(),
        s if s < 3600 => (s / 60, "minute"),
        s if s < 86_400 => (s / 3600, "hour"),
        s => (s / 86_400, "day"),
    };
    let plural = if amount == 1 { "" } else { "s" };
    if seconds >= 0 {
        format!("{amount} {unit}{plural} ago")
    } else {
        format!("in {amount} {unit}{plural}")
    }
}

/// Days from today until the last day a token works, if it expires.
pub fn days_left(expires_at: Option<NaiveDate>) -> Option<i64> {
    expires_at.map(|day| (day - Utc::now().date_naive()).num_days())
}

/// Effective, Expires in N days (within 7), or Not effective with the reason.
#[component]
pub fn StatusBadge(token: TokenView) -> impl IntoView {
    let (class, text) = match token.reason {
        Some(Reason::Suspended) => ("badge warn", suspended_label(&token)),
        Some(reason) => ("badge muted", format!("Not effective ({})", reason.label())),
        None => match days_left(token.expires_at) {
            Some(0) => ("badge warn", "Expires today".to_owned()),
            Some(1) => ("badge warn", "Expires in 1 day".to_owned()),
            Some(n @ 2..=7) => ("badge warn", format!("Expires in {n} days")),
            _ => ("badge ok", "Effective".to_owned()),
        },
    };
    let idle = token
        .idle
        .then(|| view! { <span class="badge muted" title="Unused for the policy's idle period">"Idle"</span> });
    view! { <span class=class>{text}</span>{idle} }
}

/// "Suspended", with until when and by whom.
fn suspended_label(token: &TokenView) -> String {
    let until = match token.suspended_until {
        Some(SuspendUntil::Until(at)) => format!(" until {}", at.format("%Y-%m-%d %H:%M UTC")),
        _ => String::new(),
    };
    let by = token
        .suspended_by
        .as_deref()
        .map(|who| format!(" by {who}"))
        .unwrap_or_default();
    format!("Suspended{until}{by}")
}

/// "Imported" beside the name of a token whose secret an administrator gave.
#[component]
pub fn ImportedBadge(token: TokenView) -> impl IntoView {
    token.imported.then(|| {
        view! { " " <span class="badge muted" title="Its secret was given by an administrator, not generated">"Imported"</span> }
    })
}

/// A token's scopes as small chips.
#[component]
pub fn ScopeChips(scopes: Vec<String>) -> impl IntoView {
    view! {
        <ul class="chips" aria-label="Scopes">
            {scopes.into_iter().map(|scope| view! { <li class="chip">{scope}</li> }).collect_view()}
        </ul>
    }
}

/// "1 token", "3 tokens".
pub fn counted(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// What a kill switch did, in words: "1 token revoked.", "3 tokens revoked."
pub fn revoked_message(n: u64) -> String {
    format!(
        "{} revoked.",
        counted(usize::try_from(n).unwrap_or(usize::MAX), "token")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc::now();
        assert_eq!(
            relative(now - chrono::Duration::seconds(5), now),
            "just now"
        );
        assert_eq!(
            relative(now - chrono::Duration::minutes(1), now),
            "1 minute ago"
        );
        assert_eq!(
            relative(now - chrono::Duration::hours(3), now),
            "3 hours ago"
        );
        assert_eq!(relative(now + chrono::Duration::days(2), now), "in 2 days");
    }
}

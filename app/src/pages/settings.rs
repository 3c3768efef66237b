//! Administration > Settings: the API tokens switch, Token definitions, the token policy,
//! notices, webhooks and the kill switch.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{
    get_token_settings, idle_revocation_preview, save_token_settings, TokenSettings,
};
use crate::api::tokens::RevokeIssuedBefore;
use crate::components::dialog::{ConfirmDialog, Confirmation};
use crate::components::form::Submission;
use crate::components::session::AdminOnly;
use crate::components::token::{counted, revoked_message};
use crate::error::AppError;
use crate::model::settings::LeakResponse;
use crate::pages::webhooks::{webhooks_resource, WebhooksSection};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_token_settings());
    let webhooks_changed = RwSignal::new(0u32);
    let hooks = webhooks_resource(webhooks_changed);
    view! {
        <AdminOnly>
            <Title text="Settings"/>
            <h1>"Settings"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading settings…"</p> }>
                {move || Suspend::new(async move {
                    match loaded.await {
                        Ok(settings) => view! { <SettingsForm settings/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <WebhooksSection changed=webhooks_changed hooks/>
            <KillSwitch/>
        </AdminOnly>
    }
}

#[component]
fn SettingsForm(settings: TokenSettings) -> impl IntoView {
    // What is saved: a change that breaks integrations is asked about against it.
    let saved = RwSignal::new(settings.clone());
    let form = RwSignal::new(settings);
    let submission = Submission::new();
    let confirmation = Confirmation::new();
    let save = move || {
        let settings = form.get_untracked();
        submission.run(async move {
            save_token_settings(settings.clone()).await?;
            saved.set(settings);
            Ok(())
        });
    };
    // Number fields whose text is not a number: an empty "Maximum lifetime" must not be
    // saved as 0, which means "no limit".
    let unreadable = RwSignal::new(Vec::<(&'static str, &'static str)>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some((field, label)) = unreadable.with_untracked(|fields| fields.first().copied()) {
            submission.fail(AppError::Invalid {
                field: Some(field.to_owned()),
                message: format!("{label}: enter a whole number"),
            });
            return;
        }
        let (new, old) = (form.get_untracked(), saved.get_untracked());
        if old.api_tokens_enabled && !new.api_tokens_enabled {
            confirmation.ask(
                "Switch API tokens off? Every token of every user is refused at once (401 tokens_disabled) until they are switched on again.",
                "Switch off",
                save,
            );
            return;
        }
        let days = new.revoke_idle_after_days;
        let sooner = days > 0
            && (old.revoke_idle_after_days == 0 || days < old.revoke_idle_after_days)
            // A policy the server refuses is saved at once, for its message by the field.
            && (new.idle_after_days == 0 || days >= new.idle_after_days);
        if !sooner {
            save();
            return;
        }
        leptos::task::spawn_local(async move {
            match idle_revocation_preview(days).await {
                Ok(n) => confirmation.ask(
                    format!(
                        "Revoke tokens unused for {days} days? {} would be revoked within the hour, on every instance, and more as they pass {days} days unused.",
                        counted(usize::try_from(n).unwrap_or(usize::MAX), "token")
                    ),
                    "Save and revoke",
                    save,
                ),
                Err(e) => submission.fail(e),
            }
        });
    };
    let switch = move |label: &'static str,
                       get: fn(&TokenSettings) -> bool,
                       set: fn(&mut TokenSettings, bool)| {
        view! {
            <label class="check">
                <input type="checkbox" role="switch" prop:checked=move || form.with(get)
                    on:change=move |ev| form.update(|f| set(f, event_target_checked(&ev)))/>
                {label}
            </label>
        }
    };
    let number = move |id: &'static str,
                       field: &'static str,
                       label: &'static str,
                       max: u32,
                       get: fn(&TokenSettings) -> u32,
                       set: fn(&mut TokenSettings, u32)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="number" min="0" max=max required prop:value=move || form.with(get).to_string()
                    on:input=move |ev| {
                        let parsed = event_target_value(&ev).trim().parse();
                        unreadable.update(|fields| {
                            fields.retain(|(f, _)| *f != field);
                            if parsed.is_err() {
                                fields.push((field, label));
                            }
                        });
                        if let Ok(value) = parsed {
                            form.update(|f| set(f, value));
                        }
                    }/>
                {submission.field_error(field)}
            </div>
        }
    };
    let days = move |id, field, label, get, set| number(id, field, label, 36_500, get, set);
    view! {
        // The browser's own bubble would hide which rule applies; the field's message says.
        <form class="settings" novalidate on:submit=submit>
            <section class="section">
                <h2>"Feature"</h2>
                {switch("API tokens", |s| s.api_tokens_enabled, |s, v| s.api_tokens_enabled = v)}
                <p class="hint">"Off: every token is refused at once (401 tokens_disabled)."</p>
            </section>
            <section class="section">
                <h2>"Token definitions"</h2>
                {switch("Identifier mandatory", |s| s.identifier_mandatory, |s, v| s.identifier_mandatory = v)}
                {switch("Pass code mandatory", |s| s.pass_code_mandatory, |s, v| s.pass_code_mandatory = v)}
            </section>
            <section class="section">
                <h2>"Token policy"</h2>
                {days("default-lifetime", "default_lifetime_days", "Default lifetime (days)", |s| s.default_lifetime_days, |s, v| s.default_lifetime_days = v)}
                {days("max-lifetime", "max_lifetime_days", "Maximum lifetime (days, 0 for no limit)", |s| s.max_lifetime_days, |s, v| s.max_lifetime_days = v)}
                {days("idle-after", "idle_after_days", "Flag tokens unused for (days, 0 for never)", |s| s.idle_after_days, |s, v| s.idle_after_days = v)}
                {days("revoke-idle-after", "revoke_idle_after_days", "Revoke tokens unused for (days, 0 for never)", |s| s.revoke_idle_after_days, |s, v| s.revoke_idle_after_days = v)}
                <p class="hint">"Idle tokens are marked in the lists; revoking runs every hour, on every instance, and is audited."</p>
                {number("default-rate-limit", "default_rate_limit_per_minute", "Default rate limit (requests a minute per token, 0 for none)", 10_000_000, |s| s.default_rate_limit_per_minute, |s, v| s.default_rate_limit_per_minute = v)}
                <p class="hint">"For tokens without a limit of their own; each instance counts separately."</p>
                {switch(
                    "Administrators issue tokens only to technical users active on the creation date",
                    |s| s.admin_issued_only_for_technical_users,
                    |s, v| s.admin_issued_only_for_technical_users = v,
                )}
            </section>
            <section class="section">
                <h2>"Notices"</h2>
                <div class="field">
                    <label for="expiry-notices">"Expiry notices (days before a token's last day)"</label>
                    <input id="expiry-notices" type="text" inputmode="numeric"
                        prop:value=move || form.with(|f| f.expiry_notice_days.iter().map(u32::to_string).collect::<Vec<_>>().join(", "))
                        on:change=move |ev| {
                            let days = notice_days(&event_target_value(&ev));
                            form.update(|f| f.expiry_notice_days = days);
                        }/>
                    {submission.field_error("expiry_notice_days")}
                </div>
                <p class="hint">"e.g. 30, 7, 1: token.expiring goes to webhooks (and owners, by email) at each; token.expired the day after the last."</p>
                <div class="field">
                    <label for="leak-response">"A reported leak"</label>
                    <select id="leak-response"
                        on:change=move |ev| {
                            let response = LeakResponse::parse(&event_target_value(&ev)).unwrap_or_default();
                            form.update(|f| f.leak_response = response);
                        }>
                        <option value="revoke" selected=move || form.with(|f| f.leak_response == LeakResponse::Revoke)>"Revokes the token at once"</option>
                        <option value="flag" selected=move || form.with(|f| f.leak_response == LeakResponse::Flag)>"Only tells the owner and the webhooks"</option>
                    </select>
                </div>
            </section>
            <section class="section">
                <h2>"Endpoint data"</h2>
                {days("retention", "retention_days", "Keep endpoint records and calls (days)", |s| s.retention_days, |s, v| s.retention_days = v)}
                <p class="hint">"Older records and calls are deleted every hour."</p>
            </section>
            <section class="section">
                <h2>"Audit log"</h2>
                {number("audit-retention", "audit_retention_days", "Audit retention (days)", 3_650, |s| s.audit_retention_days, |s, v| s.audit_retention_days = v)}
                <p class="hint">"Older audit events are deleted every hour. Refused requests of one kind from one address are one event a minute, with how many there were."</p>
            </section>
            <p role="status" class="status-line">{move || submission.saved().then_some("Settings saved.")}</p>
            {submission.form_error()}
            <button type="submit" class="primary-inline" disabled=move || submission.saving()>
                {move || if submission.saving() { "Saving…" } else { "Save" }}
            </button>
        </form>
        <ConfirmDialog confirmation/>
    }
}

/// "Revoke every token issued before …", for the morning after an incident. The moment is
/// entered in the browser's time zone and sent as UTC; empty means now.
#[component]
fn KillSwitch() -> impl IntoView {
    let revoke = ServerAction::<RevokeIssuedBefore>::new();
    let confirmation = Confirmation::new();
    let before = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let toasts = crate::components::toast::use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(n)) = revoke.value().get() {
            toasts.show(revoked_message(n));
        }
    });
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = before.get_untracked();
        let (moment, when) = if text.trim().is_empty() {
            (None, "now".to_owned())
        } else {
            match local_moment(&text) {
                Some(moment) => (Some(moment), text.replace('T', " ")),
                None => {
                    problem.set(Some("Enter a date and time, or leave it empty for now."));
                    return;
                }
            }
        };
        problem.set(None);
        confirmation.ask(
            format!(
                "Revoke every access token issued before {when}? Each integration using one is refused at once, on every instance. Tokens regenerated since keep working. This cannot be undone."
            ),
            "Revoke tokens",
            move || {
                revoke.dispatch(RevokeIssuedBefore { before: moment });
            },
        );
    };
    let failure = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    view! {
        <form class="section" aria-labelledby="kill-switch" on:submit=ask>
            <h2 id="kill-switch">"Revoke tokens issued before…"</h2>
            <p class="hint">"After an incident: every access token whose secret was issued before this moment (your local time; empty for now) stops working."</p>
            <div class="field">
                <label for="issued-before">"Issued before"</label>
                <input id="issued-before" type="datetime-local" step="1"
                    aria-invalid=move || problem.get().is_some().then_some("true")
                    on:input=move |ev| before.set(event_target_value(&ev))/>
                {move || problem.get().map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
            </div>
            {failure}
            <button type="submit" class="danger" disabled=move || revoke.pending().get()>"Revoke tokens issued before…"</button>
            <ConfirmDialog confirmation/>
        </form>
    }
}

/// "30, 7, 1" as days; an entry that is not a number becomes 0, which the server names.
fn notice_days(text: &str) -> Vec<u32> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

/// What a datetime-local field holds (`YYYY-MM-DDTHH:MM`, seconds optional) in the browser's
/// time zone.
fn local_moment(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = text.trim();
    let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    naive
        .and_local_timezone(chrono::Local)
        .earliest()
        .map(|moment| moment.to_utc())
}

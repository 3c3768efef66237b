//! Administration > Settings: the API tokens switch, Token definitions and the token policy.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::settings::{get_token_settings, save_token_settings, TokenSettings};
use crate::components::dialog::{ConfirmDialog, Confirmation};
use crate::components::form::Submission;
use crate::components::session::AdminOnly;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let loaded = Resource::new(|| (), |_| get_token_settings());
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
        </AdminOnly>
    }
}

#[component]
fn SettingsForm(settings: TokenSettings) -> impl IntoView {
    // What is saved: switching API tokens off is asked about only when it is on now.
    let saved_on = RwSignal::new(settings.api_tokens_enabled);
    let form = RwSignal::new(settings);
    let submission = Submission::new();
    let confirmation = Confirmation::new();
    let save = move || {
        let settings = form.get_untracked();
        submission.run(async move {
            let on = settings.api_tokens_enabled;
            save_token_settings(settings).await?;
            saved_on.set(on);
            Ok(())
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if saved_on.get_untracked() && !form.with_untracked(|f| f.api_tokens_enabled) {
            confirmation.ask(
                "Switch API tokens off? Every token of every user is refused at once (401 tokens_disabled) until they are switched on again.",
                "Switch off",
                save,
            );
        } else {
            save();
        }
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
    let days = move |id: &'static str,
                     field: &'static str,
                     label: &'static str,
                     get: fn(&TokenSettings) -> u32,
                     set: fn(&mut TokenSettings, u32)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="number" min="0" max="36500" prop:value=move || form.with(get).to_string()
                    on:input=move |ev| {
                        let value = event_target_value(&ev).trim().parse().unwrap_or(0);
                        form.update(|f| set(f, value));
                    }/>
                {submission.field_error(field)}
            </div>
        }
    };
    view! {
        <form class="settings" on:submit=submit>
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
                {switch(
                    "Administrators issue tokens only to technical users active on the creation date",
                    |s| s.admin_issued_only_for_technical_users,
                    |s, v| s.admin_issued_only_for_technical_users = v,
                )}
            </section>
            <section class="section">
                <h2>"Endpoint data"</h2>
                {days("retention", "retention_days", "Keep endpoint records and calls (days)", |s| s.retention_days, |s, v| s.retention_days = v)}
                <p class="hint">"Older records and calls are deleted every hour."</p>
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

//! "Generate Access Token": a name, an expiry and scopes, chosen before the token is made.
use leptos::prelude::*;

use crate::api::tokens::{
    token_form_defaults, ExpiryChoice, GenerateAccessToken, GenerateTokenForm as Choices,
    TokenPrefill,
};
use crate::model::scope::Scope;

/// The preset lifetimes, in days; the policy's default joins them when it is another.
const PRESETS: [u32; 3] = [7, 30, 90];

/// The expiry options the policy allows: (value, label), the default marked.
fn expiry_options(prefill: &TokenPrefill) -> Vec<(String, String)> {
    let mut days: Vec<u32> = PRESETS
        .into_iter()
        .chain([prefill.default_days])
        .filter(|d| *d > 0 && prefill.max_days.is_none_or(|max| *d <= max))
        .collect();
    days.sort_unstable();
    days.dedup();
    let mut options: Vec<(String, String)> = days
        .into_iter()
        .map(|d| {
            let default = if d == prefill.default_days {
                " (default)"
            } else {
                ""
            };
            (d.to_string(), format!("{d} days{default}"))
        })
        .collect();
    options.push(("custom".into(), "Custom date…".into()));
    if prefill.max_days.is_none() {
        options.push(("never".into(), "No expiration".into()));
    }
    options
}

#[component]
pub fn GenerateTokenForm(
    user_id: Option<i64>,
    generate: ServerAction<GenerateAccessToken>,
    composing: RwSignal<bool>,
) -> impl IntoView {
    let prefill = Resource::new(|| (), |_| token_form_defaults());
    let name = RwSignal::new(String::new());
    let expiry = RwSignal::new(String::new());
    let custom = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![
        Scope::ProfileRead.as_str().to_owned(),
        Scope::TokensRead.as_str().to_owned(),
    ]);
    let identifier = RwSignal::new(String::new());
    let pass_code = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if generate.pending().get_untracked() {
            return;
        }
        let choice = expiry.get_untracked();
        let expiry = match choice.as_str() {
            "never" => ExpiryChoice::Never,
            "custom" => ExpiryChoice::On(custom.get_untracked()),
            days => days
                .parse()
                .map_or(ExpiryChoice::On(String::new()), ExpiryChoice::Days),
        };
        generate.dispatch(GenerateAccessToken {
            user_id,
            form: Choices {
                name: name.get_untracked(),
                expiry,
                scopes: scopes.get_untracked(),
                identifier: identifier.get_untracked(),
                pass_code: pass_code.get_untracked(),
            },
        });
    };
    let error = move || generate.value().get().and_then(Result::err);
    view! {
        <section class="section" aria-labelledby="generate-heading">
            <h2 id="generate-heading">"Generate access token"</h2>
            <form on:submit=submit novalidate>
                <div class="field">
                    <label for="generate-name">"Name"</label>
                    <input id="generate-name" type="text" placeholder="What will use it, e.g. “CI deploys”"
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                </div>
                <Suspense fallback=|| view! { <p class="loading">"Loading the token policy…"</p> }>
                    {move || Suspend::new(async move {
                        let prefill = match prefill.await {
                            Ok(prefill) => prefill,
                            Err(e) => return view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        };
                        if expiry.get_untracked().is_empty() {
                            expiry.set(prefill.default_days.to_string());
                        }
                        let max = prefill.max_expires_at.map(|d| d.to_string());
                        let options = expiry_options(&prefill).into_iter().map(|(value, label)| {
                            let selected = value.clone();
                            view! { <option value=value selected=move || expiry.get() == selected>{label}</option> }
                        }).collect_view();
                        let offered = prefill.scopes.iter().filter_map(|s| Scope::parse(s)).map(|scope| {
                            let id = format!("generate-scope-{}", scope.as_str().replace(':', "-"));
                            let described = format!("{id}-what");
                            view! {
                                <div class="scope">
                                    <input type="checkbox" id=id.clone() aria-describedby=described.clone()
                                        prop:checked=move || scopes.with(|s| s.iter().any(|x| x == scope.as_str()))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            scopes.update(|s| {
                                                s.retain(|x| x != scope.as_str());
                                                if on { s.push(scope.as_str().to_owned()); }
                                            });
                                        }/>
                                    <label for=id><code>{scope.as_str()}</code></label>
                                    <span id=described class="hint">{scope.description()}</span>
                                </div>
                            }
                        }).collect_view();
                        view! {
                            <div class="field">
                                <label for="generate-expiry">"Expiration"</label>
                                <select id="generate-expiry" on:change=move |ev| expiry.set(event_target_value(&ev))>
                                    {options}
                                </select>
                            </div>
                            <Show when=move || expiry.get() == "custom">
                                <div class="field">
                                    <label for="generate-date">"Expiration date"</label>
                                    <input id="generate-date" type="date" max=max.clone()
                                        prop:value=move || custom.get() on:input=move |ev| custom.set(event_target_value(&ev))/>
                                </div>
                            </Show>
                            <fieldset class="field scopes">
                                <legend>"Scopes"</legend>
                                {offered}
                            </fieldset>
                            {prefill.identifier_mandatory.then(|| view! {
                                <div class="field">
                                    <label for="generate-identifier">"Identifier"</label>
                                    <input id="generate-identifier" type="text"
                                        on:input=move |ev| identifier.set(event_target_value(&ev))/>
                                </div>
                            })}
                            {prefill.pass_code_mandatory.then(|| view! {
                                <div class="field">
                                    <label for="generate-pass-code">"Pass code"</label>
                                    <input id="generate-pass-code" type="password" autocomplete="new-password"
                                        on:input=move |ev| pass_code.set(event_target_value(&ev))/>
                                </div>
                            })}
                        }.into_any()
                    })}
                </Suspense>
                <p class="error" role="alert">{move || error().map(|e| e.to_string())}</p>
                <div class="buttons">
                    <button type="submit" class="primary-inline" disabled=move || generate.pending().get()>
                        {move || if generate.pending().get() { "Generating…" } else { "Generate" }}
                    </button>
                    <button type="button" class="secondary" on:click=move |_| composing.set(false)>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefill(default_days: u32, max_days: Option<u32>) -> TokenPrefill {
        TokenPrefill {
            expires_at: None,
            max_expires_at: None,
            default_days,
            max_days,
            identifier_mandatory: false,
            pass_code_mandatory: false,
            technical_users_only: false,
            scopes: Vec::new(),
        }
    }

    fn values(options: Vec<(String, String)>) -> Vec<String> {
        options.into_iter().map(|(v, _)| v).collect()
    }

    #[test]
    fn the_policy_shapes_the_expiry_choices() {
        // Default 90 of at most 365: the presets, a custom date, no "never".
        let options = expiry_options(&prefill(90, Some(365)));
        assert_eq!(values(options.clone()), ["7", "30", "90", "custom"]);
        assert_eq!(options[2].1, "90 days (default)");
        // A default that is no preset joins them in order; a maximum of 14 drops 30 and 90.
        assert_eq!(
            values(expiry_options(&prefill(10, Some(14)))),
            ["7", "10", "custom"]
        );
        // No maximum: a token may never expire.
        assert_eq!(
            values(expiry_options(&prefill(30, None))),
            ["7", "30", "90", "custom", "never"]
        );
    }
}

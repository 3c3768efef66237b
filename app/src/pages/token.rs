//! One token's page: `/admin/tokens/{id}` for administrators, `/me/tokens/{id}` for one's
//! own: every field, its history, and Revoke, Regenerate, Suspend or Resume, and
//! (administrators) Delete.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_navigate, use_params_map};

use crate::api::tokens::{
    delete_token, load_token_detail, regenerate_token, revoke_token, update_token, IpPolicy,
    IssuedToken, TokenDetail, TokenEdit, TokenView, UpdateToken,
};
use crate::components::audit_table::AuditTable;
use crate::components::chart::RequestsPerDay;
use crate::components::dialog::{ConfirmDialog, Confirmation};
use crate::components::overlap::{Overlap, OverlapSelect};
use crate::components::secret::{SecretReveal, UncopiedWarning};
use crate::components::session::CurrentUser;
use crate::components::toast::use_toasts;
use crate::components::token::{ImportedBadge, ScopeChips, StatusBadge, When};
use crate::error::AppError;
use crate::model::token::{Reason, SuspendUntil};

#[component]
pub fn TokenPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let changed = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (id(), changed.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_token_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    // The list this page belongs to, for the way back.
    let list = if use_location()
        .pathname
        .get_untracked()
        .starts_with("/admin/")
    {
        "/admin/tokens"
    } else {
        "/me/tokens"
    };
    view! {
        <Title text="Token"/>
        <p class="back"><a href=list>{if list == "/me/tokens" { "← My access tokens" } else { "← Tokens" }}</a></p>
        <Transition fallback=|| view! { <p class="loading">"Loading the token…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <TokenSummary detail changed list/> }.into_any(),
                    Err(AppError::NotFound) => view! {
                        <h1>"Token not found"</h1>
                        <p class="empty">"No token of yours has this number: it may have been deleted."</p>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn TokenSummary(detail: TokenDetail, changed: RwSignal<u32>, list: &'static str) -> impl IntoView {
    let CurrentUser(user) = expect_context();
    let is_admin = move || {
        user.get()
            .and_then(Result::ok)
            .flatten()
            .is_some_and(|u| u.is_admin)
    };
    let token = detail.token.clone();
    let (id, name, number) = (token.id, token.name.clone(), token.number.clone());
    let revoked = token.revoked_at.is_some();
    let confirmation = Confirmation::new();
    let message = RwSignal::new(None::<Result<(), String>>);
    let issued = RwSignal::new(None::<IssuedToken>);
    let navigate = use_navigate();
    let toasts = use_toasts();
    let by = |who: Option<String>| who.map(|w| format!(" by {w}")).unwrap_or_default();

    let revoke = {
        let (name, number) = (name.clone(), number.clone());
        move |_| {
            confirmation.ask(
                format!("Revoke “{name}” ({number})? Everything using it is refused at once; it stays listed with its removal date."),
                "Revoke",
                move || {
                    leptos::task::spawn_local(async move {
                        match revoke_token(id).await {
                            Ok(number) => toasts.show(format!("Token {number} revoked.")),
                            Err(e) => message.set(Some(Err(e.to_string()))),
                        }
                        changed.update(|n| *n += 1);
                    });
                },
            );
        }
    };
    // Suspend keeps the secret; Resume is offered to whoever may lift the suspension (an
    // owner not one set above them).
    let suspended = token.suspended_until.is_some();
    let above_owner = token.suspended_above_owner;
    let suspend = {
        let (name, number) = (name.clone(), number.clone());
        move |_| {
            let (question, label, wanted) = if suspended {
                (
                    format!("Resume “{name}” ({number})? It works again with the same secret."),
                    "Resume",
                    None,
                )
            } else {
                (
                    format!("Suspend “{name}” ({number})? Everything using it is refused until it is resumed; the secret stays the same."),
                    "Suspend",
                    Some(SuspendUntil::Indefinite),
                )
            };
            confirmation.ask(question, label, move || {
                let edit = TokenEdit {
                    suspended_until: Some(wanted),
                    ..Default::default()
                };
                leptos::task::spawn_local(async move {
                    match update_token(id, edit).await {
                        Ok(view) => toasts.show(format!(
                            "Token {} {}.",
                            view.number,
                            if wanted.is_some() {
                                "suspended"
                            } else {
                                "resumed"
                            }
                        )),
                        Err(e) => message.set(Some(Err(e.to_string()))),
                    }
                    changed.update(|n| *n += 1);
                });
            });
        }
    };
    let may_suspend = move || !revoked && (!suspended || !above_owner || is_admin());
    let suspend_label = format!("{} {name}", if suspended { "Resume" } else { "Suspend" });
    // The previous secret: until when it works, and when it was last used.
    let previous = RwSignal::new((token.previous_valid_until, token.previous_used_at));
    // Regenerate is a rotation without overlap; Rotate lets the old secret work a while.
    // A regeneration renews an expired token: the next one is an ordinary rotation.
    let expired = RwSignal::new(token.reason == Some(Reason::Expired));
    let rotate = {
        let (name, number) = (name.clone(), number.clone());
        move |grace: i64| {
            let (question, label) = match Overlap::from_seconds(grace) {
                // The old secret is dead already, and stays so: no overlap to offer.
                _ if expired.get_untracked() => (
                    format!("Regenerate “{name}” ({number})? It has expired: the new secret works for the policy's default lifetime."),
                    "Regenerate",
                ),
                Overlap::None => (
                    format!("Regenerate “{name}” ({number})? The current secret stops working at once: everything using it needs the new one."),
                    "Regenerate",
                ),
                overlap => (
                    format!("Rotate “{name}” ({number})? The current secret keeps working for {}, then stops: switch everything using it to the new one before then.", overlap.label()),
                    "Rotate",
                ),
            };
            confirmation.ask(question, label, move || {
                leptos::task::spawn_local(async move {
                    match regenerate_token(id, Some(grace)).await {
                        Ok(new) => {
                            let until = new
                                .token
                                .expires_at
                                .map(|day| format!(" It works until {day}."))
                                .unwrap_or_default();
                            toasts.show(format!(
                                "Token {} regenerated.{until} Copy the new secret now.",
                                new.token.number
                            ));
                            // Not a reload of the page: that would take the new secret
                            // away before it was copied.
                            previous
                                .set((new.token.previous_valid_until, new.token.previous_used_at));
                            expired.set(new.token.reason == Some(Reason::Expired));
                            issued.set(Some(new));
                        }
                        Err(e) => message.set(Some(Err(e.to_string()))),
                    }
                });
            });
        }
    };
    let overlap = RwSignal::new(Overlap::Day);
    let delete = {
        let (name, number) = (name.clone(), number.clone());
        move |_| {
            let navigate = navigate.clone();
            confirmation.ask(
                format!("Delete “{name}” ({number})? It stops working at once and its row is removed; the audit log keeps the fact."),
                "Delete",
                move || {
                    let navigate = navigate.clone();
                    leptos::task::spawn_local(async move {
                        match delete_token(id).await {
                            Ok(number) => {
                                toasts.show(format!("Token {number} deleted."));
                                navigate(list, Default::default());
                            }
                            Err(e) => message.set(Some(Err(e.to_string()))),
                        }
                    });
                },
            );
        }
    };
    let ips = if token.last_used_ips.is_empty() {
        view! { <span class="muted">"None yet"</span> }.into_any()
    } else {
        view! {
            <ul class="plain">{token.last_used_ips.iter().map(|ip| view! { <li><code>{ip.clone()}</code></li> }).collect_view()}</ul>
        }
        .into_any()
    };
    view! {
        <div class="page-head">
            <h1>{name.clone()}</h1>
            <div class="buttons">
                <button type="button" class="secondary" disabled=revoked on:click={
                    let rotate = rotate.clone();
                    move |_| rotate(0)
                } aria-label=format!("Regenerate {name}")>"Regenerate"</button>
                <Show when=may_suspend>
                    <button type="button" class="secondary" on:click=suspend.clone()
                        aria-label=suspend_label.clone()>
                        {if suspended { "Resume" } else { "Suspend" }}
                    </button>
                </Show>
                <button type="button" class="secondary" disabled=revoked on:click=revoke
                    aria-label=format!("Revoke {name}")>"Revoke"</button>
                <Show when=is_admin>
                    <button type="button" class="danger" on:click=delete.clone()
                        aria-label=format!("Delete {name}")>"Delete"</button>
                </Show>
            </div>
        </div>
        <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
        {move || issued.get().map(|new| view! { <NewSecret issued=new forget=issued/> })}
        <section class="section" aria-label="Token details">
            <dl class="details">
                <dt>"Number"</dt><dd><code>{token.number.clone()}</code></dd>
                <dt>"Status"</dt><dd><StatusBadge token=token.clone()/></dd>
                <dt>"Description"</dt><dd>{if token.description.is_empty() { "—".to_owned() } else { token.description.clone() }}</dd>
                <dt>"Owner"</dt><dd>{token.owner.clone()}</dd>
                <dt>"Issuer"</dt><dd>{detail.issuer.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Scopes"</dt><dd><ScopeChips scopes=token.scopes.clone()/></dd>
                <dt>"Used in 30 days"</dt><dd>{scope_use(&token)}</dd>
                <dt>"Token"</dt><dd><code>{token.hint.clone()}</code><ImportedBadge token=token.clone()/></dd>
                <dt>"Created"</dt><dd><When at=Some(token.created_at)/>{by(detail.created_by.clone())}</dd>
                <dt>"Updated"</dt><dd><When at=Some(detail.updated_at)/>{by(detail.updated_by.clone())}</dd>
                <dt>"Expires"</dt><dd>{token.expires_at.map_or_else(|| "Never".to_owned(), |d| d.to_string())}</dd>
                <dt>"Last used"</dt><dd><When at=token.last_used_at never="Never"/></dd>
                <dt>"Last IPs"</dt><dd>{ips}</dd>
                <dt>"Previous secret"</dt><dd>{move || match previous.get() {
                    (None, _) => view! { <span>"None working"</span> }.into_any(),
                    (Some(until), used) => view! {
                        <span>"Works until " {until.format("%Y-%m-%d %H:%M UTC").to_string()} "; last used "</span>
                        <When at=used never="never"/>
                    }.into_any(),
                }}</dd>
                <dt>"Allowed from"</dt><dd>{if token.allowed_ips.is_empty() {
                    "Any address".to_owned()
                } else {
                    format!("{} ({})", token.allowed_ips.join(", "), match token.ip_policy {
                        IpPolicy::Enforce => "others refused",
                        IpPolicy::Report => "others reported",
                    })
                }}</dd>
                <dt>"Rate limit"</dt><dd>{rate_limit(token.rate_limit_per_minute, detail.default_rate_limit_per_minute)}</dd>
                <dt>"Removal date"</dt><dd><When at=token.revoked_at/>{by(detail.revoked_by.clone())}</dd>
                <dt>"Identifier and pass code"</dt><dd>{match (detail.has_identifier, detail.has_pass_code) {
                    (false, false) => "Not required",
                    (true, false) => "Identifier required",
                    (false, true) => "Pass code required",
                    (true, true) => "Both required",
                }}</dd>
            </dl>
        </section>
        <section class="section" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Requests per day"</h2>
            <RequestsPerDay days=detail.requests_per_day.clone()/>
        </section>
        <form class="section" aria-labelledby="rotate-heading" on:submit=move |ev| {
            ev.prevent_default();
            rotate(overlap.get_untracked().seconds());
        }>
            <h2 id="rotate-heading">"Rotate"</h2>
            <p class="hint">"A new secret, while the current one keeps working for a while, so that every client can switch without an outage."</p>
            <OverlapSelect id="overlap" label="The current secret keeps working for" overlap choices=&Overlap::CHOICES/>
            <button type="submit" class="secondary" disabled=revoked>"Rotate"</button>
        </form>
        <AllowlistSection token=token.clone() changed/>
        // Administrators set limits; the token's holder must not be able to lift one.
        {
            let token = token.clone();
            move || is_admin().then(|| view! { <RateLimitSection token=token.clone() changed/> })
        }
        <section class="section" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            {if detail.events.is_empty() {
                view! { <p class="empty">"No events yet."</p> }.into_any()
            } else {
                view! { <AuditTable items=detail.events.clone() label="Token history" targets=false/> }.into_any()
            }}
        </section>
        <ConfirmDialog confirmation/>
    }
}

/// Where the token may be used from: one range per line, and whether a call from elsewhere
/// is refused or only reported. "Suggest" fills in the addresses the token was used from.
#[component]
fn AllowlistSection(token: TokenView, changed: RwSignal<u32>) -> impl IntoView {
    let id = token.id;
    let ranges = RwSignal::new(token.allowed_ips.join("\n"));
    let policy = RwSignal::new(token.ip_policy);
    let save = ServerAction::<UpdateToken>::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            ranges.set(saved.allowed_ips.join("\n"));
            toasts.show(format!("Allowlist of {} saved.", saved.number));
            changed.update(|n| *n += 1);
        }
    });
    let observed = token.last_used_ips.clone();
    let suggest = move |_| ranges.set(observed.join("\n"));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let allowed_ips = ranges
            .get_untracked()
            .lines()
            .map(|line| line.trim().to_owned())
            .filter(|line| !line.is_empty())
            .collect();
        let edit = TokenEdit {
            allowed_ips: Some(allowed_ips),
            ip_policy: Some(policy.get_untracked()),
            ..TokenEdit::default()
        };
        save.dispatch(UpdateToken { id, edit });
    };
    let error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <span class="field-error" role="alert">{e.to_string()}</span> })
    };
    view! {
        <form class="section" aria-labelledby="allowlist-heading" on:submit=submit>
            <h2 id="allowlist-heading">"IP allowlist"</h2>
            <p class="hint">"Addresses or CIDR ranges (IPv4 or IPv6), one per line, at most 20. Empty: any address."</p>
            <div class="field">
                <label for="allowed-ips">"Allowed addresses"</label>
                <textarea id="allowed-ips" rows="4" spellcheck="false" placeholder="203.0.113.0/24"
                    prop:value=move || ranges.get()
                    on:input=move |ev| ranges.set(event_target_value(&ev))></textarea>
                {error}
            </div>
            <div class="field">
                <label for="ip-policy">"From other addresses"</label>
                <select id="ip-policy" on:change=move |ev| {
                    policy.set(IpPolicy::parse(&event_target_value(&ev)).unwrap_or_default());
                }>
                    <option value="enforce" selected=token.ip_policy == IpPolicy::Enforce>"Refuse the call (403 ip_not_allowed)"</option>
                    <option value="report" selected=token.ip_policy == IpPolicy::Report>"Accept it and record it in the audit log"</option>
                </select>
            </div>
            <div class="buttons">
                <button type="submit" class="primary-inline" disabled=move || save.pending().get()>"Save allowlist"</button>
                <button type="button" class="secondary" disabled=token.last_used_ips.is_empty() on:click=suggest>
                    "Suggest from last used addresses"
                </button>
            </div>
        </form>
    }
}

fn rate_limit(own: Option<u32>, default: u32) -> String {
    match (own, default) {
        (Some(limit), _) => format!("{limit} requests a minute"),
        (None, 0) => "None".to_owned(),
        (None, limit) => format!("{limit} requests a minute (policy default)"),
    }
}

/// The token's own requests-per-minute limit; empty leaves it to the policy default.
#[component]
fn RateLimitSection(token: TokenView, changed: RwSignal<u32>) -> impl IntoView {
    let id = token.id;
    let limit = RwSignal::new(
        token
            .rate_limit_per_minute
            .map(|n| n.to_string())
            .unwrap_or_default(),
    );
    let problem = RwSignal::new(None::<String>);
    let save = ServerAction::<UpdateToken>::new();
    let toasts = use_toasts();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => {
            toasts.show(format!("Rate limit of {} saved.", saved.number));
            changed.update(|n| *n += 1);
        }
        Some(Err(err)) => problem.set(Some(err.to_string())),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = limit.get_untracked();
        let rate_limit_per_minute = if text.trim().is_empty() {
            None
        } else if let Ok(n) = text.trim().parse::<u32>() {
            Some(n)
        } else {
            problem.set(Some(
                "Enter a whole number of requests, or leave it empty.".into(),
            ));
            return;
        };
        problem.set(None);
        let edit = TokenEdit {
            rate_limit_per_minute: Some(rate_limit_per_minute),
            ..TokenEdit::default()
        };
        save.dispatch(UpdateToken { id, edit });
    };
    view! {
        <form class="section" aria-labelledby="rate-limit-heading" on:submit=submit novalidate>
            <h2 id="rate-limit-heading">"Rate limit"</h2>
            <p class="hint">"Beyond it, calls get 429 rate_limited with Retry-After. Empty: the policy default. Each instance counts separately."</p>
            <div class="field">
                <label for="rate-limit">"Requests a minute"</label>
                <input id="rate-limit" type="number" min="1" max="10000000" inputmode="numeric"
                    prop:value=move || limit.get()
                    on:input=move |ev| limit.set(event_target_value(&ev))/>
                {move || problem.get().map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
            </div>
            <button type="submit" class="primary-inline" disabled=move || save.pending().get()>"Save rate limit"</button>
        </form>
    }
}

/// The regenerated secret, once; "Done" (or leaving) forgets it.
#[component]
fn NewSecret(issued: IssuedToken, forget: RwSignal<Option<IssuedToken>>) -> impl IntoView {
    let copied = RwSignal::new(false);
    let warn = RwSignal::new(false);
    // Leaving forgets it, unless a newer secret has replaced it already.
    let id = issued.token.id;
    let secret = issued.secret.clone();
    let shown_here = move |shown: &Option<IssuedToken>| {
        shown
            .as_ref()
            .is_some_and(|s| s.token.id == id && s.secret == secret)
    };
    let done = move || {
        forget.try_update(|shown| {
            if shown_here(shown) {
                *shown = None;
            }
        });
    };
    on_cleanup(done.clone());
    view! {
        <section class="section" aria-label="New secret">
            <p class="warning" role="note">"This is the only time the new secret is shown. Copy it now."</p>
            <SecretReveal secret=Some(issued.secret.clone()) name="New secret" noun="token"
                copy_label="Copy" revealed=true copied/>
            <UncopiedWarning warn close={
                let done = done.clone();
                move || done()
            }/>
            <button type="button" class="secondary" on:click=move |_| {
                if copied.get_untracked() { done() } else { warn.set(true) }
            }>"Done: hide the secret"</button>
        </section>
    }
}

/// The scopes the token exercised lately, and a hint to drop those it did not.
fn scope_use(token: &TokenView) -> impl IntoView {
    let unused: Vec<&str> = token
        .scopes
        .iter()
        .filter(|s| !token.scopes_used.contains(s))
        .map(String::as_str)
        .collect();
    let used = if token.scopes_used.is_empty() {
        view! { <span class="muted">"No scope yet"</span> }.into_any()
    } else {
        view! { <ScopeChips scopes=token.scopes_used.clone()/> }.into_any()
    };
    // Only a token in use says something about the scopes it never needs.
    let hint = (token.last_used_at.is_some() && !unused.is_empty()).then(|| {
        view! {
            <p class="hint">
                {format!("Not used in 30 days: {}. A token without them exposes less: generate a narrower one and revoke this.", unused.join(", "))}
            </p>
        }
    });
    view! { {used}{hint} }
}

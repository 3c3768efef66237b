//! The Access Tokens tab, shared by My account and Administration > Users > (user).
use leptos::prelude::*;

use crate::api::tokens::{
    account_tokens, GenerateAccessToken, IssuedToken, RevokeToken, RevokeUserTokens, TokenEdit,
    TokenView, UpdateToken,
};
use crate::components::dialog::{ConfirmDialog, Confirmation};
use crate::components::generate_token::GenerateTokenForm;
use crate::components::secret::{SecretReveal, UncopiedWarning};
use crate::components::toast::use_toasts;
use crate::components::token::{days_left, revoked_message, ImportedBadge, StatusBadge, When};
use crate::error::AppError;

/// The tab's actions and list. Made by the page component itself, outside any AdminOnly
/// (see there why).
#[derive(Clone, Copy)]
pub struct AccountTokens {
    /// Whose tokens: `None` for the signed-in user.
    user_id: Option<i64>,
    generate: ServerAction<GenerateAccessToken>,
    revoke: ServerAction<RevokeToken>,
    /// The kill switch, on a user's page.
    revoke_all: ServerAction<RevokeUserTokens>,
    tokens: Resource<Result<Vec<TokenView>, AppError>>,
}

impl AccountTokens {
    pub fn new(user_id: Option<i64>) -> Self {
        let generate = ServerAction::<GenerateAccessToken>::new();
        let revoke = ServerAction::<RevokeToken>::new();
        let revoke_all = ServerAction::<RevokeUserTokens>::new();
        let tokens = Resource::new(
            move || {
                (
                    generate.version().get(),
                    revoke.version().get(),
                    revoke_all.version().get(),
                )
            },
            move |_| account_tokens(user_id),
        );
        Self {
            user_id,
            generate,
            revoke,
            revoke_all,
            tokens,
        }
    }
}

#[component]
pub fn AccessTokensTab(data: AccountTokens) -> impl IntoView {
    let AccountTokens {
        user_id,
        generate,
        revoke,
        revoke_all,
        tokens,
    } = data;
    let confirmation = Confirmation::new();
    // The choices come first; the token is shown once it is made.
    let composing = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = generate.value().get() {
            composing.set(false);
        }
    });
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(number)) = revoke.value().get() {
            toasts.show(format!("Token {number} revoked."));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(n)) = revoke_all.value().get() {
            toasts.show(revoked_message(n));
        }
    });
    let revoke_error = move || {
        let one = revoke.value().get().and_then(Result::err);
        one.or_else(|| revoke_all.value().get().and_then(Result::err))
            .map(|e| e.to_string())
    };
    view! {
        <p class="doc-link"><a href="/api/docs">"API documentation"</a></p>
        <p class="hint">
            "Tokens act with all the rights of their owner. For an integration, create a dedicated "
            "user with only the rights it needs and issue the token to that user."
        </p>
        <Transition>
            {move || Suspend::new(async move {
                let soon: Vec<String> = tokens.await.unwrap_or_default().into_iter()
                    .filter(|t| t.reason.is_none() && days_left(t.expires_at).is_some_and(|d| d <= 7))
                    .map(|t| t.name)
                    .collect();
                (!soon.is_empty()).then(|| view! {
                    <p class="banner" role="status">
                        {format!("Expiring within 7 days: {}. Generate a new token before then.", soon.join(", "))}
                    </p>
                })
            })}
        </Transition>
        <Show when=move || !composing.get()>
            <button type="button" class="primary-inline" on:click=move |_| composing.set(true)>
                "Generate Access Token"
            </button>
        </Show>
        <Show when=move || composing.get()>
            <GenerateTokenForm user_id generate composing/>
        </Show>
        {move || generate.value().get().and_then(Result::ok).map(|issued| view! { <NewTokenSection issued generate/> })}
        {user_id.map(|user_id| view! {
            <RevokeAllButton user_id tokens revoke_all confirmation/>
        })}
        <p class="error" role="alert">{revoke_error}</p>
        <Transition fallback=|| view! { <p class="loading">"Loading tokens…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(items) if items.is_empty() => view! {
                        <p class="empty">"No access tokens yet. “Generate Access Token” creates one."</p>
                    }.into_any(),
                    Ok(items) => view! {
                        <AccountTokenTable items revoke confirmation
                            base=if user_id.is_some() { "/admin/tokens" } else { "/me/tokens" }/>
                    }.into_any(),
                }
            })}
        </Transition>
        <ConfirmDialog confirmation/>
    }
}

/// The kill switch on a user's page: every token of theirs stops at once, on every instance.
#[component]
fn RevokeAllButton(
    user_id: i64,
    tokens: Resource<Result<Vec<TokenView>, AppError>>,
    revoke_all: ServerAction<RevokeUserTokens>,
    confirmation: Confirmation,
) -> impl IntoView {
    let live = move || {
        tokens.with(|t| {
            t.as_ref()
                .and_then(|t| t.as_ref().ok())
                .map_or(0, |t| t.iter().filter(|t| t.revoked_at.is_none()).count())
        })
    };
    let ask = move |_| {
        let question = match live() {
            1 => "Revoke this user's token? Every integration using it is refused at once, on every instance. This cannot be undone.".to_owned(),
            n => format!("Revoke all {n} tokens of this user? Every integration using one is refused at once, on every instance. This cannot be undone."),
        };
        confirmation.ask(question, "Revoke all", move || {
            revoke_all.dispatch(RevokeUserTokens { user_id });
        });
    };
    view! {
        <Transition>
            {move || (live() > 0).then(|| view! {
                <button type="button" class="danger" on:click=ask>"Revoke all tokens"</button>
            })}
        </Transition>
    }
}

/// The once-only section: the whole token, Copy, and an optional description.
#[component]
fn NewTokenSection(
    issued: IssuedToken,
    generate: ServerAction<GenerateAccessToken>,
) -> impl IntoView {
    let describe = ServerAction::<UpdateToken>::new();
    let description = RwSignal::new(String::new());
    let id = issued.token.id;
    let copied = RwSignal::new(false);
    let warn = RwSignal::new(false);
    // "Done", another tab or another page: the answer is forgotten, secret and all, unless
    // a newer token has replaced it already.
    let forget = move || {
        generate.value().try_update(|value| {
            if matches!(value, Some(Ok(shown)) if shown.token.id == id) {
                *value = None;
            }
        });
    };
    on_cleanup(forget);
    view! {
        <section class="section" aria-label="New access token">
            <h2>"New access token " {issued.token.number.clone()}</h2>
            <p class="warning" role="note">"This is the only time the token is shown. Copy it now."</p>
            <SecretReveal secret=Some(issued.secret.clone()) name="Access token" noun="token"
                copy_label="Copy" revealed=true copied/>
            <UncopiedWarning warn close=move || forget()/>
            <button type="button" class="secondary" on:click=move |_| {
                if copied.get_untracked() { forget() } else { warn.set(true) }
            }>"Done: hide the token"</button>
            <form class="field" on:submit=move |ev| {
                ev.prevent_default();
                let edit = TokenEdit { description: Some(description.get_untracked()), ..TokenEdit::default() };
                describe.dispatch(UpdateToken { id, edit });
            }>
                <label for="new-token-description">"Description"</label>
                <div class="with-button">
                    <input id="new-token-description" type="text" placeholder="optional: what uses this token"
                        on:input=move |ev| description.set(event_target_value(&ev))/>
                    <button type="submit" class="secondary">"Save description"</button>
                </div>
                <p role="status">{move || describe.value().get().map(|r| match r {
                    Ok(_) => "Description saved.".to_owned(),
                    Err(e) => e.to_string(),
                })}</p>
            </form>
        </section>
    }
}

#[component]
fn AccountTokenTable(
    items: Vec<TokenView>,
    revoke: ServerAction<RevokeToken>,
    confirmation: Confirmation,
    /// Where one token's page lives.
    base: &'static str,
) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Access tokens">
            <table class="stack">
                <thead>
                    <tr>
                        <th scope="col">"Number"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Token"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|token| {
                        let id = token.id;
                        let revoked = token.revoked_at.is_some();
                        let question = format!(
                            "Revoke “{}” ({})? Everything using it is refused at once; it stays listed with its removal date.",
                            token.name, token.number
                        );
                        view! {
                            <tr>
                                <td data-label="Number"><code>{token.number.clone()}</code></td>
                                <td data-label="Name"><a href=format!("{base}/{}", token.id)>{token.name.clone()}</a><ImportedBadge token=token.clone()/></td>
                                <td data-label="Description">{token.description.clone()}</td>
                                <td data-label="Token"><code>{token.hint.clone()}</code></td>
                                <td data-label="Created"><When at=Some(token.created_at)/></td>
                                <td data-label="Expires">{token.expires_at.map_or_else(|| "Never".to_owned(), |d| d.to_string())}</td>
                                <td data-label="Last used"><When at=token.last_used_at never="Never"/></td>
                                <td data-label="Status"><StatusBadge token=token.clone()/></td>
                                <td>
                                    <button type="button" class="secondary" disabled=revoked
                                        aria-label=format!("Revoke {}", token.name)
                                        on:click=move |_| confirmation.ask(question.clone(), "Revoke", move || {
                                            revoke.dispatch(RevokeToken { id });
                                        })>"Revoke"</button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

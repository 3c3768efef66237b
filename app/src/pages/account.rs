//! My account: the signed-in user's own pages.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::auth::ChangePassword;
use crate::components::access_tokens::{AccessTokensTab, AccountTokens};
use crate::components::session::CurrentUser;
use crate::components::sessions_list::{Sessions, SessionsPanel};

#[component]
fn AccountTabs(current: &'static str) -> impl IntoView {
    let tab = move |href: &'static str, label: &'static str| {
        view! {
            <a href=href class="tab" aria-current=(current == href).then_some("page")>{label}</a>
        }
    };
    view! {
        <h1>"My account"</h1>
        <nav class="tabs" aria-label="My account">
            {tab("/me", "Profile")}
            {tab("/me/tokens", "Access Tokens")}
            {tab("/me/sessions", "Sessions")}
        </nav>
    }
}

#[component]
pub fn MyAccountPage() -> impl IntoView {
    let CurrentUser(user) = expect_context();
    view! {
        <Title text="My account"/>
        <AccountTabs current="/me"/>
        <Suspense>
            {move || Suspend::new(async move {
                user.await.ok().flatten().map(|u| view! {
                    <p>"Signed in as " <strong>{u.display_name}</strong> " (" {u.username} ")."</p>
                })
            })}
        </Suspense>
        <ChangePasswordForm/>
    }
}

#[component]
fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    // The fields are emptied once the change is through, so no password lingers on screen.
    Effect::new(move |_| {
        if let (Some(Ok(())), Some(form)) = (action.value().get(), form.get()) {
            form.reset();
        }
    });
    let field = |id: &'static str, label: &'static str, autocomplete: &'static str| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id name=id type="password" autocomplete=autocomplete required/>
            </div>
        }
    };
    view! {
        <section class="card narrow" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <ActionForm action=action node_ref=form>
                {field("current_password", "Current password", "current-password")}
                {field("new_password", "New password", "new-password")}
                <p class="hint">"At least 8 characters. Long passphrases beat clever symbols."</p>
                {field("confirm_password", "Confirm new password", "new-password")}
                <p class="status-line" role="status">{move || matches!(action.value().get(), Some(Ok(())))
                    .then_some("Password changed. Your other sessions were signed out.")}</p>
                <p class="error" role="alert">{move || action.value().get().and_then(Result::err)
                    .map(|e| e.to_string())}</p>
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Changing…" } else { "Change password" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn MyTokensPage() -> impl IntoView {
    view! {
        <Title text="Access Tokens"/>
        <AccountTabs current="/me/tokens"/>
        <AccessTokensTab data=AccountTokens::new(None)/>
    }
}

/// My account > Sessions: every browser signed in as me, and Sign out for the others.
#[component]
pub fn MySessionsPage() -> impl IntoView {
    let data = Sessions::new(None);
    view! {
        <Title text="My sessions"/>
        <AccountTabs current="/me/sessions"/>
        <SessionsPanel data/>
    }
}

//! My account: the signed-in user's own pages.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::access_tokens::AccessTokensTab;

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
        </nav>
    }
}

#[component]
pub fn MyAccountPage() -> impl IntoView {
    view! {
        <Title text="My account"/>
        <AccountTabs current="/me"/>
        <p class="empty">"Your profile settings will appear here."</p>
    }
}

#[component]
pub fn MyTokensPage() -> impl IntoView {
    view! {
        <Title text="Access Tokens"/>
        <AccountTabs current="/me/tokens"/>
        <AccessTokensTab user_id=None/>
    }
}

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::SignIn;
use crate::components::session::load_page;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let show_password = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(destination)) = action.value().get() {
            load_page(&destination);
        }
    });
    let error = move || {
        action
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    };

    view! {
        <Title text="Sign in"/>
        <section class="card login">
            <h1>"Sign in to Tessera"</h1>
            <ActionForm action=action>
                <div class="field">
                    <label for="username">"Username"</label>
                    <input id="username" name="username" type="text" autocomplete="username"
                        autocapitalize="none" spellcheck="false"/>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <div class="with-button">
                        <input id="password" name="password" autocomplete="current-password"
                            type=move || if show_password.get() { "text" } else { "password" }/>
                        <button type="button" class="secondary"
                            aria-pressed=move || show_password.get().to_string()
                            on:click=move |_| show_password.update(|s| *s = !*s)>
                            {move || if show_password.get() { "Hide password" } else { "Show password" }}
                        </button>
                    </div>
                </div>
                <input type="hidden" name="next" prop:value=next/>
                <p class="error" role="alert">{error}</p>
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </section>
    }
}

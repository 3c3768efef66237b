//! The one way a secret is shown: masked or revealed, Show/Hide, and Copy that says it
//! copied, or, where the browser has no Clipboard API (plain HTTP on another host) or
//! refuses it, selects the text and says how to copy it by hand.
use leptos::{html, prelude::*};

/// What the last Copy did.
#[derive(Clone, Copy, PartialEq)]
enum Copy {
    Done,
    ByHand,
}

/// Where the secret sits: in a text run, or in a read-only form field (whose label names it).
#[derive(Clone, Copy, PartialEq, Default)]
pub enum Shape {
    #[default]
    Text,
    Field,
}

#[component]
pub fn SecretReveal(
    #[prop(into)] secret: Signal<Option<String>>,
    /// The accessible name of the value (a text run), or the field's id (a field).
    #[prop(into)]
    name: String,
    /// What the buttons call it: "Show <noun>", "Hide <noun>".
    #[prop(into)]
    noun: String,
    #[prop(into)] copy_label: String,
    /// Shown unmasked at first (a section whose purpose is to show the whole token).
    #[prop(optional)]
    revealed: bool,
    #[prop(optional)] shape: Shape,
    /// Set once the secret has been copied, e.g. to close a dialog or skip its warning.
    #[prop(optional)]
    copied: Option<RwSignal<bool>>,
    /// What the value shows while there is no secret (a hint of the stored one).
    #[prop(optional, into)]
    placeholder: String,
) -> impl IntoView {
    let shown = RwSignal::new(revealed);
    let field_placeholder = placeholder.clone();
    let outcome = RwSignal::new(None::<Copy>);
    let text_node = NodeRef::<html::Code>::new();
    let field_node = NodeRef::<html::Input>::new();
    // A new value (regenerated) starts as the first did, with nothing said about copying.
    Effect::new(move |_| {
        secret.track();
        shown.set(revealed);
        outcome.set(None);
    });
    let value = move || {
        secret.with(|s| match s {
            None => placeholder.clone(),
            Some(s) if shown.get() => s.clone(),
            Some(s) => mask(s),
        })
    };
    let copy = move |_| {
        let Some(text) = secret.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if write_clipboard(&text).await {
                outcome.set(Some(Copy::Done));
                if let Some(copied) = copied {
                    copied.set(true);
                }
            } else {
                shown.set(true);
                select(text_node, field_node);
                outcome.set(Some(Copy::ByHand));
            }
        });
    };
    let absent = move || secret.with(Option::is_none);
    let show_label = format!("Show {noun}");
    let hide_label = format!("Hide {noun}");
    let holder = match shape {
        Shape::Text => view! {
            <code node_ref=text_node aria-label=name.clone() class="secret-value">{value}</code>
        }
        .into_any(),
        Shape::Field => view! {
            <input node_ref=field_node id=name.clone() class="secret-value" readonly autocomplete="off"
                spellcheck="false" type=move || if shown.get() { "text" } else { "password" }
                prop:value=move || secret.get().unwrap_or_else(|| field_placeholder.clone())/>
        }
        .into_any(),
    };
    view! {
        <div class="secret">
            {holder}
            // Nothing to show or hide while only the stored value's hint is there.
            <Show when=move || !absent()>
                <button type="button" class="secondary" aria-pressed=move || shown.get().to_string()
                    on:click=move |_| shown.update(|s| *s = !*s)>
                    {
                        let (show_label, hide_label) = (show_label.clone(), hide_label.clone());
                        move || if shown.get() { hide_label.clone() } else { show_label.clone() }
                    }
                </button>
            </Show>
            <button type="button" class="secondary" disabled=absent on:click=copy>{copy_label}</button>
        </div>
        <p role="status" class="status-line">{move || outcome.get().map(|o| match o {
            Copy::Done => "Copied.",
            Copy::ByHand => "Press Ctrl+C to copy (⌘C on a Mac): the token is selected.",
        })}</p>
    }
}

/// The first four characters and dots: enough to tell tokens apart, nothing to use.
fn mask(secret: &str) -> String {
    let prefix: String = secret.chars().take(4).collect();
    format!("{prefix}{}", "•".repeat(20))
}

/// Writes `text` to the clipboard; false when there is no Clipboard API or it refused.
async fn write_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let navigator = window.navigator();
        // Missing outside a secure context: calling it would throw.
        let present = js_sys::Reflect::get(&navigator, &"clipboard".into())
            .is_ok_and(|c| !c.is_undefined() && !c.is_null());
        if !present {
            return false;
        }
        // Refused (no permission, page not focused): the promise rejects.
        wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(text))
            .await
            .is_ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// Selects the whole secret, so Ctrl+C copies it.
fn select(text: NodeRef<html::Code>, field: NodeRef<html::Input>) {
    #[cfg(feature = "hydrate")]
    {
        if let Some(input) = field.get_untracked() {
            let _ = input.focus();
            input.select();
        } else if let (Some(code), Some(selection)) = (
            text.get_untracked(),
            web_sys::window().and_then(|w| w.get_selection().ok().flatten()),
        ) {
            let _ = selection.select_all_children(&code);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, field);
}

/// "You have not copied the token. Close anyway?", shown while `warn` is set.
#[component]
pub fn UncopiedWarning(warn: RwSignal<bool>, #[prop(into)] close: Callback<()>) -> impl IntoView {
    view! {
        <Show when=move || warn.get()>
            <div class="warning" role="alert">
                <p>"You have not copied the token. Close anyway?"</p>
                <div class="buttons">
                    <button type="button" class="danger" on:click=move |_| {
                        warn.set(false);
                        close.run(());
                    }>"Close anyway"</button>
                    <button type="button" class="secondary" on:click=move |_| warn.set(false)>"Keep open"</button>
                </div>
            </div>
        </Show>
    }
}

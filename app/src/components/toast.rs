//! Toasts: a short message naming what changed ("Token AT-000041 revoked."), in one live
//! region at the corner of every page, gone after a few seconds or when dismissed.
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<(u64, String)>>,
    next: StoredValue<u64>,
}

/// How long a toast stays.
const SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(6);

impl Toasts {
    /// Made once, by the app, and shared through context.
    pub fn provide() {
        provide_context(Self {
            shown: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
        });
    }

    pub fn show(self, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.shown.update(|s| s.push((id, text.into())));
        set_timeout(move || self.dismiss(id), SHOWN_FOR);
    }

    fn dismiss(self, id: u64) {
        self.shown.try_update(|s| s.retain(|(i, _)| *i != id));
    }
}

pub fn use_toasts() -> Toasts {
    expect_context()
}

#[component]
pub fn ToastRegion() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || toasts.shown.get() key=|(id, _)| *id let((id, text))>
                <p class="toast">
                    <span>{text}</span>
                    <button type="button" class="icon" aria-label="Dismiss"
                        on:click=move |_| toasts.dismiss(id)>"×"</button>
                </p>
            </For>
        </div>
    }
}

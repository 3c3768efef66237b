//! A tab of a role="tablist": selects its panel, and says so to assistive technology.
use leptos::prelude::*;

#[component]
pub fn TabButton<T>(
    /// The selected tab of the list.
    selected: RwSignal<T>,
    /// This tab.
    which: T,
    label: &'static str,
    /// The id of the tabpanel it shows.
    panel: &'static str,
) -> impl IntoView
where
    T: Copy + PartialEq + Send + Sync + 'static,
{
    view! {
        <button type="button" role="tab" class="tab" aria-controls=panel
            aria-selected=move || (selected.get() == which).to_string()
            on:click=move |_| selected.set(which)>{label}</button>
    }
}

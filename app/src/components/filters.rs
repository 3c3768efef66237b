//! A list's filter bar. On a phone it folds behind a "Filters" button, so the first row of
//! the list is on screen without scrolling past it.
use leptos::prelude::*;

#[component]
pub fn Filters(children: Children) -> impl IntoView {
    let open = RwSignal::new(false);
    view! {
        <div class="filter-box" class:open=move || open.get()>
            <button type="button" class="secondary filters-toggle" aria-controls="list-filters"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)>"Filters"</button>
            <form id="list-filters" class="filters" role="search" on:submit=|ev| ev.prevent_default()>
                {children()}
            </form>
        </div>
    }
}

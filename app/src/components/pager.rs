use leptos::prelude::*;

/// Previous / Next over keyset pages. `trail` keeps the cursors of the pages before this one,
/// `current` is this page's cursor, `next` the next page's (none on the last page).
#[component]
pub fn Pager(
    trail: RwSignal<Vec<Option<i64>>>,
    #[prop(into)] current: Signal<Option<i64>>,
    next: Option<i64>,
    #[prop(into)] go: Callback<Option<i64>>,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            <button type="button" class="secondary" disabled=move || trail.with(Vec::is_empty)
                on:click=move |_| {
                    let back = trail.try_update(|t| t.pop()).flatten().flatten();
                    go.run(back);
                }>"Previous"</button>
            <button type="button" class="secondary" disabled=next.is_none()
                on:click=move |_| {
                    trail.update(|t| t.push(current.get_untracked()));
                    go.run(next);
                }>"Next"</button>
        </nav>
    }
}

use leptos::prelude::*;

/// Previous / Next over keyset pages. `trail` keeps the cursors of the pages before this one,
/// `current` is this page's cursor, `next` the next page's (none on the last page).
#[component]
pub fn Pager<C>(
    trail: RwSignal<Vec<Option<C>>>,
    #[prop(into)] current: Signal<Option<C>>,
    next: Option<C>,
    #[prop(into)] go: Callback<Option<C>>,
) -> impl IntoView
where
    C: Clone + Send + Sync + 'static,
{
    let last_page = next.is_none();
    view! {
        <nav class="pager" aria-label="Pages">
            <button type="button" class="secondary" disabled=move || trail.with(Vec::is_empty)
                on:click=move |_| {
                    let back = trail.try_update(|t| t.pop()).flatten().flatten();
                    go.run(back);
                }>"Previous"</button>
            <button type="button" class="secondary" disabled=last_page
                on:click=move |_| {
                    trail.update(|t| t.push(current.get_untracked()));
                    go.run(next.clone());
                }>"Next"</button>
        </nav>
    }
}

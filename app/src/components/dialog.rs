//! A modal dialog on the native `<dialog>` element: the browser keeps focus inside, closes it
//! on Escape and returns focus to the opener.
use leptos::{html, prelude::*};

#[component]
pub fn Modal(
    /// The title, which is also the dialog's accessible name.
    #[prop(into)]
    title: String,
    open: RwSignal<bool>,
    children: Children,
) -> impl IntoView {
    let node = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let Some(dialog) = node.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    let id = format!(
        "dialog-{}",
        title
            .to_lowercase()
            .replace(|c: char| !c.is_alphanumeric(), "-")
    );
    let labelled_by = id.clone();
    view! {
        <dialog node_ref=node class="dialog" aria-modal="true" aria-labelledby=labelled_by
            on:close=move |_| open.set(false)>
            <h2 id=id>{title}</h2>
            {children()}
        </dialog>
    }
}

//! A modal dialog on the native `<dialog>` element: the browser keeps focus inside, closes it
//! on Escape and returns focus to the opener.
use leptos::{html, prelude::*};

#[component]
pub fn Modal(
    /// The title, which is also the dialog's accessible name.
    #[prop(into)]
    title: String,
    open: RwSignal<bool>,
    /// Asked when Escape would close it: true keeps it open (e.g. to warn first).
    #[prop(optional)]
    keep_open: Option<Callback<(), bool>>,
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
            // Escape is caught at the key: the browser lets a page refuse only one cancel
            // in a row, so a second Escape would close the dialog past the warning.
            on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                if ev.key() == "Escape" && keep_open.is_some_and(|keep| keep.run(())) {
                    ev.prevent_default();
                }
            }
            on:cancel=move |ev: leptos::ev::Event| {
                if keep_open.is_some_and(|keep| keep.run(())) {
                    ev.prevent_default();
                }
            }
            on:close=move |_| open.set(false)>
            <h2 id=id>{title}</h2>
            {children()}
        </dialog>
    }
}

/// A question before an action that breaks something: it names the consequence, and Cancel
/// has the focus, so Enter or a hurried Space keeps everything as it was.
#[derive(Clone, Copy)]
pub struct Confirmation {
    open: RwSignal<bool>,
    question: RwSignal<Option<Question>>,
}

#[derive(Clone)]
struct Question {
    text: String,
    confirm: String,
    run: Callback<()>,
}

impl Default for Confirmation {
    fn default() -> Self {
        Self::new()
    }
}

impl Confirmation {
    pub fn new() -> Self {
        Self {
            open: RwSignal::new(false),
            question: RwSignal::new(None),
        }
    }

    /// Asks `text`; `run` only if the user presses the button labelled `confirm`.
    pub fn ask(
        self,
        text: impl Into<String>,
        confirm: impl Into<String>,
        run: impl Fn() + Send + Sync + 'static,
    ) {
        self.question.set(Some(Question {
            text: text.into(),
            confirm: confirm.into(),
            run: Callback::new(move |()| run()),
        }));
        self.open.set(true);
    }
}

#[component]
pub fn ConfirmDialog(confirmation: Confirmation) -> impl IntoView {
    let Confirmation { open, question } = confirmation;
    let text = move || question.with(|q| q.as_ref().map(|q| q.text.clone()));
    let confirm = move || question.with(|q| q.as_ref().map(|q| q.confirm.clone()));
    view! {
        <Modal title="Please confirm" open>
            <p>{text}</p>
            <div class="buttons">
                <button type="button" class="danger" on:click=move |_| {
                    open.set(false);
                    if let Some(q) = question.get_untracked() {
                        q.run.run(());
                    }
                }>{confirm}</button>
                <button type="button" class="secondary" autofocus on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </Modal>
    }
}

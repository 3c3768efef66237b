//! What every form of the console does on submit: one submission at a time (a double click
//! saves once), the button disabled meanwhile, and the outcome shown by the fields it names
//! or above the buttons.
use std::future::Future;

use leptos::prelude::*;

use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct Submission {
    saving: RwSignal<bool>,
    saved: RwSignal<bool>,
    error: RwSignal<Option<AppError>>,
}

impl Default for Submission {
    fn default() -> Self {
        Self::new()
    }
}

impl Submission {
    pub fn new() -> Self {
        Self {
            saving: RwSignal::new(false),
            saved: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// Runs `save` unless a submission is already on its way, and records its outcome.
    pub fn run(self, save: impl Future<Output = Result<(), AppError>> + 'static) {
        if self.saving.get_untracked() {
            return;
        }
        self.saving.set(true);
        leptos::task::spawn_local(async move {
            let outcome = save.await;
            self.saved.set(outcome.is_ok());
            self.error.set(outcome.err());
            self.saving.set(false);
        });
    }

    /// Records a problem found before anything was sent.
    pub fn fail(self, error: AppError) {
        self.saved.set(false);
        self.error.set(Some(error));
    }

    pub fn saving(self) -> bool {
        self.saving.get()
    }

    /// True after the last submission succeeded.
    pub fn saved(self) -> bool {
        self.saved.get()
    }

    /// The message for one field, shown under its input.
    pub fn field_error(self, field: &'static str) -> impl Fn() -> Option<AnyView> + Copy {
        move || {
            self.error
                .get()
                .filter(|e| e.field() == Some(field))
                .map(|e| {
                    view! { <span class="field-error" role="alert">{e.to_string()}</span> }
                        .into_any()
                })
        }
    }

    /// A problem that names no field, shown above the buttons.
    pub fn form_error(self) -> impl IntoView {
        view! {
            <p role="alert" class="error">
                {move || self.error.get().filter(|e| e.field().is_none()).map(|e| e.to_string())}
            </p>
        }
    }
}

/// A labelled input whose problems show underneath, for any form using a [`Submission`].
#[component]
pub fn TextField(
    /// The input's id (the label points at it).
    id: String,
    label: &'static str,
    /// The field name the server names in its errors.
    field: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(into)] value: Signal<String>,
    on_input: impl Fn(String) + Send + Sync + 'static,
    submission: Submission,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type=kind prop:value=value
                on:input=move |ev| on_input(event_target_value(&ev))/>
            {submission.field_error(field)}
        </div>
    }
}

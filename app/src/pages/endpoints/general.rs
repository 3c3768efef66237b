//! The General tab's fields, also the "+ Endpoint" dialog.
use leptos::prelude::*;

use crate::api::endpoints::EndpointForm;
use crate::components::form::{Submission, TextField};
use crate::error::AppError;

/// Name, Path, Description, Authentication type and Allow deleting, for "+ Endpoint" and the
/// General tab.
#[component]
pub(super) fn EndpointFields<F, Fut>(
    initial: EndpointForm,
    creating: bool,
    on_save: F,
) -> impl IntoView
where
    F: Fn(EndpointForm) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), AppError>> + 'static,
{
    let form = RwSignal::new(initial);
    let submission = Submission::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submission.run(on_save(form.get_untracked()));
    };
    let prefix = if creating { "new-endpoint" } else { "endpoint" };
    let field_error = move |name| submission.field_error(name);
    let text = move |name: &'static str,
                     label: &'static str,
                     get: fn(&EndpointForm) -> String,
                     set: fn(&mut EndpointForm, String)| {
        view! {
            <TextField id=format!("{prefix}-{name}") label field=name submission
                value=Signal::derive(move || form.with(get))
                on_input=move |v| form.update(|f| set(f, v))/>
        }
    };
    let auth_id = format!("{prefix}-auth-type");
    view! {
        <form on:submit=submit novalidate>
            {text("name", "Name", |f| f.name.clone(), |f, v| f.name = v)}
            {text("path", "Path", |f| f.path.clone(), |f, v| f.path = v)}
            <p class="hint">"Lower-case letters, digits and hyphens: records go to /api/v1/endpoints/"
                {move || form.with(|f| if f.path.is_empty() { "<path>".to_owned() } else { f.path.clone() })}"/records"</p>
            {text("description", "Description", |f| f.description.clone(), |f, v| f.description = v)}
            <div class="field">
                <label for=auth_id.clone()>"Authentication type"</label>
                <select id=auth_id prop:value=move || form.with(|f| f.auth_type.clone())
                    on:change=move |ev| form.update(|f| f.auth_type = event_target_value(&ev))>
                    <option value="none">"None"</option>
                    <option value="token">"Token"</option>
                </select>
                {field_error("auth_type")}
            </div>
            <label class="check">
                <input type="checkbox" prop:checked=move || form.with(|f| f.allow_deleting)
                    on:change=move |ev| form.update(|f| f.allow_deleting = event_target_checked(&ev))/>
                "Allow deleting"
            </label>
            <p role="status" class="status-line">{move || submission.saved().then_some("Saved.")}</p>
            {submission.form_error()}
            <div class="buttons">
                <button type="submit" class="primary-inline" disabled=move || submission.saving()>
                    {if creating { "Create" } else { "Save" }}
                </button>
            </div>
        </form>
    }
}

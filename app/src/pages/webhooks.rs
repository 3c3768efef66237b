//! Settings > Webhooks: where lifecycle events are sent, each webhook's delivery log with
//! "Redeliver", and a banner for any that Tessera turned off after failing for a day.
use leptos::prelude::*;

use crate::api::webhooks::{
    create_webhook, delete_webhook, list_webhooks, redeliver_webhook, update_webhook,
    webhook_deliveries,
};
use crate::components::dialog::{ConfirmDialog, Confirmation, Modal};
use crate::components::form::{Submission, TextField};
use crate::components::secret::SecretReveal;
use crate::model::webhook::{DeliveryState, WebhookDraft, WebhookEvent, WebhookView};

/// The list, made by the page outside its `AdminOnly` (see there why); bumping `changed`
/// reloads it.
pub fn webhooks_resource(
    changed: RwSignal<u32>,
) -> Resource<Result<Vec<WebhookView>, crate::error::AppError>> {
    Resource::new(move || changed.get(), |_| list_webhooks())
}

#[component]
pub fn WebhooksSection(
    changed: RwSignal<u32>,
    hooks: Resource<Result<Vec<WebhookView>, crate::error::AppError>>,
) -> impl IntoView {
    let add_open = RwSignal::new(false);
    let secret = RwSignal::new(None::<String>);
    let created_open = RwSignal::new(false);
    let log_of = RwSignal::new(None::<WebhookView>);
    let log_open = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let confirmation = Confirmation::new();
    // The secret is gone from the page as soon as its dialog closes.
    Effect::new(move |_| {
        if !created_open.get() {
            secret.set(None);
        }
    });
    let set_enabled = move |hook: WebhookView, enabled: bool| {
        leptos::task::spawn_local(async move {
            let draft = WebhookDraft {
                enabled: Some(enabled),
                ..WebhookDraft::default()
            };
            match update_webhook(hook.id, draft).await {
                Ok(h) => message.set(Some(Ok(format!(
                    "{} turned {}.",
                    h.url,
                    if h.enabled { "on" } else { "off" }
                )))),
                Err(e) => message.set(Some(Err(e.to_string()))),
            }
            changed.update(|n| *n += 1);
        });
    };
    let delete = move |hook: WebhookView| {
        confirmation.ask(
            format!(
                "Delete the webhook to {}? Its pending deliveries and its log go with it.",
                hook.url
            ),
            "Delete",
            move || {
                let id = hook.id;
                leptos::task::spawn_local(async move {
                    match delete_webhook(id).await {
                        Ok(()) => message.set(Some(Ok("Webhook deleted.".into()))),
                        Err(e) => message.set(Some(Err(e.to_string()))),
                    }
                    changed.update(|n| *n += 1);
                });
            },
        );
    };
    view! {
        <section class="section" aria-labelledby="webhooks">
            <div class="page-head">
                <h2 id="webhooks">"Webhooks"</h2>
                <button type="button" class="primary-inline" on:click=move |_| add_open.set(true)>"+ Webhook"</button>
            </div>
            <p class="hint">"Token events are sent as they happen, signed as Standard Webhooks specifies (webhook-id, webhook-timestamp, webhook-signature), and retried for 24 hours."</p>
            <p role="status" class="status-line">{move || message.get().and_then(Result::ok)}</p>
            <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
            <Transition fallback=|| view! { <p class="loading">"Loading webhooks…"</p> }>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No webhooks yet. “+ Webhook” sends token events to a URL of yours."</p>
                        }.into_any(),
                        Ok(list) => {
                            let off: Vec<_> = list.iter().filter_map(|h| h.disabled_reason.clone().map(|r| (h.url.clone(), r))).collect();
                            view! {
                                {off.into_iter().map(|(url, reason)| view! {
                                    <div class="warning" role="alert">{format!("The webhook to {url} is off: {reason}. Check the receiver, then turn it on again.")}</div>
                                }).collect_view()}
                                <div class="table-wrap" tabindex="0" role="region" aria-label="Webhooks">
                                    <table class="stack">
                                        <thead><tr>
                                            <th scope="col">"URL"</th><th scope="col">"Events"</th>
                                            <th scope="col">"Enabled"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody>
                                            {list.into_iter().map(|hook| {
                                                let url = hook.url.clone();
                                                let events = hook.events.iter().map(|e| e.label()).collect::<Vec<_>>().join(", ");
                                                let (h1, h2, h3) = (hook.clone(), hook.clone(), hook.clone());
                                                view! {
                                                    <tr>
                                                        <td data-label="URL"><code>{url.clone()}</code></td>
                                                        <td data-label="Events">{events}</td>
                                                        <td data-label="Enabled">
                                                            <label class="check">
                                                                <input type="checkbox" role="switch" prop:checked=hook.enabled
                                                                    on:change=move |ev| set_enabled(h1.clone(), event_target_checked(&ev))/>
                                                                <span class="visually-hidden">{format!("Enabled {url}")}</span>
                                                            </label>
                                                        </td>
                                                        <td class="actions">
                                                            <button type="button" class="secondary" on:click=move |_| {
                                                                log_of.set(Some(h2.clone()));
                                                                log_open.set(true);
                                                            }>{format!("Deliveries {url}")}</button>
                                                            <button type="button" class="secondary" on:click=move |_| delete(h3.clone())>
                                                                {format!("Delete webhook {url}")}</button>
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
            <Modal title="Add webhook" open=add_open>
                <AddWebhook open=add_open created=move |s| {
                    secret.set(Some(s));
                    created_open.set(true);
                    changed.update(|n| *n += 1);
                }/>
            </Modal>
            <Modal title="Webhook created" open=created_open>
                <p>"Receivers verify each delivery with this signing secret."</p>
                <SecretReveal secret=Signal::derive(move || secret.get()) name="Signing secret" noun="secret" copy_label="Copy to clipboard"/>
                <p class="warning">"It is not shown again."</p>
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| created_open.set(false)>"Close"</button>
                </div>
            </Modal>
            <Modal title="Deliveries" open=log_open>
                {move || log_of.get().filter(|_| log_open.get()).map(|hook| view! { <DeliveryLog hook/> })}
                <div class="actions">
                    <button type="button" class="secondary" on:click=move |_| log_open.set(false)>"Close"</button>
                </div>
            </Modal>
            <ConfirmDialog confirmation/>
        </section>
    }
}

#[component]
fn AddWebhook(open: RwSignal<bool>, #[prop(into)] created: Callback<String>) -> impl IntoView {
    let url = RwSignal::new(String::new());
    let events = RwSignal::new(Vec::<WebhookEvent>::new());
    let submission = Submission::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = WebhookDraft {
            url: Some(url.get_untracked()),
            events: Some(events.get_untracked()),
            enabled: Some(true),
        };
        submission.run(async move {
            let made = create_webhook(draft).await?;
            url.set(String::new());
            events.set(Vec::new());
            open.set(false);
            created.run(made.secret);
            Ok(())
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <TextField id="webhook-url".to_owned() label="URL" field="url" kind="url" submission
                value=url on_input=move |v| url.set(v)/>
            <fieldset>
                <legend>"Events"</legend>
                {WebhookEvent::ALL.into_iter().map(|event| view! {
                    <label class="check">
                        <input type="checkbox" prop:checked=move || events.with(|e| e.contains(&event))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                events.update(|e| {
                                    e.retain(|x| *x != event);
                                    if on { e.push(event); }
                                });
                            }/>
                        {event.label()} " " <code class="muted">{event.as_str()}</code>
                    </label>
                }).collect_view()}
                {submission.field_error("events")}
            </fieldset>
            {submission.form_error()}
            <div class="actions">
                <button type="submit" class="primary-inline" disabled=move || submission.saving()>"Add"</button>
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </form>
    }
}

#[component]
fn DeliveryLog(hook: WebhookView) -> impl IntoView {
    let id = hook.id;
    let changed = RwSignal::new(0u32);
    let log = Resource::new(move || changed.get(), move |_| webhook_deliveries(id));
    let message = RwSignal::new(None::<Result<String, String>>);
    let redeliver = move |delivery: i64| {
        leptos::task::spawn_local(async move {
            match redeliver_webhook(id, delivery).await {
                Ok(_) => message.set(Some(Ok("Queued: it is sent again within a second.".into()))),
                Err(e) => message.set(Some(Err(e.to_string()))),
            }
            changed.update(|n| *n += 1);
        });
    };
    view! {
        <p><code>{hook.url}</code></p>
        <p role="status" class="status-line">{move || message.get().and_then(Result::ok)}</p>
        <p role="alert" class="error">{move || message.get().and_then(Result::err)}</p>
        <Transition fallback=|| view! { <p class="loading">"Loading deliveries…"</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty">"Nothing sent yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Delivery log">
                            <table class="stack">
                                <thead><tr>
                                    <th scope="col">"Event"</th><th scope="col">"Created"</th>
                                    <th scope="col">"Status"</th><th scope="col">"Attempts"</th>
                                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|d| {
                                        let attempts = d.attempts.iter().map(|a| format!(
                                            "{} {} ({} ms)",
                                            a.at.format("%Y-%m-%d %H:%M:%S"),
                                            a.status.map_or_else(|| a.error.clone().unwrap_or_default(), |s| format!("HTTP {s}")),
                                            a.duration_ms,
                                        )).collect::<Vec<_>>();
                                        let state = match (d.state, d.next_attempt_at) {
                                            (DeliveryState::Pending, Some(next)) if !d.attempts.is_empty() =>
                                                format!("Pending, next try {}", next.format("%H:%M:%S")),
                                            (state, _) => state.label().to_owned(),
                                        };
                                        let delivery = d.id;
                                        view! {
                                            <tr>
                                                <td data-label="Event">{d.event_type.clone()}<br/><code class="muted">{d.message_id.clone()}</code></td>
                                                <td data-label="Created">{d.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                                <td data-label="Status">{state}</td>
                                                <td data-label="Attempts">
                                                    <ul class="plain">{attempts.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}</ul>
                                                </td>
                                                <td class="actions">
                                                    <button type="button" class="secondary" on:click=move |_| redeliver(delivery)>
                                                        {format!("Redeliver {}", d.message_id)}</button>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

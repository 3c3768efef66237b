//! The list of signed-in sessions, shared by My account > Sessions and a user's Sessions tab:
//! where and when each signed in, when it was last seen, and Sign out.
use leptos::prelude::*;

use crate::api::sessions::{list_sessions, EndSessions, SessionView};
use crate::components::dialog::{ConfirmDialog, Confirmation};
use crate::components::toast::use_toasts;
use crate::components::token::{counted, When};
use crate::error::AppError;

/// The list's data and its one action, made by the page component outside any AdminOnly
/// (see there why).
#[derive(Clone, Copy)]
pub struct Sessions {
    /// Whose sessions: `None` for the signed-in user's own.
    user_id: Option<i64>,
    end: ServerAction<EndSessions>,
    list: Resource<Result<Vec<SessionView>, AppError>>,
}

impl Sessions {
    pub fn new(user_id: Option<i64>) -> Self {
        let end = ServerAction::<EndSessions>::new();
        let list = Resource::new(move || end.version().get(), move |_| list_sessions(user_id));
        Self { user_id, end, list }
    }
}

#[component]
pub fn SessionsPanel(data: Sessions) -> impl IntoView {
    let Sessions { user_id, end, list } = data;
    let confirmation = Confirmation::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(Ok(n)) = end.value().get() {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            toasts.show(format!("{} signed out.", counted(n, "session")));
        }
    });
    let failure = move || {
        end.value()
            .get()
            .and_then(Result::err)
            .map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })
    };
    view! {
        <p class="hint">"Signing out a session ends it at once: the browser that holds it must sign in again."</p>
        {failure}
        <Transition fallback=|| view! { <p class="loading">"Loading sessions…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(items) if items.is_empty() => view! {
                        <p class="empty">"No one is signed in as this user."</p>
                    }.into_any(),
                    Ok(items) => {
                        let others = items.iter().filter(|s| !s.current).count();
                        let has_current = others < items.len();
                        let label = if has_current { "Sign out all other sessions" } else { "Sign out all sessions" };
                        let ask = move |_| {
                            let question = if has_current {
                                format!("Sign out {}? Each must sign in again; this one stays.", counted(others, "other session"))
                            } else {
                                format!("Sign out {} of this user? Each must sign in again.", counted(others, "session"))
                            };
                            confirmation.ask(question, "Sign out", move || {
                                end.dispatch(EndSessions { user_id, handle: None });
                            });
                        };
                        view! {
                            <SessionTable items end user_id/>
                            {(others > 0).then(|| view! {
                                <button type="button" class="danger" on:click=ask>{label}</button>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
        <ConfirmDialog confirmation/>
    }
}

#[component]
fn SessionTable(
    items: Vec<SessionView>,
    end: ServerAction<EndSessions>,
    user_id: Option<i64>,
) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Sessions">
            <table class="stack">
                <thead>
                    <tr>
                        <th scope="col">"Browser"</th>
                        <th scope="col">"IP"</th>
                        <th scope="col">"Signed in"</th>
                        <th scope="col">"Last seen"</th>
                        <th scope="col">"Session"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|s| {
                        let handle = s.handle.clone();
                        view! {
                            <tr>
                                <td data-label="Browser">{s.browser.clone()}</td>
                                <td data-label="IP"><code>{s.ip.clone().unwrap_or_default()}</code></td>
                                <td data-label="Signed in"><When at=Some(s.signed_in_at)/></td>
                                <td data-label="Last seen"><When at=Some(s.seen_at)/></td>
                                <td data-label="Session"><code>{s.handle.clone()}</code></td>
                                <td data-label="Actions">
                                    {if s.current {
                                        view! { <span class="badge ok">"This session"</span> }.into_any()
                                    } else {
                                        view! {
                                            <button type="button" class="secondary"
                                                aria-label=format!("Sign out session {}", s.handle)
                                                on:click=move |_| {
                                                    end.dispatch(EndSessions { user_id, handle: Some(handle.clone()) });
                                                }>"Sign out"</button>
                                        }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

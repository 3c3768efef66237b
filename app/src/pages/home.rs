//! The home page: for administrators a dashboard (tokens by status, what expires this week,
//! the latest audit events, endpoints refusing calls today); for everyone the way on.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::dashboard::{load_dashboard, Dashboard};
use crate::components::session::CurrentUser;
use crate::components::token::When;
use crate::error::AppError;
use crate::model::audit::Action;

#[component]
pub fn HomePage() -> impl IntoView {
    let CurrentUser(user) = expect_context();
    // Made here, outside the boundary (see AdminOnly why); empty for non-administrators.
    let board = Resource::new(|| (), |_| load_dashboard());
    view! {
        <Title text=""/>
        <Suspense>
            {move || Suspend::new(async move {
                user.await.ok().flatten().map(|u| view! {
                    <h1>"Welcome, " {u.display_name.clone()}</h1>
                    <ul class="cards">
                        <li><a href="/me/tokens">"Your access tokens"</a></li>
                        {u.is_admin.then(|| view! {
                            <li><a href="/admin/tokens">"All tokens"</a></li>
                            <li><a href="/admin/users">"Users"</a></li>
                            <li><a href="/admin/endpoints">"Endpoints"</a></li>
                        })}
                    </ul>
                    {u.is_admin.then(|| view! { <DashboardView board/> })}
                })
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(board: Resource<Result<Option<Dashboard>, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the dashboard…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(Some(board)) => view! { <Board board/> }.into_any(),
                    Ok(None) => ().into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Board(board: Dashboard) -> impl IntoView {
    let counts = board
        .counts
        .into_iter()
        .map(|(status, count)| {
            view! {
                <li><a href=format!("/admin/tokens?status={}", status.as_str())>
                    <span class="count">{count}</span>
                    <span>{status.label()}</span>
                </a></li>
            }
        })
        .collect_view();
    let expiring = if board.expiring.is_empty() {
        view! { <p class="empty">"No token expires in the next 7 days."</p> }.into_any()
    } else {
        view! {
            <ul class="plain lines">
                {board.expiring.into_iter().map(|t| view! {
                    <li><a href=format!("/admin/tokens/{}", t.id)>{t.name.clone()}</a>
                        " (" {t.number.clone()} ", " {t.owner.clone()} ") — last day "
                        <span class="nowrap">{t.expires_at.map(|d| d.to_string()).unwrap_or_default()}</span></li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let refused = if board.refused_today.is_empty() {
        view! { <p class="empty">"No endpoint refused a call today."</p> }.into_any()
    } else {
        view! {
            <ul class="plain lines">
                {board.refused_today.into_iter().map(|r| view! {
                    <li><a href=format!("/admin/endpoints/{}?tab=data&range=day", r.endpoint_id)>{r.name}</a>
                        {format!(" — {} refused", r.calls)}</li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    let recent = board
        .recent
        .into_iter()
        .map(|e| {
            let label = Action::parse(&e.action).map_or(e.action.clone(), |a| a.label().to_owned());
            view! {
                <li><When at=Some(e.at)/> " — " {label}
                    {e.target.map(|t| format!(": {t}"))}
                    {e.actor.map(|a| format!(" by {a}"))}</li>
            }
        })
        .collect_view();
    view! {
        <section class="section" aria-labelledby="status-heading">
            <h2 id="status-heading">"Tokens by status"</h2>
            <ul class="counts">{counts}</ul>
        </section>
        <div class="board">
            <section class="section" aria-labelledby="expiring-heading">
                <h2 id="expiring-heading">"Expiring in the next 7 days"</h2>
                {expiring}
            </section>
            <section class="section" aria-labelledby="refused-heading">
                <h2 id="refused-heading">"Endpoints with refused calls today"</h2>
                {refused}
            </section>
        </div>
        <section class="section" aria-labelledby="recent-heading">
            <h2 id="recent-heading">"Recent audit events"</h2>
            <ul class="plain lines">{recent}</ul>
            <p><a href="/admin/audit">"The whole audit log"</a></p>
        </section>
    }
}

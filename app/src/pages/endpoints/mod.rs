//! Administration > Endpoints, and one endpoint's General, Tokens and Data tabs (each in
//! its own module).
mod data;
mod general;
mod tokens;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use self::data::{DataViewer, TrafficQuery};
use self::general::EndpointFields;
use self::tokens::{AssignedTokens, PrimaryTokens};
use crate::api::endpoints::{
    create_endpoint, endpoint_assignments, get_endpoint, list_endpoint_tokens, list_endpoints,
    update_endpoint, AuthType, EndpointForm, EndpointView,
};
use crate::components::dialog::Modal;
use crate::components::session::{load_page, AdminOnly};
use crate::components::tabs::{TabButton, TabKey, Tabs};
use crate::components::token::When;
use crate::components::url_state::UrlState;
use crate::error::AppError;

#[component]
pub fn EndpointsPage() -> impl IntoView {
    let endpoints = Resource::new(|| (), |_| list_endpoints());
    let create_open = RwSignal::new(false);
    view! {
        <AdminOnly>
            <Title text="Endpoints"/>
            <div class="page-head">
                <h1>"Endpoints"</h1>
                <button type="button" class="primary-inline" on:click=move |_| create_open.set(true)>"+ Endpoint"</button>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading endpoints…"</p> }>
                {move || Suspend::new(async move {
                    match endpoints.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"No endpoints yet. “+ Endpoint” creates one; integrations then send records to /api/v1/endpoints/<path>/records."</p>
                        }.into_any(),
                        Ok(list) => view! { <EndpointTable items=list/> }.into_any(),
                    }
                })}
            </Suspense>
            <Modal title="Create endpoint" open=create_open>
                <EndpointFields initial=EndpointForm { auth_type: "none".into(), ..Default::default() }
                    creating=true on_save=move |form| async move {
                        create_endpoint(form).await.map(|e| load_page(&format!("/admin/endpoints/{}?created=1", e.id)))
                    }/>
            </Modal>
        </AdminOnly>
    }
}

#[component]
fn EndpointTable(items: Vec<EndpointView>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Endpoints">
            <table class="stack">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Path"</th>
                        <th scope="col">"Authentication"</th>
                        <th scope="col">"Deleting"</th>
                        <th scope="col">"Updated"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|e| view! {
                        <tr>
                            <td data-label="Name"><a href=format!("/admin/endpoints/{}", e.id)>{e.name}</a></td>
                            <td data-label="Path"><code>{e.path}</code></td>
                            <td data-label="Authentication">{if e.auth_type == AuthType::Token { "Token" } else { "None" }}</td>
                            <td data-label="Deleting">{if e.allow_deleting { "Allowed" } else { "Not allowed" }}</td>
                            <td data-label="Updated"><When at=Some(e.updated_at)/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    General,
    Tokens,
    Data,
}

impl TabKey for Tab {
    const ALL: &'static [Self] = &[Self::General, Self::Tokens, Self::Data];
    fn key(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Tokens => "tokens",
            Self::Data => "data",
        }
    }
}

/// One endpoint's General, Tokens and Data tabs. Each part waits in its own boundary, side by
/// side, and every resource is made here, outside AdminOnly (see there why): boundaries
/// nested inside a boundary that was still waiting failed to hydrate.
#[component]
pub fn EndpointPage() -> impl IntoView {
    let params = use_params_map();
    let id = params
        .read_untracked()
        .get("id")
        .and_then(|id| id.parse::<i64>().ok())
        .unwrap_or_default();
    let url = UrlState::new(data::PARAMETERS);
    // "Created" after the creating dialog brought us here.
    let created = url.arrived_with("created");
    let loaded = Resource::new(|| (), move |_| get_endpoint(id));
    // What the General tab saved last; until then, what was loaded.
    let saved = RwSignal::new(None::<EndpointView>);
    let endpoint = move || match saved.get() {
        Some(e) => Some(Ok(e)),
        None => loaded.get(),
    };
    let token_endpoint = move || {
        endpoint()
            .and_then(Result::ok)
            .filter(|e| e.auth_type == AuthType::Token)
    };
    // Tokens is a tab only while the endpoint asks for tokens (and before it has loaded, so
    // that a reload on it does not flash General). Learnt in an effect: a resource read
    // outside a boundary while hydrating never updates.
    let offers_tokens = RwSignal::new(true);
    Effect::new(move |_| {
        offers_tokens
            .set(endpoint().is_none_or(|e| e.is_ok_and(|e| e.auth_type == AuthType::Token)));
    });
    let tab = Tabs::<Tab>::offering(url, move |t| t != Tab::Tokens || offers_tokens.get());
    let assignable = Resource::new(
        || (),
        move |_| async move {
            let tokens = list_endpoint_tokens(false).await?;
            let assignments = endpoint_assignments(Some(id), None).await?;
            Ok::<_, AppError>((tokens, assignments))
        },
    );
    let traffic = TrafficQuery::new(id, url);
    view! {
        <AdminOnly>
            <Title text="Endpoint"/>
            <Suspense fallback=|| view! { <h1>"Endpoint"</h1> }>
                {move || match endpoint() {
                    Some(Err(e)) => view! { <h1>"Endpoint"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Some(Ok(e)) => view! { <h1>{e.name}</h1> }.into_any(),
                    None => view! { <h1>"Endpoint"</h1> }.into_any(),
                }}
            </Suspense>
            {move || created.get().then(|| view! { <p class="banner ok" role="status">"Endpoint created."</p> })}
            <div role="tablist" class="tabs" aria-label="Endpoint">
                <TabButton tabs=tab which=Tab::General label="General" panel="panel-general"/>
                <Suspense>
                    {move || token_endpoint().map(|_| view! {
                        <TabButton tabs=tab which=Tab::Tokens label="Tokens" panel="panel-tokens"/>
                    })}
                </Suspense>
                <TabButton tabs=tab which=Tab::Data label="Data" panel="panel-data"/>
            </div>
            <div id="panel-general" role="tabpanel" aria-label="General" hidden=move || tab.get() != Tab::General>
                <Suspense fallback=|| view! { <p class="loading">"Loading endpoint…"</p> }>
                    // Made once from what was loaded: saving keeps the form (and its focus).
                    {move || Suspend::new(async move {
                        loaded.await.ok().map(|e| view! {
                            <EndpointFields creating=false initial=EndpointForm {
                                name: e.name,
                                path: e.path,
                                description: e.description,
                                auth_type: e.auth_type.as_str().to_owned(),
                                allow_deleting: e.allow_deleting,
                            } on_save=move |form| async move {
                                update_endpoint(id, form).await.map(|e| saved.set(Some(e)))
                            }/>
                        })
                    })}
                </Suspense>
            </div>
            <div id="panel-tokens" role="tabpanel" aria-label="Tokens" hidden=move || tab.get() != Tab::Tokens>
                <Suspense fallback=|| view! { <p class="loading">"Loading tokens…"</p> }>
                    {move || token_endpoint().map(|e| view! { <PrimaryTokens endpoint=e/> })}
                </Suspense>
                <AssignedTokens id methods=Signal::derive(move || {
                    token_endpoint()
                        .map(|e| e.primaries.into_iter().map(|p| p.method).collect())
                        .unwrap_or_default()
                }) data=assignable/>
            </div>
            <div id="panel-data" role="tabpanel" aria-label="Data" hidden=move || tab.get() != Tab::Data>
                <DataViewer query=traffic shown=Signal::derive(move || tab.get() == Tab::Data)/>
            </div>
        </AdminOnly>
    }
}

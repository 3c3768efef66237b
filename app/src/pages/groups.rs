//! Administration > Groups, and one group's General, Members and Rights tabs. Auditors see
//! the same pages without a button that changes anything.
use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::groups::{
    add_group_member, create_group, delete_group, get_group, list_groups, remove_group_member,
    update_group,
};
use crate::components::dialog::{ConfirmDialog, Confirmation, Modal};
use crate::components::form::{Submission, TextField};
use crate::components::session::{load_page, ForAdmins, OverseerOnly};
use crate::components::tabs::{TabButton, TabKey, Tabs};
use crate::components::url_state::UrlState;
use crate::error::AppError;
use crate::model::endpoint::Method;
use crate::model::group::{Group, GroupChanges, GroupDetail, NewGroup};
use crate::model::rights::{Right, RightKind, Target};

#[component]
pub fn GroupsPage() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_groups());
    let create_open = RwSignal::new(false);
    view! {
        <OverseerOnly>
            <Title text="Groups"/>
            <div class="page-head">
                <h1>"Groups"</h1>
                <ForAdmins>
                    <button type="button" class="primary-inline" on:click=move |_| create_open.set(true)>"+ Group"</button>
                </ForAdmins>
            </div>
            <p class="hint">"A user holds the rights of every group they belong to; a token never does more than its scopes allow within them."</p>
            <Suspense fallback=|| view! { <p class="loading">"Loading groups…"</p> }>
                {move || Suspend::new(async move {
                    match groups.await {
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(list) => view! { <GroupTable items=list/> }.into_any(),
                    }
                })}
            </Suspense>
            <Modal title="Create group" open=create_open>
                <CreateGroup/>
            </Modal>
        </OverseerOnly>
    }
}

fn rights_summary(rights: &[Right]) -> String {
    if rights.is_empty() {
        return "None".into();
    }
    rights
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[component]
fn GroupTable(items: Vec<Group>) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label="Groups">
            <table class="stack">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col">"Members"</th>
                        <th scope="col">"Rights"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|g| view! {
                        <tr>
                            <td data-label="Name">
                                <a href=format!("/admin/groups/{}", g.id)>{g.name}</a>
                                {g.builtin.then(|| view! { " " <span class="badge muted">"Built-in"</span> })}
                            </td>
                            <td data-label="Description">{g.description}</td>
                            <td data-label="Members">{g.members}</td>
                            <td data-label="Rights">{rights_summary(&g.rights)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CreateGroup() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let submission = Submission::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let new = NewGroup {
            name: name.get_untracked(),
            description: Some(description.get_untracked()),
            rights: Vec::new(),
        };
        submission.run(async move {
            let id = create_group(new).await?;
            load_page(&format!("/admin/groups/{id}?tab=rights"));
            Ok(())
        });
    };
    view! {
        <form on:submit=submit novalidate>
            <TextField id="new-group-name".into() label="Name" field="name" submission
                value=name on_input=move |v| name.set(v)/>
            <TextField id="new-group-description".into() label="Description" field="description" submission
                value=description on_input=move |v| description.set(v)/>
            {submission.form_error()}
            <button type="submit" class="primary-inline" disabled=move || submission.saving()>"Create"</button>
        </form>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    General,
    Members,
    Rights,
}

impl TabKey for Tab {
    const ALL: &'static [Self] = &[Self::General, Self::Members, Self::Rights];
    fn key(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Members => "members",
            Self::Rights => "rights",
        }
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let group_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let tab = Tabs::<Tab>::new(UrlState::new(&["tab"]));
    // Moves on after every change, so that each tab shows what was saved.
    let version = RwSignal::new(0u32);
    let detail = Resource::new(
        move || (group_id(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_group(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let changed = move || version.update(|v| *v += 1);
    // Made here, not in the tab: a change reloads the tabs, and the message must outlive it.
    let members_notice = RwSignal::new(None::<String>);
    view! {
        <OverseerOnly>
            <Title text="Group"/>
            <Suspense fallback=|| view! { <h1>"Group"</h1> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <h1>{d.group.name}</h1> }.into_any(),
                        Err(e) => view! { <h1>"Group"</h1><p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href="/admin/groups">"← All groups"</a></p>
            <div role="tablist" class="tabs" aria-label="Group">
                <TabButton tabs=tab which=Tab::General label="General" panel="panel-general"/>
                <TabButton tabs=tab which=Tab::Members label="Members" panel="panel-members"/>
                <TabButton tabs=tab which=Tab::Rights label="Rights" panel="panel-rights"/>
            </div>
            <Suspense fallback=|| view! { <p class="loading">"Loading group…"</p> }>
                {move || Suspend::new(async move {
                    detail.await.ok().map(|d| view! {
                        <div id="panel-general" role="tabpanel" aria-label="General" hidden=move || tab.get() != Tab::General>
                            <GeneralTab detail=d.clone()/>
                        </div>
                        <div id="panel-members" role="tabpanel" aria-label="Members" hidden=move || tab.get() != Tab::Members>
                            <MembersTab detail=d.clone() changed message=members_notice/>
                        </div>
                        <div id="panel-rights" role="tabpanel" aria-label="Rights" hidden=move || tab.get() != Tab::Rights>
                            <RightsTab detail=d/>
                        </div>
                    })
                })}
            </Suspense>
        </OverseerOnly>
    }
}

#[component]
fn GeneralTab(detail: GroupDetail) -> impl IntoView {
    let GroupDetail {
        group, may_change, ..
    } = detail;
    let id = group.id;
    let builtin = group.builtin;
    let name = RwSignal::new(group.name.clone());
    let description = RwSignal::new(group.description.clone());
    let submission = Submission::new();
    let confirmation = Confirmation::new();
    let delete_error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changes = GroupChanges {
            name: (!builtin).then(|| name.get_untracked()),
            description: Some(description.get_untracked()),
            rights: None,
        };
        submission.run(update_group(id, changes));
    };
    let group_name = group.name.clone();
    let ask_delete = move |_| {
        confirmation.ask(
            format!("Delete the group {group_name}? Its members lose its rights at once."),
            "Delete",
            move || {
                leptos::task::spawn_local(async move {
                    match delete_group(id).await {
                        Ok(()) => load_page("/admin/groups"),
                        Err(e) => delete_error.set(Some(e.to_string())),
                    }
                });
            },
        );
    };
    if !may_change {
        return view! {
            <dl class="facts">
                <dt>"Name"</dt><dd>{group.name}</dd>
                <dt>"Description"</dt><dd>{group.description}</dd>
            </dl>
        }
        .into_any();
    }
    view! {
        <form on:submit=submit novalidate>
            {if builtin {
                view! { <p class="hint">"A built-in group keeps its name and rights, and cannot be deleted."</p> }.into_any()
            } else {
                view! {
                    <TextField id="group-name".into() label="Name" field="name" submission
                        value=name on_input=move |v| name.set(v)/>
                }.into_any()
            }}
            <TextField id="group-description".into() label="Description" field="description" submission
                value=description on_input=move |v| description.set(v)/>
            <p role="status" class="status-line">{move || submission.saved().then_some("Saved.")}</p>
            {submission.form_error()}
            <button type="submit" class="primary-inline" disabled=move || submission.saving()>"Save"</button>
        </form>
        {(!builtin).then(|| view! {
            <section class="section">
                <h2>"Delete"</h2>
                <button type="button" class="danger" on:click=ask_delete>"Delete group"</button>
                <p role="alert" class="error">{move || delete_error.get()}</p>
            </section>
        })}
        <ConfirmDialog confirmation/>
    }
    .into_any()
}

#[component]
fn MembersTab(
    detail: GroupDetail,
    changed: impl Fn() + Copy + Send + Sync + 'static,
    message: RwSignal<Option<String>>,
) -> impl IntoView {
    let GroupDetail {
        group,
        members,
        may_change,
        ..
    } = detail;
    let id = group.id;
    let add_open = RwSignal::new(false);
    let username = RwSignal::new(String::new());
    let submission = Submission::new();
    let confirmation = Confirmation::new();
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let name = username.get_untracked();
        submission.run(async move {
            add_group_member(id, name.clone()).await?;
            add_open.set(false);
            username.set(String::new());
            message.set(Some(format!("{} added.", name.trim())));
            changed();
            Ok(())
        });
    };
    let group_name = group.name.clone();
    view! {
        {may_change.then(|| view! {
            <button type="button" class="primary-inline" on:click=move |_| add_open.set(true)>"Add member"</button>
        })}
        <p role="status" class="status-line">{move || message.get()}</p>
        {if members.is_empty() {
            view! { <p class="empty">"No members yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap" tabindex="0" role="region" aria-label="Members">
                    <table class="stack">
                        <thead>
                            <tr>
                                <th scope="col">"Username"</th>
                                <th scope="col">"Display name"</th>
                                {may_change.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                            </tr>
                        </thead>
                        <tbody>
                            {members.into_iter().map(|m| {
                                let group_name = group_name.clone();
                                let username = m.username.clone();
                                let remove = move |_| {
                                    let username = username.clone();
                                    confirmation.ask(
                                        format!("Remove {username} from {group_name}? They lose its rights at once."),
                                        "Remove",
                                        move || {
                                            let username = username.clone();
                                            leptos::task::spawn_local(async move {
                                                match remove_group_member(id, m.id).await {
                                                    Ok(()) => {
                                                        message.set(Some(format!("{username} removed.")));
                                                        changed();
                                                    }
                                                    Err(e) => message.set(Some(e.to_string())),
                                                }
                                            });
                                        },
                                    );
                                };
                                view! {
                                    <tr>
                                        <td data-label="Username"><a href=format!("/admin/users/{}", m.id)>{m.username.clone()}</a></td>
                                        <td data-label="Display name">{m.display_name}</td>
                                        {may_change.then(|| view! {
                                            <td><button type="button" class="secondary" on:click=remove>{format!("Remove {}", m.username)}</button></td>
                                        })}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
        <Modal title="Add member" open=add_open>
            <form on:submit=add novalidate>
                <TextField id="member-username".into() label="Username" field="username" submission
                    value=username on_input=move |v| username.set(v)/>
                {submission.form_error()}
                <div class="buttons">
                    <button type="submit" class="primary-inline" disabled=move || submission.saving()>"Add"</button>
                    <button type="button" class="secondary" on:click=move |_| add_open.set(false)>"Cancel"</button>
                </div>
            </form>
        </Modal>
        <ConfirmDialog confirmation/>
    }
}

/// Saving keeps the tab as it is (its boxes already show what was saved), so its "Rights
/// saved." stays in view.
#[component]
fn RightsTab(detail: GroupDetail) -> impl IntoView {
    let GroupDetail {
        group,
        endpoints,
        groups,
        may_change,
        ..
    } = detail;
    let id = group.id;
    let editable = may_change && !group.builtin;
    let chosen = RwSignal::new(group.rights.iter().cloned().collect::<BTreeSet<Right>>());
    let submission = Submission::new();
    let checkbox = move |right: Right, label: String, description: &'static str| {
        view! {
            <label class="check">
                <RightCheck right chosen editable/>
                <code>{label}</code>
                " "
                <span class="hint">{description}</span>
            </label>
        }
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let changes = GroupChanges {
            rights: Some(chosen.get_untracked().into_iter().collect()),
            ..Default::default()
        };
        submission.run(update_group(id, changes));
    };
    view! {
        <form on:submit=save novalidate>
            {group.builtin.then(|| view! { <p class="hint">"The rights of a built-in group are fixed."</p> })}
            <fieldset>
                <legend>"Rights"</legend>
                {checkbox(Right::plain(RightKind::Admin), "admin".into(), RightKind::Admin.description())}
                {checkbox(Right::plain(RightKind::AuditRead), "audit:read".into(), RightKind::AuditRead.description())}
            </fieldset>
            <fieldset>
                <legend>"Manage the tokens of a group's members (tokens:manage)"</legend>
                {groups.into_iter().map(|(target, name)| checkbox(
                    Right { right: RightKind::TokensManage, target: Some(Target::Group(target)) },
                    format!("tokens:manage {name}"),
                    "",
                )).collect_view()}
            </fieldset>
            <fieldset>
                <legend>"Endpoint records"</legend>
                {if endpoints.is_empty() {
                    view! { <p class="empty">"No endpoints yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label="Endpoint rights">
                            <table>
                                <thead>
                                    <tr>
                                        <th scope="col">"Endpoint"</th>
                                        {Method::ALL.map(|m| view! { <th scope="col">{m.as_str()}</th> }).collect_view()}
                                    </tr>
                                </thead>
                                <tbody>
                                    {endpoints.into_iter().map(|path| view! {
                                        <tr>
                                            <th scope="row"><code>{path.clone()}</code></th>
                                            {Method::ALL.map(|method| {
                                                let right = Right::endpoint(method, &path);
                                                let label = format!("{method} {path}");
                                                view! { <td><RightCheck right chosen editable aria_label=label/></td> }
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            </fieldset>
            <p role="status" class="status-line">{move || submission.saved().then_some("Rights saved.")}</p>
            {submission.form_error()}
            {editable.then(|| view! {
                <button type="submit" class="primary-inline" disabled=move || submission.saving()>"Save rights"</button>
            })}
        </form>
    }
}

/// One right's checkbox, kept in `chosen` until the form is saved.
#[component]
fn RightCheck(
    right: Right,
    chosen: RwSignal<BTreeSet<Right>>,
    editable: bool,
    #[prop(optional, into)] aria_label: Option<String>,
) -> impl IntoView {
    let has = right.clone();
    view! {
        <input type="checkbox" disabled=!editable aria-label=aria_label
            prop:checked=move || chosen.with(|c| c.contains(&has))
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                chosen.update(|c| {
                    if on {
                        c.insert(right.clone());
                    } else {
                        c.remove(&right);
                    }
                });
            }/>
    }
}

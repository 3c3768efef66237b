//! Groups, their members and their rights (DESIGN 8.1). A user's rights are the union of
//! their groups' rights, read afresh on every cache fill: every change here goes through the
//! change path, so it reaches the next request on every instance.
//!
//! The rules that keep rights from escalating live here: nobody adds themselves to a group
//! or grants a group they belong to a right it lacked, the built-in groups keep their names
//! and rights, and no change leaves the instance without an administrator who may act.
use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    sea_query::{Expr, Query},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    NotSet, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::{required_within, trimmed_within};
use crate::model::group::{Group, GroupChanges, GroupDetail, Member, NewGroup};
use crate::model::rights::{Right, RightKind, Rights, Target};
use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{endpoint, group, group_right, membership, user};
use crate::server::error::{Result, ServiceError};

pub const ADMINISTRATORS: &str = "Administrators";
pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 1000;
const NAME_TAKEN: &str = "A group with this name already exists";

/// The groups a user belongs to and the rights they give, now.
#[derive(Clone, Debug, Default)]
pub struct Standing {
    /// Group names, in name order.
    pub groups: Vec<String>,
    pub rights: Rights,
}

/// Where `user_id` stands now.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn standing_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Standing> {
    Ok(standing_of_users(db, &[user_id])
        .await?
        .remove(&user_id)
        .unwrap_or_default())
}

/// Where each of `user_ids` stands (those in no group are left out): three queries for
/// any number of users.
pub async fn standing_of_users(
    db: &impl ConnectionTrait,
    user_ids: &[i64],
) -> Result<HashMap<i64, Standing>> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.is_in(user_ids.iter().copied()))
        .all(db)
        .await?;
    let group_ids: BTreeSet<i64> = memberships.iter().map(|m| m.group_id).collect();
    let mut by_group: HashMap<i64, Vec<Right>> = HashMap::new();
    for row in group_right::Entity::find()
        .filter(group_right::Column::GroupId.is_in(group_ids.iter().copied()))
        .all(db)
        .await?
    {
        if let Some(right) = Right::from_stored(&row.right, &row.target) {
            by_group.entry(row.group_id).or_default().push(right);
        }
    }
    let mut members: HashMap<i64, Vec<i64>> = HashMap::new();
    for m in memberships {
        members.entry(m.group_id).or_default().push(m.user_id);
    }
    // In name order, so that each user's groups come out sorted.
    let groups = group::Entity::find()
        .filter(group::Column::Id.is_in(group_ids))
        .order_by_asc(group::Column::NameKey)
        .all(db)
        .await?;
    let mut gathered: HashMap<i64, (Vec<String>, Vec<Right>)> = HashMap::new();
    for group in groups {
        let rights = by_group.remove(&group.id).unwrap_or_default();
        for user_id in members.remove(&group.id).unwrap_or_default() {
            let (names, held) = gathered.entry(user_id).or_default();
            names.push(group.name.clone());
            held.extend(rights.iter().cloned());
        }
    }
    Ok(gathered
        .into_iter()
        .map(|(user_id, (groups, rights))| {
            let rights = rights.into_iter().collect();
            (user_id, Standing { groups, rights })
        })
        .collect())
}

pub(crate) async fn administrators(db: &impl ConnectionTrait) -> Result<group::Model> {
    group::Entity::find()
        .filter(group::Column::Name.eq(ADMINISTRATORS))
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::Internal("the Administrators group is missing".into()))
}

/// Users who hold `admin` (through any group) and may act on day `on`: not locked, within
/// `active_until`.
pub(crate) async fn usable_admins(db: &impl ConnectionTrait, on: NaiveDate) -> Result<u64> {
    let admin_groups = Query::select()
        .column(group_right::Column::GroupId)
        .from(group_right::Entity)
        .and_where(group_right::Column::Right.eq(RightKind::Admin.as_str()))
        .to_owned();
    let members = Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(membership::Column::GroupId.in_subquery(admin_groups))
        .to_owned();
    Ok(user::Entity::find()
        .filter(user::Column::Id.in_subquery(members))
        .filter(user::Column::Locked.eq(false))
        .filter(
            Condition::any()
                .add(user::Column::ActiveUntil.is_null())
                .add(user::Column::ActiveUntil.gte(on)),
        )
        .count(db)
        .await?)
}

/// Refuses a change that left nobody to administer the instance today.
pub(crate) async fn check_an_admin_remains(
    db: &impl ConnectionTrait,
    on: NaiveDate,
    field: &'static str,
) -> Result<()> {
    if usable_admins(db, on).await? == 0 {
        return Err(ServiceError::Conflict {
            field,
            message: "At least one active administrator must remain: make someone else an \
                      administrator first"
                .into(),
        });
    }
    Ok(())
}

/// Endpoint rights name the endpoint by its path: when the path changes, the rights move
/// with it in the same change (else its readers would lose it, and a later endpoint given
/// the old path would inherit them).
pub async fn follow_endpoint(db: &impl ConnectionTrait, from: &str, to: &str) -> Result<()> {
    let endpoint_rights = [
        RightKind::EndpointGet,
        RightKind::EndpointPost,
        RightKind::EndpointDelete,
    ]
    .map(RightKind::as_str);
    group_right::Entity::update_many()
        .col_expr(group_right::Column::Target, Expr::value(to))
        .filter(group_right::Column::Right.is_in(endpoint_rights))
        .filter(group_right::Column::Target.eq(from))
        .exec(db)
        .await?;
    Ok(())
}

/// Every group, in name order.
#[tracing::instrument(skip_all)]
pub async fn list(db: &impl ConnectionTrait, _overseer: &Overseer) -> Result<Vec<Group>> {
    let groups = group::Entity::find()
        .order_by_asc(group::Column::NameKey)
        .all(db)
        .await?;
    views(db, groups).await
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn get(db: &impl ConnectionTrait, _overseer: &Overseer, id: i64) -> Result<Group> {
    view(db, find(db, id).await?).await
}

/// A group's members, in username order.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn members(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
    id: i64,
) -> Result<Vec<Member>> {
    find(db, id).await?;
    let ids = Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(membership::Column::GroupId.eq(id))
        .to_owned();
    Ok(user::Entity::find()
        .filter(user::Column::Id.in_subquery(ids))
        .order_by_asc(user::Column::UsernameKey)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Member {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
        })
        .collect())
}

/// A group's page: the group, its members, and what its Rights tab offers.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn detail(
    db: &impl ConnectionTrait,
    overseer: &Overseer,
    id: i64,
) -> Result<GroupDetail> {
    let group = get(db, overseer, id).await?;
    let members = members(db, overseer, id).await?;
    let endpoints = endpoint::Entity::find()
        .order_by_asc(endpoint::Column::Path)
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.path)
        .collect();
    let groups = group::Entity::find()
        .order_by_asc(group::Column::NameKey)
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.name))
        .collect();
    Ok(GroupDetail {
        group,
        members,
        endpoints,
        groups,
        may_change: overseer.grant().admin().is_some(),
    })
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    new: NewGroup,
) -> Result<Group> {
    let name = group_name(&new.name)?;
    let description = trimmed_within(
        new.description.as_deref().unwrap_or_default(),
        "description",
        "Description",
        DESCRIPTION_MAX,
    )?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let rights = checked_rights(txn, new.rights).await?;
    check_name_free(txn, &name, None).await?;
    let created = group::ActiveModel {
        id: NotSet,
        name_key: Set(name.to_lowercase()),
        name: Set(name),
        description: Set(description),
        builtin: Set(false),
    }
    .insert(txn)
    .await
    .map_err(name_taken)?;
    store_rights(txn, created.id, &rights).await?;
    change
        .audit(
            Event::by(admin.username(), Action::GroupCreate, &created.name)
                .details(serde_json::json!({ "rights": rights })),
        )
        .await?;
    let group = view(txn, created).await?;
    change.commit().await?;
    Ok(group)
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn update(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    changes: GroupChanges,
) -> Result<Group> {
    let name = changes.name.as_deref().map(group_name).transpose()?;
    let description = changes
        .description
        .as_deref()
        .map(|d| trimmed_within(d, "description", "Description", DESCRIPTION_MAX))
        .transpose()?;
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let found = find(txn, id).await?;
    let before = stored_rights(txn, id).await?;
    let rights = match changes.rights {
        Some(rights) => Some(checked_rights(txn, rights).await?),
        None => None,
    };
    if found.builtin {
        if name.as_ref().is_some_and(|name| *name != found.name) {
            return Err(builtin("name", "Built-in groups cannot be renamed"));
        }
        if rights.as_ref().is_some_and(|rights| *rights != before) {
            return Err(builtin(
                "rights",
                "The rights of a built-in group are fixed",
            ));
        }
    }
    if let Some(rights) = &rights {
        // Nobody grants their own group a right: another administrator must.
        if !rights.is_subset(&before) && is_member(txn, id, admin.account().user.id).await? {
            return Err(ServiceError::Forbidden);
        }
    }
    if let Some(name) = &name {
        check_name_free(txn, name, Some(id)).await?;
    }
    let updated = if name.is_some() || description.is_some() {
        let mut active: group::ActiveModel = found.clone().into();
        if let Some(name) = name.clone() {
            active.name_key = Set(name.to_lowercase());
            active.name = Set(name);
        }
        if let Some(description) = description.clone() {
            active.description = Set(description);
        }
        active.update(txn).await.map_err(name_taken)?
    } else {
        found.clone()
    };
    if let Some(rights) = &rights {
        group_right::Entity::delete_many()
            .filter(group_right::Column::GroupId.eq(id))
            .exec(txn)
            .await?;
        store_rights(txn, id, rights).await?;
        check_an_admin_remains(txn, Utc::now().date_naive(), "rights").await?;
    }
    change
        .audit(
            Event::by(admin.username(), Action::GroupUpdate, &found.name).details(
                serde_json::json!({
                    "name": name,
                    "description": description.is_some(),
                    "rights": rights,
                }),
            ),
        )
        .await?;
    let group = view(txn, updated).await?;
    change.commit().await?;
    Ok(group)
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn delete(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
) -> Result<()> {
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let found = find(txn, id).await?;
    if found.builtin {
        return Err(builtin("name", "Built-in groups cannot be deleted"));
    }
    let members = member_count(txn, id).await?;
    group::Entity::delete_by_id(id).exec(txn).await?;
    // `tokens:manage` rights that named it name nothing now.
    group_right::Entity::delete_many()
        .filter(group_right::Column::Right.eq(RightKind::TokensManage.as_str()))
        .filter(group_right::Column::Target.eq(id.to_string()))
        .exec(txn)
        .await?;
    check_an_admin_remains(txn, Utc::now().date_naive(), "members").await?;
    change
        .audit(
            Event::by(admin.username(), Action::GroupDelete, &found.name)
                .details(serde_json::json!({ "members": members })),
        )
        .await?;
    change.commit().await
}

/// Adds `user_id` to the group; adding a member twice changes nothing.
#[tracing::instrument(skip_all, fields(id = id, user_id = user_id))]
pub async fn add_member(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    user_id: i64,
) -> Result<()> {
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let found = find(txn, id).await?;
    let member = user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    if is_member(txn, id, user_id).await? {
        return change.rollback().await;
    }
    // Nobody grants themselves a right: another administrator adds them.
    if user_id == admin.account().user.id {
        return Err(ServiceError::Forbidden);
    }
    membership::ActiveModel {
        user_id: Set(user_id),
        group_id: Set(id),
    }
    .insert(txn)
    .await?;
    change
        .audit(
            Event::by(admin.username(), Action::GroupMemberAdd, &member.username)
                .details(serde_json::json!({ "group": found.name })),
        )
        .await?;
    change.commit().await
}

/// Removes `user_id` from the group: 404 when they are not a member, 409 when they are the
/// last administrator who may act.
#[tracing::instrument(skip_all, fields(id = id, user_id = user_id))]
pub async fn remove_member(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    id: i64,
    user_id: i64,
) -> Result<()> {
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let found = find(txn, id).await?;
    let removed = membership::Entity::delete_by_id((user_id, id))
        .exec(txn)
        .await?;
    if removed.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    check_an_admin_remains(txn, Utc::now().date_naive(), "members").await?;
    let username = user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .map(|u| u.username)
        .unwrap_or_default();
    change
        .audit(
            Event::by(admin.username(), Action::GroupMemberRemove, &username)
                .details(serde_json::json!({ "group": found.name })),
        )
        .await?;
    change.commit().await
}

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<group::Model> {
    group::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ServiceError::NotFound)
}

async fn is_member(db: &impl ConnectionTrait, id: i64, user_id: i64) -> Result<bool> {
    Ok(membership::Entity::find_by_id((user_id, id))
        .one(db)
        .await?
        .is_some())
}

async fn member_count(db: &impl ConnectionTrait, id: i64) -> Result<u64> {
    Ok(membership::Entity::find()
        .filter(membership::Column::GroupId.eq(id))
        .count(db)
        .await?)
}

/// A name as given (trimmed, not blank, no control characters), whose lower-cased key fits
/// as well: lower-casing lengthens some letters (`İ` becomes two characters).
fn group_name(text: &str) -> Result<String> {
    let name = required_within(text, "name", "Name", NAME_MAX)?;
    if name.to_lowercase().chars().count() > NAME_MAX {
        return Err(ServiceError::validation(
            "name",
            format!("Name must be at most {NAME_MAX} characters"),
        ));
    }
    Ok(name)
}

fn builtin(field: &'static str, message: &str) -> ServiceError {
    ServiceError::Conflict {
        field,
        message: message.into(),
    }
}

fn name_taken(err: sea_orm::DbErr) -> ServiceError {
    ServiceError::from_db_unique(err, "name", NAME_TAKEN)
}

/// Read inside the change, which is ordered after every other: two groups named alike at
/// once cannot both pass (and the unique index stands behind it).
async fn check_name_free(db: &impl ConnectionTrait, name: &str, except: Option<i64>) -> Result<()> {
    let mut select = group::Entity::find().filter(group::Column::NameKey.eq(name.to_lowercase()));
    if let Some(id) = except {
        select = select.filter(group::Column::Id.ne(id));
    }
    if select.one(db).await?.is_some() {
        return Err(ServiceError::Conflict {
            field: "name",
            message: NAME_TAKEN.into(),
        });
    }
    Ok(())
}

/// The most rights one group holds: more than every endpoint × method of a large instance.
pub const RIGHTS_MAX: usize = 1000;

/// The rights asked for, each in the shape its kind needs and naming something that exists.
async fn checked_rights(db: &impl ConnectionTrait, rights: Vec<Right>) -> Result<BTreeSet<Right>> {
    if rights.len() > RIGHTS_MAX {
        return Err(ServiceError::validation(
            "rights",
            format!("A group holds at most {RIGHTS_MAX} rights"),
        ));
    }
    let mut checked = BTreeSet::new();
    for right in rights {
        let right = right
            .checked()
            .map_err(|message| ServiceError::validation("rights", message))?;
        let missing = match &right.target {
            Some(Target::Group(id)) => group::Entity::find_by_id(*id)
                .one(db)
                .await?
                .is_none()
                .then(|| format!("No group has the id {id}")),
            Some(Target::Endpoint(path)) => endpoint::Entity::find()
                .filter(endpoint::Column::Path.eq(path.as_str()))
                .one(db)
                .await?
                .is_none()
                .then(|| format!("No endpoint has the path \"{path:.100}\"")),
            None => None,
        };
        if let Some(message) = missing {
            return Err(ServiceError::validation("rights", message));
        }
        checked.insert(right);
    }
    Ok(checked)
}

async fn stored_rights(db: &impl ConnectionTrait, id: i64) -> Result<BTreeSet<Right>> {
    Ok(group_right::Entity::find()
        .filter(group_right::Column::GroupId.eq(id))
        .all(db)
        .await?
        .iter()
        .filter_map(|row| Right::from_stored(&row.right, &row.target))
        .collect())
}

async fn store_rights(db: &impl ConnectionTrait, id: i64, rights: &BTreeSet<Right>) -> Result<()> {
    for right in rights {
        let (name, target) = right.to_stored();
        group_right::ActiveModel {
            id: NotSet,
            group_id: Set(id),
            right: Set(name.to_owned()),
            target: Set(target),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn view(db: &impl ConnectionTrait, group: group::Model) -> Result<Group> {
    let mut views = views(db, vec![group]).await?;
    views.pop().ok_or(ServiceError::NotFound)
}

async fn views(db: &impl ConnectionTrait, groups: Vec<group::Model>) -> Result<Vec<Group>> {
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let mut rights: HashMap<i64, Vec<Right>> = HashMap::new();
    for row in group_right::Entity::find()
        .filter(group_right::Column::GroupId.is_in(ids.iter().copied()))
        .order_by_asc(group_right::Column::Id)
        .all(db)
        .await?
    {
        if let Some(right) = Right::from_stored(&row.right, &row.target) {
            rights.entry(row.group_id).or_default().push(right);
        }
    }
    let mut counts: HashMap<i64, u64> = HashMap::new();
    for m in membership::Entity::find()
        .filter(membership::Column::GroupId.is_in(ids))
        .all(db)
        .await?
    {
        *counts.entry(m.group_id).or_default() += 1;
    }
    Ok(groups
        .into_iter()
        .map(|g| Group {
            rights: rights.remove(&g.id).unwrap_or_default(),
            members: counts.get(&g.id).copied().unwrap_or_default(),
            id: g.id,
            name: g.name,
            description: g.description,
            builtin: g.builtin,
        })
        .collect())
}

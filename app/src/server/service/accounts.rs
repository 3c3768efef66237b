//! Users: creation, changes (with the Administrators shortcut), lookups and lists.
use chrono::{NaiveDate, Utc};
use rand::{distr::Alphanumeric, RngExt};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};
use unicode_normalization::UnicodeNormalization;

use super::groups;
use super::limits::{self, Key};
use super::{passwords, trimmed_within};
pub use crate::server::account::Account;
use crate::server::audit_log::{Action, Event};
use crate::server::authz::{Admin, Overseer};
use crate::server::cache::AuthCache;
use crate::server::change::Change;
use crate::server::entity::{membership, user};
use crate::server::error::{Result, ServiceError};
use crate::server::session::DbSessionStore;

pub const USERNAME_MAX_LEN: usize = 64;

/// What is needed to create a user; validated by [`create_user`].
#[derive(Clone, Debug, Default)]
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub admin: bool,
    pub technical: bool,
    pub active_until: Option<NaiveDate>,
}

/// The case-insensitive key under which a username is unique.
pub fn username_key(username: &str) -> String {
    username.trim().nfkc().collect::<String>().to_lowercase()
}

/// The key a username had before keys were kept in compatibility form: users made then
/// whose new key another user already had keep this one (see [`fill_skeletons`]).
fn legacy_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// What a username looks like (Unicode TR39's skeleton): `аdmin` with a Cyrillic а, `rοot`
/// with a Greek ο, `admın` with a dotless ı, `r00t` with zeros and `aIice` with a capital I
/// look like `admin`, `root` and `alice`, and a new username may not look like an existing
/// one. The skeleton is taken before folding case (it maps `0` to `O` and `I` to `l`),
/// folded, and taken again; names that differ only in case share a key anyway.
pub fn username_skeleton(username: &str) -> String {
    let compatible: String = username.trim().nfkc().collect();
    let looks: String = unicode_security::skeleton(&compatible).collect();
    unicode_security::skeleton(&looks.to_lowercase()).collect()
}

/// Fills in the look of users created before it was kept (see [`username_skeleton`]), and
/// gives their key its compatibility form where no other user has that key already.
#[tracing::instrument(skip_all)]
pub async fn fill_skeletons(db: &DatabaseConnection) -> Result<usize> {
    let users = user::Entity::find()
        .filter(user::Column::UsernameSkeleton.is_null())
        .all(db)
        .await?;
    for user in &users {
        user::Entity::update_many()
            .col_expr(
                user::Column::UsernameSkeleton,
                Expr::value(username_skeleton(&user.username)),
            )
            .filter(user::Column::Id.eq(user.id))
            .exec(db)
            .await?;
        let key = username_key(&user.username);
        if key == user.username_key {
            continue;
        }
        let renamed = user::Entity::update_many()
            .col_expr(user::Column::UsernameKey, Expr::value(key))
            .filter(user::Column::Id.eq(user.id))
            .exec(db)
            .await;
        match renamed {
            Ok(_) => {}
            // Its compatibility form is another user's name: it keeps its old key, under
            // which `find_by_username` still finds it.
            Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                tracing::warn!(
                    user = user.id,
                    "a username is another's in compatibility form; it keeps its old key"
                );
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(users.len())
}

/// Letters, digits and `. _ - @`, up to 64 characters: safe in URLs, logs and audit lines.
/// Returned in Unicode's compatibility form (NFKC), so `ａｄｍｉｎ` is `admin`.
pub fn validate_username(username: &str) -> Result<String> {
    let username: String = username.trim().nfkc().collect();
    let username = username.as_str();
    if username.is_empty() {
        return Err(ServiceError::validation("username", "Enter a username"));
    }
    // Folding case may lengthen a name (`İ` is two characters in lower case); the key
    // must fit too.
    if username
        .chars()
        .count()
        .max(username_key(username).chars().count())
        > USERNAME_MAX_LEN
    {
        return Err(ServiceError::validation(
            "username",
            format!("Username must be at most {USERNAME_MAX_LEN} characters"),
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
    {
        return Err(ServiceError::validation(
            "username",
            "Username may contain only letters, digits and . _ - @",
        ));
    }
    Ok(username.to_owned())
}

fn validate_optional(value: Option<String>, field: &'static str, max: usize) -> Result<String> {
    trimmed_within(&value.unwrap_or_default(), field, &capitalized(field), max)
}

fn capitalized(field: &str) -> String {
    let label = field.replace('_', " ");
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `user` with their groups and the rights those give now.
pub async fn account_of(db: &impl ConnectionTrait, user: user::Model) -> Result<Account> {
    let groups::Standing { groups, rights } = groups::standing_of(db, user.id).await?;
    Ok(Account {
        user,
        groups,
        rights,
    })
}

/// Who creates a user: an administrator, or the operator (first start and the command line,
/// which have the database anyway).
#[derive(Clone, Copy, Debug)]
pub enum Creator<'a> {
    Admin(&'a Admin),
    Operator,
}

/// Creates a user, validating every field.
#[tracing::instrument(skip_all)]
pub async fn create_user(
    db: &DatabaseConnection,
    cache: &AuthCache,
    new: NewUser,
    creator: Creator<'_>,
) -> Result<user::Model> {
    let username = validate_username(&new.username)?;
    let skeleton = username_skeleton(&username);
    let display_name = validate_optional(new.display_name, "display_name", 200)?;
    let email = validate_optional(new.email, "email", 254)?;
    if !email.is_empty() && !email.contains('@') {
        return Err(ServiceError::validation(
            "email",
            "Enter a valid email address",
        ));
    }
    passwords::validate(&new.password, &[&username, &display_name, &email])?;
    let password_hash = passwords::hash(new.password).await?;
    let now = Utc::now();

    let (change, actor) = match creator {
        Creator::Admin(admin) => (
            Change::acting(db, cache, admin.grant()).await?,
            Some(admin.username()),
        ),
        Creator::Operator => (Change::begin(db, cache).await?, None),
    };
    let txn = change.db();
    // Read inside the change, which is ordered after every other: two look-alike names
    // created at once cannot both pass.
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::UsernameSkeleton.eq(&skeleton))
        .one(txn)
        .await?
    {
        return Err(ServiceError::Conflict {
            field: "username",
            message: if existing.username_key == username_key(&username) {
                "This username is already taken".into()
            } else {
                format!(
                    "This username looks like the existing “{}”",
                    existing.username
                )
            },
        });
    }
    let created = user::ActiveModel {
        id: NotSet,
        username_key: Set(username_key(&username)),
        username_skeleton: Set(Some(skeleton)),
        display_name: Set(if display_name.is_empty() {
            username.clone()
        } else {
            display_name
        }),
        username: Set(username),
        email: Set(email),
        password_hash: Set(password_hash),
        technical: Set(new.technical),
        locked: Set(false),
        active_until: Set(new.active_until),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(txn)
    .await
    .map_err(|e| ServiceError::from_db_unique(e, "username", "This username is already taken"))?;
    if new.admin {
        let admins = groups::administrators(txn).await?;
        membership::ActiveModel {
            user_id: Set(created.id),
            group_id: Set(admins.id),
        }
        .insert(txn)
        .await?;
    }
    change
        .audit(
            Event {
                actor,
                target: Some(&created.username),
                ..Event::new(Action::UserCreate)
            }
            .details(serde_json::json!({
                "admin": new.admin,
                "technical": new.technical,
            })),
        )
        .await?;
    change.commit().await?;
    Ok(created)
}

/// The account behind `user_id` if it may act now: not locked and within `active_until`.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn find_usable(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<Account>> {
    let Some(user) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(None);
    };
    if unusable_reason(&user).is_some() {
        return Ok(None);
    }
    Ok(Some(account_of(db, user).await?))
}

/// Why a user may not act now, if they may not.
pub fn unusable_reason(user: &user::Model) -> Option<&'static str> {
    if user.locked {
        return Some("This account is locked");
    }
    match user.active_until {
        Some(until) if until < Utc::now().date_naive() => Some("This account is no longer active"),
        _ => None,
    }
}

#[tracing::instrument(skip_all, fields(id = id))]
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

#[tracing::instrument(skip_all)]
pub async fn find_by_username(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<user::Model>> {
    // No username has a control character (see `validate_username`); PostgreSQL would
    // refuse a NUL in the query rather than find nothing.
    if username.chars().any(char::is_control) {
        return Ok(None);
    }
    // A user that kept its legacy key is found by it first: the compatibility form of that
    // name belongs to someone else.
    let (key, legacy) = (username_key(username), legacy_key(username));
    let mut found = user::Entity::find()
        .filter(user::Column::UsernameKey.is_in([key, legacy.clone()]))
        .all(db)
        .await?;
    let at = found
        .iter()
        .position(|user| user.username_key == legacy)
        .unwrap_or(0);
    Ok((!found.is_empty()).then(|| found.swap_remove(at)))
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub admin: Option<bool>,
    pub technical: Option<bool>,
    pub locked: Option<bool>,
    /// `Some(None)` clears the date.
    pub active_until: Option<Option<NaiveDate>>,
}

/// Applies `changes`; whatever affects access (membership, lock, active until) takes effect
/// on the user's next request, sessions and tokens alike. The last administrator who may
/// act cannot be demoted, locked or made inactive: the instance would have no one left to
/// administer it.
#[tracing::instrument(skip_all, fields(user_id = user_id))]
pub async fn update_user(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    user_id: i64,
    changes: UserChanges,
) -> Result<Account> {
    let display_name = changes
        .display_name
        .clone()
        .map(|name| validate_optional(Some(name), "display_name", 200))
        .transpose()?;
    let email = changes
        .email
        .clone()
        .map(|email| validate_optional(Some(email), "email", 254))
        .transpose()?;
    if email
        .as_deref()
        .is_some_and(|e| !e.is_empty() && !e.contains('@'))
    {
        return Err(ServiceError::validation(
            "email",
            "Enter a valid email address",
        ));
    }
    let today = Utc::now().date_naive();
    // The change counter orders this change after every other: the count of administrators
    // below sees each concurrent demotion that committed first.
    let change = Change::acting(db, cache, admin.grant()).await?;
    let txn = change.db();
    let user = user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let username = user.username.clone();
    let mut active: user::ActiveModel = user.into();
    if let Some(name) = display_name {
        active.display_name = Set(if name.is_empty() {
            username.clone()
        } else {
            name
        });
    }
    if let Some(email) = email {
        active.email = Set(email);
    }
    if let Some(technical) = changes.technical {
        active.technical = Set(technical);
    }
    if let Some(locked) = changes.locked {
        active.locked = Set(locked);
    }
    if let Some(until) = changes.active_until {
        active.active_until = Set(until);
    }
    active.updated_at = Set(Utc::now());
    let user = active.update(txn).await?;
    if let Some(wanted) = changes.admin {
        let admins = groups::administrators(txn).await?;
        let member = membership::Entity::find_by_id((user_id, admins.id))
            .one(txn)
            .await?;
        match (wanted, member) {
            // Nobody adds themselves to a group, this one included (see `groups`).
            (true, None) if user_id == admin.account().user.id => {
                return Err(ServiceError::Forbidden)
            }
            (true, None) => {
                membership::ActiveModel {
                    user_id: Set(user_id),
                    group_id: Set(admins.id),
                }
                .insert(txn)
                .await?;
            }
            (false, Some(m)) => {
                membership::Entity::delete_by_id((m.user_id, m.group_id))
                    .exec(txn)
                    .await?;
            }
            _ => {}
        }
    }
    // Someone must still administer the instance: today, and after the last day of an
    // administrator given an end date.
    let account = account_of(txn, user).await?;
    let on = match changes.active_until {
        Some(Some(until)) if account.is_admin() => until.succ_opt().unwrap_or(until).max(today),
        _ => today,
    };
    let may_remove_admin = changes.admin == Some(false)
        || changes.locked == Some(true)
        || matches!(changes.active_until, Some(Some(_)));
    if may_remove_admin {
        let field = if changes.admin == Some(false) {
            "admin"
        } else if changes.locked == Some(true) {
            "locked"
        } else {
            "active_until"
        };
        groups::check_an_admin_remains(txn, on, field).await?;
    }
    match changes.locked {
        Some(true) => DbSessionStore::delete_for_user(txn, user_id).await?,
        // Unlocking also forgives the failed sign-ins counted against the username.
        Some(false) => limits::clear(txn, Key::Username(&username_key(&username))).await?,
        None => {}
    }
    change
        .audit(
            Event::by(admin.username(), Action::UserUpdate, &username).details(serde_json::json!({
                "admin": changes.admin,
                "technical": changes.technical,
                "locked": changes.locked,
                "active_until": changes.active_until,
            })),
        )
        .await?;
    change.commit().await?;
    Ok(account)
}

/// Adds the user named `username` to group `group_id` (the console's "Add member" box).
#[tracing::instrument(skip_all, fields(group_id = group_id))]
pub async fn add_to_group(
    db: &DatabaseConnection,
    cache: &AuthCache,
    admin: &Admin,
    group_id: i64,
    username: &str,
) -> Result<()> {
    let user = find_by_username(db, username)
        .await?
        .ok_or_else(|| ServiceError::validation("username", "No user has this username"))?;
    groups::add_member(db, cache, admin, group_id, user.id).await
}

/// The operator's way back in (`tessera user unlock`): clears the lock and the failed
/// sign-ins counted against the username, whoever made them.
#[tracing::instrument(skip_all)]
pub async fn unlock(
    db: &DatabaseConnection,
    cache: &AuthCache,
    username: &str,
) -> Result<user::Model> {
    let change = Change::begin(db, cache).await?;
    let user = find_by_username(change.db(), username)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let mut active: user::ActiveModel = user.into();
    active.locked = Set(false);
    active.updated_at = Set(Utc::now());
    let user = active.update(change.db()).await?;
    limits::clear(change.db(), Key::Username(&user.username_key)).await?;
    change
        .audit(
            Event {
                target: Some(&user.username),
                ..Event::new(Action::UserUpdate)
            }
            .details(serde_json::json!({ "locked": false, "via": "command line" })),
        )
        .await?;
    change.commit().await?;
    Ok(user)
}

/// Every user with their Administrators membership, ordered by username.
#[tracing::instrument(skip_all)]
pub async fn list_accounts(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
) -> Result<Vec<Account>> {
    let users = user::Entity::find()
        .order_by_asc(user::Column::UsernameKey)
        .all(db)
        .await?;
    with_roles(db, users).await
}

/// One user with their Administrators membership, for an administrator.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn account(db: &impl ConnectionTrait, _overseer: &Overseer, id: i64) -> Result<Account> {
    let user = find_by_id(db, id).await?.ok_or(ServiceError::NotFound)?;
    account_of(db, user).await
}

/// How many users a "User" box suggests at most.
pub const SUGGESTIONS_MAX: u64 = 20;

/// Which users a "User" box may suggest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suggesting {
    /// Any user (a filter).
    Anyone,
    /// Users who can be given a token now: not locked, still active, and technical when the
    /// policy reserves administrator-issued tokens for technical users.
    TokenOwners { technical_only: bool },
}

/// What a "User" box offers: anyone, or with `for_token` the users "Create token" may
/// issue a token to under the current policy.
#[tracing::instrument(skip_all)]
pub async fn suggesting(db: &impl ConnectionTrait, for_token: bool) -> Result<Suggesting> {
    if !for_token {
        return Ok(Suggesting::Anyone);
    }
    let policy = super::settings::load(db).await?;
    Ok(Suggesting::TokenOwners {
        technical_only: policy.admin_issued_only_for_technical_users,
    })
}

/// The first users, by username, whose username or display name contains `text` (any
/// case): what a "User" box offers as one types, however many users there are.
#[tracing::instrument(skip_all)]
pub async fn suggest(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
    text: &str,
    suggesting: Suggesting,
) -> Result<Vec<Account>> {
    let text = super::search_text(text, "text")?;
    let mut select = user::Entity::find().filter(super::any_contains(
        [
            Expr::col(user::Column::Username),
            Expr::col(user::Column::DisplayName),
        ],
        text,
    ));
    if let Suggesting::TokenOwners { technical_only } = suggesting {
        // `model::token::may_be_issued_a_token` as a query, so that the limit counts only these.
        select = select.filter(user::Column::Locked.eq(false)).filter(
            Condition::any()
                .add(user::Column::ActiveUntil.is_null())
                .add(user::Column::ActiveUntil.gte(Utc::now().date_naive())),
        );
        if technical_only {
            select = select.filter(user::Column::Technical.eq(true));
        }
    }
    let users = select
        .order_by_asc(user::Column::UsernameKey)
        .limit(SUGGESTIONS_MAX)
        .all(db)
        .await?;
    with_roles(db, users).await
}

async fn with_roles(db: &impl ConnectionTrait, users: Vec<user::Model>) -> Result<Vec<Account>> {
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let mut standings = groups::standing_of_users(db, &ids).await?;
    Ok(users
        .into_iter()
        .map(|user| {
            let groups::Standing { groups, rights } =
                standings.remove(&user.id).unwrap_or_default();
            Account {
                user,
                groups,
                rights,
            }
        })
        .collect())
}

pub const PAGE_LIMIT_MAX: u64 = 200;

/// A page of users in id order after `after`, and the cursor of the next page.
#[tracing::instrument(skip_all)]
pub async fn list_accounts_page(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
    after: Option<i64>,
    limit: Option<u64>,
) -> Result<(Vec<Account>, Option<i64>)> {
    let limit = limit.unwrap_or(50).clamp(1, PAGE_LIMIT_MAX);
    let mut select = user::Entity::find().order_by_asc(user::Column::Id);
    if let Some(after) = after {
        select = select.filter(user::Column::Id.gt(after));
    }
    let mut users = select.limit(limit + 1).all(db).await?;
    let next = if users.len() as u64 > limit {
        users.truncate(limit as usize);
        users.last().map(|u| u.id)
    } else {
        None
    };
    Ok((with_roles(db, users).await?, next))
}

/// First start: with no users at all, create the administrator `admin`. Returns the generated
/// password when none was given, for the caller to show exactly once.
#[tracing::instrument(skip_all)]
pub async fn bootstrap_admin(
    db: &DatabaseConnection,
    cache: &AuthCache,
    password: Option<String>,
) -> Result<Option<String>> {
    if user::Entity::find().count(db).await? > 0 {
        return Ok(None);
    }
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| {
        rand::rng()
            .sample_iter(Alphanumeric)
            .take(24)
            .map(char::from)
            .collect()
    });
    create_user(
        db,
        cache,
        NewUser {
            username: "admin".into(),
            password: password.clone(),
            display_name: Some("Administrator".into()),
            admin: true,
            ..Default::default()
        },
        Creator::Operator,
    )
    .await?;
    Ok(generated.then_some(password))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_keyed_without_case() {
        assert_eq!(username_key(" Alice "), "alice");
    }

    #[test]
    fn username_rules_name_the_problem() {
        assert!(validate_username("")
            .unwrap_err()
            .to_string()
            .contains("Enter"));
        assert!(validate_username(&"a".repeat(10_000))
            .unwrap_err()
            .to_string()
            .contains("at most 64"));
        assert!(validate_username("bob'; DROP TABLE users;--").is_err());
        assert!(validate_username("<script>").is_err());
        assert_eq!(validate_username("zoë.ops").unwrap(), "zoë.ops");
    }
}

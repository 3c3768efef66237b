//! Users, for administrators.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub technical: bool,
    /// Why the user cannot act now, if they cannot (locked, past "active until").
    pub unusable: Option<String>,
}

impl UserRow {
    /// Whether "Create token" offers this user: nobody who cannot act now, and only technical
    /// users while the policy reserves administrator-issued tokens for them.
    pub fn may_be_offered_a_token(&self, technical_only: bool) -> bool {
        crate::model::token::may_be_issued_a_token(
            self.unusable.is_none(),
            self.technical,
            technical_only,
        )
    }
}

#[server(prefix = "/sfn", endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserRow>, AppError> {
    use crate::server::service::accounts;

    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    Ok(accounts::list_accounts(&state.db, &overseer)
        .await?
        .into_iter()
        .map(row)
        .collect())
}

/// The first users whose username or display name contains `text`, for a "User" box; with
/// `for_token`, only those "Create token" may offer.
#[server(prefix = "/sfn", endpoint = "suggest_users")]
pub async fn suggest_users(text: String, for_token: bool) -> Result<Vec<UserRow>, AppError> {
    use crate::server::service::accounts;

    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    let suggesting = accounts::suggesting(&state.db, for_token).await?;
    Ok(accounts::suggest(&state.db, &overseer, &text, suggesting)
        .await?
        .into_iter()
        .map(row)
        .collect())
}

#[cfg(feature = "ssr")]
fn row(account: crate::server::service::accounts::Account) -> UserRow {
    use crate::server::service::accounts;
    UserRow {
        unusable: accounts::unusable_reason(&account.user).map(str::to_owned),
        is_admin: account.is_admin(),
        id: account.user.id,
        username: account.user.username,
        display_name: account.user.display_name,
        technical: account.user.technical,
    }
}

/// A user as the General tab edits them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub email: String,
    /// Only when creating.
    pub password: String,
    pub admin: bool,
    pub technical: bool,
    pub locked: bool,
    /// `YYYY-MM-DD` or empty.
    pub active_until: String,
    /// The groups they belong to, by name (shown, not edited here).
    #[serde(default)]
    pub groups: Vec<String>,
}

#[server(prefix = "/sfn", endpoint = "get_user")]
pub async fn get_user(id: i64) -> Result<UserForm, AppError> {
    use crate::server::service::accounts;
    let overseer = super::context::require_overseer().await?;
    let state = super::context::state()?;
    let account = accounts::account(&state.db, &overseer, id).await?;
    // The box is membership of Administrators itself: a user who administers through
    // another group is not ticked, so that saving the form does not add them.
    let admin = account
        .groups
        .iter()
        .any(|g| g == crate::server::service::groups::ADMINISTRATORS);
    let user = account.user;
    Ok(UserForm {
        admin,
        groups: account.groups,
        username: user.username,
        display_name: user.display_name,
        email: user.email,
        password: String::new(),
        technical: user.technical,
        locked: user.locked,
        active_until: user.active_until.map(|d| d.to_string()).unwrap_or_default(),
    })
}

/// Creates a user and answers their id.
#[server(prefix = "/sfn", endpoint = "create_user", input = leptos::server_fn::codec::Json)]
pub async fn create_user(form: UserForm) -> Result<i64, AppError> {
    use crate::server::service::accounts;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    let user = accounts::create_user(
        &state.db,
        &state.auth,
        accounts::NewUser {
            username: form.username,
            password: form.password,
            display_name: Some(form.display_name),
            email: Some(form.email),
            admin: form.admin,
            technical: form.technical,
            active_until: crate::server::service::optional_date(
                &form.active_until,
                "active_until",
            )?,
        },
        accounts::Creator::Admin(&admin),
    )
    .await?;
    Ok(user.id)
}

#[server(prefix = "/sfn", endpoint = "update_user", input = leptos::server_fn::codec::Json)]
pub async fn update_user(id: i64, form: UserForm) -> Result<(), AppError> {
    use crate::server::service::accounts;
    let admin = super::context::require_admin().await?;
    let state = super::context::state()?;
    accounts::update_user(
        &state.db,
        &state.auth,
        &admin,
        id,
        accounts::UserChanges {
            display_name: Some(form.display_name),
            email: Some(form.email),
            admin: Some(form.admin),
            technical: Some(form.technical),
            locked: Some(form.locked),
            active_until: Some(crate::server::service::optional_date(
                &form.active_until,
                "active_until",
            )?),
        },
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::UserRow;

    fn row(technical: bool, unusable: Option<&str>) -> UserRow {
        UserRow {
            id: 1,
            username: "u".into(),
            display_name: "U".into(),
            is_admin: false,
            technical,
            unusable: unusable.map(str::to_owned),
        }
    }

    #[test]
    fn token_suggestions_follow_the_technical_users_policy() {
        assert!(row(false, None).may_be_offered_a_token(false));
        assert!(!row(false, None).may_be_offered_a_token(true));
        assert!(row(true, None).may_be_offered_a_token(true));
        assert!(!row(true, Some("locked")).may_be_offered_a_token(false));
        assert!(!row(true, Some("locked")).may_be_offered_a_token(true));
    }
}

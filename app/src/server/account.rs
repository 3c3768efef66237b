//! Who a signed-in user or a token's owner is: the user and whether they administer.
use super::entity::user;

/// A user together with what they may do.
#[derive(Clone, Debug)]
pub struct Account {
    pub user: user::Model,
    pub is_admin: bool,
}

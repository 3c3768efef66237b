//! Who a signed-in user or a token's owner is: the user, their groups and the rights those
//! give.
use super::entity::user;
use crate::model::rights::Rights;

/// A user together with what they may do now.
#[derive(Clone, Debug)]
pub struct Account {
    pub user: user::Model,
    /// The names of their groups, in name order.
    pub groups: Vec<String>,
    pub rights: Rights,
}

impl Account {
    pub fn is_admin(&self) -> bool {
        self.rights.is_admin()
    }
}

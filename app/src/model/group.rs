//! Groups as the pages and the REST API show them (DESIGN 8.1).
use serde::{Deserialize, Serialize};

use super::rights::Right;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub rights: Vec<Right>,
    /// Administrators and Auditors: never deleted or renamed, their rights fixed.
    pub builtin: bool,
    /// How many members it has.
    pub members: u64,
}

/// A member as a group's Members tab lists them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Member {
    pub id: i64,
    pub username: String,
    pub display_name: String,
}

/// What a new group is made of.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewGroup {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub rights: Vec<Right>,
}

/// What a change to a group names; what it leaves out stays.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GroupChanges {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The whole new set of rights.
    #[serde(default)]
    pub rights: Option<Vec<Right>>,
}

/// A group's page: the group, its members, and what its Rights tab may offer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub group: Group,
    pub members: Vec<Member>,
    /// Every endpoint's path, for the endpoint × method grid.
    pub endpoints: Vec<String>,
    /// Every group (id and name), for `tokens:manage`.
    pub groups: Vec<(i64, String)>,
    /// Whether the viewer may change it (administrators; auditors only read).
    pub may_change: bool,
}

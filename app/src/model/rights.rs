//! Rights (DESIGN 8.1): what a user may do, held through the groups they belong to. A
//! token never does more than its scopes allow within its owner's rights now.
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::endpoint::Method;

/// The catalogue of rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RightKind {
    /// Everything.
    #[serde(rename = "admin")]
    Admin,
    /// Read every list and detail of the administrators' API and pages; change nothing.
    #[serde(rename = "audit:read")]
    AuditRead,
    /// Issue, regenerate, suspend and revoke the tokens of one group's members.
    #[serde(rename = "tokens:manage")]
    TokensManage,
    #[serde(rename = "endpoint:get")]
    EndpointGet,
    #[serde(rename = "endpoint:post")]
    EndpointPost,
    #[serde(rename = "endpoint:delete")]
    EndpointDelete,
}

/// What a right's target names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    None,
    Group,
    Endpoint,
}

impl RightKind {
    pub const ALL: [RightKind; 6] = [
        RightKind::Admin,
        RightKind::AuditRead,
        RightKind::TokensManage,
        RightKind::EndpointGet,
        RightKind::EndpointPost,
        RightKind::EndpointDelete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::AuditRead => "audit:read",
            Self::TokensManage => "tokens:manage",
            Self::EndpointGet => "endpoint:get",
            Self::EndpointPost => "endpoint:post",
            Self::EndpointDelete => "endpoint:delete",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// One line on what it allows, beside its checkbox.
    pub fn description(self) -> &'static str {
        match self {
            Self::Admin => "Everything, including groups and rights.",
            Self::AuditRead => {
                "Read every administrators' list and detail; change nothing, see no secret."
            }
            Self::TokensManage => {
                "Issue, regenerate, suspend and revoke the tokens of the target group's members."
            }
            Self::EndpointGet => "Read the target endpoint's records.",
            Self::EndpointPost => "Write records to the target endpoint.",
            Self::EndpointDelete => "Delete the target endpoint's records.",
        }
    }

    pub fn target(self) -> TargetKind {
        match self {
            Self::Admin | Self::AuditRead => TargetKind::None,
            Self::TokensManage => TargetKind::Group,
            Self::EndpointGet | Self::EndpointPost | Self::EndpointDelete => TargetKind::Endpoint,
        }
    }

    /// The endpoint right for records called with `method`.
    pub fn for_method(method: Method) -> Self {
        match method {
            Method::Get => Self::EndpointGet,
            Method::Post => Self::EndpointPost,
            Method::Delete => Self::EndpointDelete,
        }
    }
}

impl std::fmt::Display for RightKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A group's id (`tokens:manage`) or an endpoint's path (`endpoint:*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum Target {
    Group(i64),
    Endpoint(String),
}

/// `{"right": R, "target": T?}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Right {
    pub right: RightKind,
    #[serde(default)]
    pub target: Option<Target>,
}

impl Right {
    pub fn plain(right: RightKind) -> Self {
        Self {
            right,
            target: None,
        }
    }

    pub fn endpoint(method: Method, path: &str) -> Self {
        Self {
            right: RightKind::for_method(method),
            target: Some(Target::Endpoint(path.to_owned())),
        }
    }

    /// The right with its target in the shape its kind needs (a group id given as text
    /// becomes a number), or a message naming what is wrong.
    pub fn checked(self) -> Result<Self, String> {
        let Self { right, target } = self;
        let target = match (right.target(), target) {
            (TargetKind::None, None) => None,
            (TargetKind::None, Some(_)) => return Err(format!("\"{right}\" takes no target")),
            (TargetKind::Group, Some(Target::Group(id))) => Some(Target::Group(id)),
            (TargetKind::Group, Some(Target::Endpoint(text))) => match text.trim().parse() {
                Ok(id) => Some(Target::Group(id)),
                Err(_) => return Err(format!("\"{right}\" needs a group id as its target")),
            },
            (TargetKind::Group, None) => {
                return Err(format!("\"{right}\" needs a group id as its target"))
            }
            (TargetKind::Endpoint, Some(Target::Endpoint(path))) if !path.trim().is_empty() => {
                Some(Target::Endpoint(path.trim().to_owned()))
            }
            (TargetKind::Endpoint, _) => {
                return Err(format!("\"{right}\" needs an endpoint path as its target"))
            }
        };
        Ok(Self { right, target })
    }

    /// As stored: the right's name and its target, empty when it has none.
    pub fn to_stored(&self) -> (&'static str, String) {
        let target = match &self.target {
            None => String::new(),
            Some(Target::Group(id)) => id.to_string(),
            Some(Target::Endpoint(path)) => path.clone(),
        };
        (self.right.as_str(), target)
    }

    /// From the stored form; `None` for a right this version does not know.
    pub fn from_stored(right: &str, target: &str) -> Option<Self> {
        let right = RightKind::parse(right)?;
        let target = (!target.is_empty()).then(|| Target::Endpoint(target.to_owned()));
        Self { right, target }.checked().ok()
    }
}

impl std::fmt::Display for Right {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.target {
            None => write!(f, "{}", self.right),
            Some(Target::Group(id)) => write!(f, "{} on group {id}", self.right),
            Some(Target::Endpoint(path)) => write!(f, "{} on {path}", self.right),
        }
    }
}

/// Everything a user holds now: the union of their groups' rights.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights(BTreeSet<Right>);

impl Rights {
    pub fn contains(&self, right: &Right) -> bool {
        self.0.contains(right)
    }

    pub fn is_admin(&self) -> bool {
        self.contains(&Right::plain(RightKind::Admin))
    }

    /// Administrators and auditors read everything administrators read.
    pub fn may_audit(&self) -> bool {
        self.is_admin() || self.contains(&Right::plain(RightKind::AuditRead))
    }

    /// Whether records may be called with `method` on the endpoint at `path`.
    pub fn on_endpoint(&self, method: Method, path: &str) -> bool {
        self.is_admin() || self.contains(&Right::endpoint(method, path))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Right> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Right> for Rights {
    fn from_iter<I: IntoIterator<Item = Right>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_take_the_shape_their_right_needs() {
        let manage = |target| Right {
            right: RightKind::TokensManage,
            target,
        };
        assert_eq!(
            manage(Some(Target::Endpoint(" 7 ".into()))).checked(),
            Ok(manage(Some(Target::Group(7))))
        );
        assert!(manage(None).checked().unwrap_err().contains("group id"));
        assert!(manage(Some(Target::Endpoint("x".into())))
            .checked()
            .is_err());
        let admin_with_target = Right {
            right: RightKind::Admin,
            target: Some(Target::Group(1)),
        };
        assert!(admin_with_target
            .checked()
            .unwrap_err()
            .contains("no target"));
        let get = Right {
            right: RightKind::EndpointGet,
            target: Some(Target::Group(3)),
        };
        assert!(get.checked().unwrap_err().contains("endpoint path"));
    }

    #[test]
    fn rights_round_trip_through_storage_and_json() {
        for right in [
            Right::plain(RightKind::Admin),
            Right {
                right: RightKind::TokensManage,
                target: Some(Target::Group(12)),
            },
            Right::endpoint(Method::Delete, "orders"),
        ] {
            let (name, target) = right.to_stored();
            assert_eq!(Right::from_stored(name, &target).as_ref(), Some(&right));
            let json = serde_json::to_string(&right).unwrap();
            assert_eq!(serde_json::from_str::<Right>(&json).unwrap(), right);
        }
        assert_eq!(Right::from_stored("root", ""), None);
        let json: Right =
            serde_json::from_str(r#"{"right": "endpoint:get", "target": "orders"}"#).unwrap();
        assert_eq!(json, Right::endpoint(Method::Get, "orders"));
    }

    #[test]
    fn administrators_hold_every_endpoint_right() {
        let admin: Rights = [Right::plain(RightKind::Admin)].into_iter().collect();
        assert!(admin.on_endpoint(Method::Delete, "anything"));
        assert!(admin.may_audit());
        let reader: Rights = [Right::endpoint(Method::Get, "orders")]
            .into_iter()
            .collect();
        assert!(reader.on_endpoint(Method::Get, "orders"));
        assert!(!reader.on_endpoint(Method::Post, "orders"));
        assert!(!reader.on_endpoint(Method::Get, "invoices"));
        assert!(!reader.may_audit());
    }
}

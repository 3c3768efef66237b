//! What a token may be allowed to do.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Scope {
    #[serde(rename = "profile:read")]
    ProfileRead,
    #[serde(rename = "tokens:read")]
    TokensRead,
    #[serde(rename = "tokens:write")]
    TokensWrite,
    /// A token rotating itself, and nothing else.
    #[serde(rename = "tokens:rotate")]
    TokensRotate,
    /// For gateways; granted only by administrators.
    #[serde(rename = "tokens:introspect")]
    TokensIntrospect,
    /// Read endpoint records, where the owner holds `endpoint:get` on the endpoint.
    #[serde(rename = "records:read")]
    RecordsRead,
    /// Write and delete endpoint records, where the owner holds `endpoint:post` or
    /// `endpoint:delete` on the endpoint.
    #[serde(rename = "records:write")]
    RecordsWrite,
    /// Read what administrators read, for an owner who holds `audit:read`.
    #[serde(rename = "audit:read")]
    AuditRead,
    #[serde(rename = "admin")]
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 9] = [
        Scope::ProfileRead,
        Scope::TokensRead,
        Scope::TokensWrite,
        Scope::TokensRotate,
        Scope::TokensIntrospect,
        Scope::RecordsRead,
        Scope::RecordsWrite,
        Scope::AuditRead,
        Scope::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProfileRead => "profile:read",
            Self::TokensRead => "tokens:read",
            Self::TokensWrite => "tokens:write",
            Self::TokensRotate => "tokens:rotate",
            Self::TokensIntrospect => "tokens:introspect",
            Self::RecordsRead => "records:read",
            Self::RecordsWrite => "records:write",
            Self::AuditRead => "audit:read",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// One line on what it allows, beside its checkbox.
    pub fn description(self) -> &'static str {
        match self {
            Self::ProfileRead => "Read the owner's profile (GET /api/v1/me).",
            Self::TokensRead => "List the owner's tokens and their state.",
            Self::TokensWrite => "Create, regenerate and revoke the owner's tokens.",
            Self::TokensRotate => {
                "Rotate this token itself (POST /api/v1/tokens/self/rotate), nothing else."
            }
            Self::TokensIntrospect => "Check other tokens, for gateways (administrators grant it).",
            Self::RecordsRead => "Read the records of endpoints the owner may read.",
            Self::RecordsWrite => "Write and delete records where the owner may.",
            Self::AuditRead => "Read what administrators read, for auditors; change nothing.",
            Self::Admin => "Everything an administrator may do through the API.",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

/// A set of scopes, in the order of [`Scope::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Scopes(u16);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);

    pub fn all() -> Self {
        Scope::ALL.into_iter().collect()
    }

    /// The scopes named in a space-separated list, as stored; unknown names are ignored.
    pub fn parse_list(text: &str) -> Self {
        text.split(' ').filter_map(Scope::parse).collect()
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn with(self, scope: Scope) -> Self {
        Self(self.0 | scope.bit())
    }

    pub fn without(self, scope: Scope) -> Self {
        Self(self.0 & !scope.bit())
    }

    pub fn intersection(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub fn is_subset(self, other: Self) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Space-separated, as stored and as RFC 7662's `scope`.
    pub fn to_list(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(" ")
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(Self::NONE, Self::with)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_compare_by_inclusion() {
        let narrow = Scopes::parse_list("tokens:write");
        let wide = Scopes::parse_list("tokens:write admin nonsense");
        assert!(narrow.is_subset(wide));
        assert!(!wide.is_subset(narrow));
        assert_eq!(wide.to_list(), "tokens:write admin");
        assert_eq!(Scopes::all().without(Scope::Admin).iter().count(), 8);
    }
}

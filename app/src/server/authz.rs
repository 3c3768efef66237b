//! What a request holds, as types. A [`Grant`] is built only from a verified session, a
//! verified bearer token or the operator's command line; an [`Admin`] proof only from a
//! grant that holds `admin`, an [`Overseer`] proof (reading what administrators read) from
//! one that holds `admin` or `audit:read`. Services that need an administrator take the
//! proof, services that act on the caller's or anyone's things take a [`Reach`], so a
//! handler cannot forget a check or pass a flag it did not earn.
use std::sync::Arc;

use super::account::Account;
use super::entity::access_token;
use super::error::{Result, ServiceError};
use crate::model::rights::Rights;
use crate::model::scope::{Scope, Scopes};
use crate::model::token::number;

/// A token's current secret, or the one its last rotation replaced (while that still works).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secret {
    Current,
    Previous,
}

/// How the request proved who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    Session,
    /// The token as it verified.
    Token(Arc<access_token::Model>),
    /// `tessera` on the command line, run by whoever has the database.
    Operator,
}

impl Via {
    /// For the audit log: `session`, the token's number, or `command line`.
    pub fn label(&self) -> String {
        match self {
            Self::Session => "session".into(),
            Self::Token(token) => number(token.id),
            Self::Operator => "command line".into(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Grant {
    account: Arc<Account>,
    /// What the credential itself carries: a token's scopes within its owner's rights.
    carries: Scopes,
    /// What it may do: `admin` stands for every scope.
    holds: Scopes,
    via: Via,
    ip: Option<String>,
    /// Which of the token's secrets was presented (`Current` for sessions and the operator).
    secret: Secret,
}

impl Grant {
    /// A signed-in session: an administrator's holds every scope, anyone else's every scope
    /// their rights allow but `tokens:introspect` (which administrators grant, for gateways).
    pub(crate) fn session(account: Account) -> Self {
        let holds = if account.is_admin() {
            Scopes::all()
        } else {
            permissions(&account.rights).without(Scope::TokensIntrospect)
        };
        Self {
            account: Arc::new(account),
            carries: holds,
            holds,
            via: Via::Session,
            ip: None,
            secret: Secret::Current,
        }
    }

    /// A verified bearer token (made by the token service only): `scopes`, its scopes within
    /// its owner's rights now. `admin` stands for every scope, as the administrators' API
    /// gives it every power anyway.
    pub(in crate::server) fn verified_token(
        owner: Arc<Account>,
        token: Arc<access_token::Model>,
        scopes: Scopes,
        secret: Secret,
    ) -> Self {
        Self {
            account: owner,
            carries: scopes,
            holds: if scopes.contains(Scope::Admin) {
                Scopes::all()
            } else {
                scopes
            },
            via: Via::Token(token),
            ip: None,
            secret,
        }
    }

    /// The command line acts as `account` with every right `account` has.
    pub fn operator(account: Account) -> Self {
        let holds = permissions(&account.rights);
        Self {
            account: Arc::new(account),
            carries: holds,
            holds,
            via: Via::Operator,
            ip: None,
            secret: Secret::Current,
        }
    }

    /// The client address the request came from, for the audit log.
    pub fn from_ip(self, ip: Option<String>) -> Self {
        Self { ip, ..self }
    }

    pub fn ip(&self) -> Option<&str> {
        self.ip.as_deref()
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn username(&self) -> &str {
        &self.account.user.username
    }

    pub fn holds(&self) -> Scopes {
        self.holds
    }

    pub fn via(&self) -> &Via {
        &self.via
    }

    /// Whether the credential itself carries `scope` (a token must name it; `admin` does not
    /// stand in for it here).
    pub fn carries(&self, scope: Scope) -> bool {
        self.carries.contains(scope)
    }

    /// The credential's own scopes, as [`Self::carries`] reads them.
    pub fn scopes(&self) -> Scopes {
        self.carries
    }

    /// Which of the token's secrets was presented (`Current` for sessions and the operator).
    pub fn secret(&self) -> Secret {
        self.secret
    }

    /// The token the request presented, when it came with one.
    pub fn presented_token(&self) -> Option<&access_token::Model> {
        match &self.via {
            Via::Token(token) => Some(token),
            _ => None,
        }
    }

    /// Gateways' `tokens:introspect` comes from administrators and the operator only.
    pub fn grants_introspection(&self) -> bool {
        self.via == Via::Operator || self.admin().is_some()
    }

    /// The proof of administration, if this request holds `admin` and its account is still
    /// an administrator.
    pub fn admin(&self) -> Option<Admin> {
        (self.account.is_admin() && self.holds.contains(Scope::Admin)).then(|| Admin(self.clone()))
    }

    /// The proof of oversight, if this request holds `audit:read` (`admin` stands for it)
    /// and its account still may read what administrators read.
    pub fn overseer(&self) -> Option<Overseer> {
        (self.account.rights.may_audit() && self.holds.contains(Scope::AuditRead))
            .then(|| Overseer(self.clone()))
    }
}

/// Every scope a user's rights allow now; a token never grants more. `admin` and
/// `audit:read` follow the rights of those names; the other scopes anyone may hold (what
/// `records:*` reach is decided per endpoint by the owner's rights).
pub fn permissions(rights: &Rights) -> Scopes {
    if rights.is_admin() {
        return Scopes::all();
    }
    let scopes = Scopes::all().without(Scope::Admin);
    if rights.may_audit() {
        scopes
    } else {
        scopes.without(Scope::AuditRead)
    }
}

/// Proof that the request is an administrator's. Only [`Grant::admin`] makes one.
#[derive(Clone, Debug)]
pub struct Admin(Grant);

impl Admin {
    pub fn grant(&self) -> &Grant {
        &self.0
    }

    pub fn account(&self) -> &Account {
        self.0.account()
    }

    pub fn username(&self) -> &str {
        self.0.username()
    }
}

/// Proof that the request may read what administrators read (administrators and auditors).
/// Only [`Grant::overseer`] makes one, or an [`Admin`] proof.
#[derive(Clone, Debug)]
pub struct Overseer(Grant);

impl Overseer {
    pub fn grant(&self) -> &Grant {
        &self.0
    }

    pub fn username(&self) -> &str {
        self.0.username()
    }
}

impl From<&Admin> for Overseer {
    fn from(admin: &Admin) -> Self {
        Self(admin.0.clone())
    }
}

/// Whose things a request may touch: its own, or (administrators) anyone's.
#[derive(Clone, Copy, Debug)]
pub enum Reach<'a> {
    Own(&'a Grant),
    Any(&'a Admin),
}

impl<'a> Reach<'a> {
    /// Anyone's for an administrator's grant, else the caller's own.
    pub fn widest(grant: &'a Grant, admin: Option<&'a Admin>) -> Self {
        admin.map_or(Self::Own(grant), Self::Any)
    }

    pub fn grant(self) -> &'a Grant {
        match self {
            Self::Own(grant) => grant,
            Self::Any(admin) => admin.grant(),
        }
    }

    /// The user a page of someone's things is about (see [`Sight::owner_of`]).
    pub fn owner_of(self, user_id: Option<i64>) -> Result<i64> {
        Sight::from(self).owner_of(user_id)
    }

    /// Whether something owned by `owner_id` is within reach.
    pub fn covers(self, owner_id: i64) -> bool {
        Sight::from(self).covers(owner_id)
    }
}

/// Whose things a request may read: its own, or (administrators and auditors) anyone's.
/// Made from a [`Reach`] or an [`Overseer`] proof only.
#[derive(Clone, Copy, Debug)]
pub struct Sight<'a> {
    grant: &'a Grant,
    anyone: bool,
}

impl<'a> Sight<'a> {
    pub fn grant(self) -> &'a Grant {
        self.grant
    }

    /// Whether it sees everyone's things.
    pub fn anyone(self) -> bool {
        self.anyone
    }

    /// The user a page of someone's things is about: the caller when none is named, or the
    /// named one within sight. Someone else's, beyond it, is not found (not forbidden: that
    /// would tell the user exists).
    pub fn owner_of(self, user_id: Option<i64>) -> Result<i64> {
        match user_id {
            None => Ok(self.grant.account().user.id),
            Some(id) if self.covers(id) => Ok(id),
            Some(_) => Err(ServiceError::NotFound),
        }
    }

    /// Whether something owned by `owner_id` is within sight.
    pub fn covers(self, owner_id: i64) -> bool {
        self.anyone || self.grant.account().user.id == owner_id
    }
}

impl<'a> From<Reach<'a>> for Sight<'a> {
    fn from(reach: Reach<'a>) -> Self {
        Self {
            grant: reach.grant(),
            anyone: matches!(reach, Reach::Any(_)),
        }
    }
}

impl<'a> From<&'a Overseer> for Sight<'a> {
    fn from(overseer: &'a Overseer) -> Self {
        Self {
            grant: overseer.grant(),
            anyone: true,
        }
    }
}

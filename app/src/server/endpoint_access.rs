//! Everything a call to one endpoint is checked against: the endpoint, its primaries and its
//! assigned endpoint tokens by digest. Loaded once per path and cached until a change
//! (`cache.rs`); the rules that judge a call against it are the traffic service's.
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::entity::{endpoint, endpoint_assignment, endpoint_primary, endpoint_token};
use super::error::Result;
use super::secrets::{self, still_overlapping};
use crate::model::endpoint::{Assignment, Method};

/// A value a credential answers to: its current one (`until` is `None`), or the one its
/// last regeneration replaced, until the overlap ends.
#[derive(Debug)]
struct Value<T> {
    of: T,
    until: Option<DateTime<Utc>>,
}

impl<T> Value<T> {
    /// Current, or replaced with its overlap still running (checked on every call, so the
    /// old value stops at its instant whatever is cached).
    fn works(&self) -> Option<(&T, bool)> {
        match self.until {
            None => Some((&self.of, false)),
            Some(until) => still_overlapping(Some(until)).then_some((&self.of, true)),
        }
    }
}

/// Both values of a credential, keyed by digest.
fn values<T: Clone>(
    current: &str,
    previous: Option<&str>,
    until: Option<DateTime<Utc>>,
    of: T,
) -> Vec<([u8; 32], Value<T>)> {
    let mut values = Vec::with_capacity(2);
    if let (Some(previous), Some(until)) = (previous.and_then(secrets::unhex), until) {
        values.push((
            previous,
            Value {
                of: of.clone(),
                until: Some(until),
            },
        ));
    }
    if let Some(current) = secrets::unhex(current) {
        values.push((current, Value { of, until: None }));
    }
    values
}

#[derive(Clone, Debug)]
pub struct Secondary {
    pub id: i64,
    pub name: String,
    /// Enabled and active.
    pub usable: bool,
    pub assignment: Assignment,
    pub allowed_ips: String,
    pub ip_policy: String,
}

/// Everything a call to one endpoint is checked against, cached per path until a change.
#[derive(Debug)]
pub struct EndpointAccess {
    pub endpoint: endpoint::Model,
    primaries: FxHashMap<[u8; 32], Value<Method>>,
    secondaries: FxHashMap<[u8; 32], Value<Secondary>>,
}

impl EndpointAccess {
    /// The primary whose value has `digest`, if that value works now, and whether it is the
    /// replaced one.
    pub fn primary(&self, digest: &[u8; 32]) -> Option<(Method, bool)> {
        let (&method, previous) = self.primaries.get(digest).and_then(Value::works)?;
        Some((method, previous))
    }

    /// The endpoint token assigned here whose value has `digest`, as [`Self::primary`].
    pub fn secondary(&self, digest: &[u8; 32]) -> Option<(&Secondary, bool)> {
        self.secondaries.get(digest).and_then(Value::works)
    }
}

pub async fn load(db: &DatabaseConnection, path: &str) -> Result<Option<EndpointAccess>> {
    let Some(endpoint) = endpoint::Entity::find()
        .filter(endpoint::Column::Path.eq(path))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let primaries = endpoint_primary::Entity::find()
        .filter(endpoint_primary::Column::EndpointId.eq(endpoint.id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|p| {
            let method = Method::parse(&p.method)?;
            Some(values(
                &p.secret_digest,
                p.previous_digest.as_deref(),
                p.previous_valid_until,
                method,
            ))
        })
        .flatten()
        .collect();
    let assignments = endpoint_assignment::Entity::find()
        .filter(endpoint_assignment::Column::EndpointId.eq(endpoint.id))
        .all(db)
        .await?;
    let tokens = endpoint_token::Entity::find()
        .filter(endpoint_token::Column::Id.is_in(assignments.iter().map(|a| a.endpoint_token_id)))
        .all(db)
        .await?;
    let secondaries = assignments
        .into_iter()
        .filter_map(|a| {
            let token = tokens.iter().find(|t| t.id == a.endpoint_token_id)?;
            let secondary = Secondary {
                id: token.id,
                name: token.name.clone(),
                usable: token.enabled && token.active,
                assignment: Assignment {
                    post: a.post,
                    get: a.get,
                    delete: a.delete,
                    enabled: a.enabled,
                },
                allowed_ips: token.allowed_ips.clone(),
                ip_policy: token.ip_policy.clone(),
            };
            Some(values(
                &token.secret_digest,
                token.previous_digest.as_deref(),
                token.previous_valid_until,
                secondary,
            ))
        })
        .flatten()
        .collect();
    Ok(Some(EndpointAccess {
        endpoint,
        primaries,
        secondaries,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replaced_value_works_until_its_overlap_ends_even_when_cached() {
        let now = Utc::now();
        let current = Value { of: 1, until: None };
        let overlapping = Value {
            of: 2,
            until: Some(now + chrono::Duration::seconds(30)),
        };
        let ended = Value {
            of: 3,
            until: Some(now - chrono::Duration::milliseconds(1)),
        };
        assert_eq!(current.works(), Some((&1, false)));
        assert_eq!(overlapping.works(), Some((&2, true)));
        assert_eq!(ended.works(), None);
    }
}

//! Calls to endpoints: who may call (the matching primary, or an enabled endpoint token with
//! an enabled assignment to that primary), the records they send and fetch, and the request
//! log the data viewer reads.
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use sea_orm::{
    sea_query::Expr, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::audit;
use super::endpoints::{AuthType, Method};
use super::token_auth::bearer;
use super::tokens::{allowlist, still_overlapping};
use crate::model::endpoint::{Assignment, Chart, RecordView, RequestView, Series};
use crate::server::entity::{
    endpoint, endpoint_assignment, endpoint_primary, endpoint_record, endpoint_request,
    endpoint_token,
};
use crate::server::error::{AuthFailure, Result, ServiceError};
use crate::server::record_writer::Stored;
use crate::server::requests::Call;
use crate::server::secrets;
use crate::server::state::AppState;

/// Who called, as the request log and the records name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    Anonymous,
    Primary {
        method: Method,
        /// With the value its last regeneration replaced, during the overlap.
        previous: bool,
    },
    EndpointToken {
        id: i64,
        name: String,
        previous: bool,
    },
    /// No token, or one that matches nothing.
    Unknown,
}

impl Sender {
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Primary { method, previous } => {
                format!("{} primary{}", method.as_str(), previous_label(*previous))
            }
            Self::EndpointToken { name, previous, .. } => {
                format!("{name}{}", previous_label(*previous))
            }
            Self::Unknown => "unknown token".into(),
        }
    }

    pub fn endpoint_token_id(&self) -> Option<i64> {
        match self {
            Self::EndpointToken { id, .. } => Some(*id),
            _ => None,
        }
    }
}

/// How the request log tells calls with a replaced value, so the data viewer shows who
/// has yet to switch.
fn previous_label(previous: bool) -> &'static str {
    if previous {
        " (previous value)"
    } else {
        ""
    }
}

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
struct Secondary {
    id: i64,
    name: String,
    /// Enabled and active.
    usable: bool,
    assignment: Assignment,
    allowed_ips: String,
    ip_policy: String,
}

/// Everything a call to one endpoint is checked against, cached per path until a change.
#[derive(Debug)]
pub struct EndpointAccess {
    pub endpoint: endpoint::Model,
    primaries: FxHashMap<[u8; 32], Value<Method>>,
    secondaries: FxHashMap<[u8; 32], Value<Secondary>>,
}

async fn load_access(db: &DatabaseConnection, path: &str) -> Result<Option<EndpointAccess>> {
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

/// The endpoint at `path`, from memory when nothing changed since it was loaded.
pub async fn endpoint_access(state: &AppState, path: &str) -> Result<Arc<EndpointAccess>> {
    if let Some(access) = state.auth.endpoint(path) {
        return Ok(access);
    }
    let stamp = state.auth.stamp();
    let access = load_access(&state.db, path)
        .await?
        .ok_or(ServiceError::NotFound)?;
    Ok(state.auth.put_endpoint(stamp, path.to_owned(), access))
}

/// A token this endpoint does not know: refused as forbidden when it is a real endpoint
/// token or primary elsewhere, as unauthenticated when it is nothing at all.
async fn stranger(db: &DatabaseConnection, digest: &str) -> Result<(Sender, ServiceError)> {
    if let Some(token) = endpoint_token::Entity::find()
        .filter(endpoint_token::Column::SecretDigest.eq(digest))
        .one(db)
        .await?
    {
        return Ok((
            Sender::EndpointToken {
                id: token.id,
                name: token.name,
                previous: false,
            },
            ServiceError::Forbidden,
        ));
    }
    let primary = endpoint_primary::Entity::find()
        .filter(endpoint_primary::Column::SecretDigest.eq(digest))
        .one(db)
        .await?;
    Ok(match primary {
        Some(_) => (Sender::Unknown, ServiceError::Forbidden),
        None => (
            Sender::Unknown,
            ServiceError::Unauthenticated(AuthFailure::InvalidToken),
        ),
    })
}

/// Decides a call of `method` on `access`: who is calling, and whether they may.
pub async fn authorize(
    state: &AppState,
    access: &EndpointAccess,
    method: Method,
    authorization: Option<&str>,
    ip: Option<IpAddr>,
) -> Result<(Sender, Result<()>)> {
    let endpoint = &access.endpoint;
    let token_needed = endpoint.auth_type == AuthType::Token.as_str();
    if method == Method::Delete && !endpoint.allow_deleting {
        let sender = if token_needed {
            Sender::Unknown
        } else {
            Sender::Anonymous
        };
        return Ok((sender, Err(ServiceError::Forbidden)));
    }
    if !token_needed {
        return Ok((Sender::Anonymous, Ok(())));
    }
    let secret = match bearer(authorization) {
        Ok(secret) => secret,
        Err(err) => return Ok((Sender::Unknown, Err(err))),
    };
    if !secrets::is_endpoint_secret(secret) {
        let invalid = ServiceError::Unauthenticated(AuthFailure::InvalidToken);
        return Ok((Sender::Unknown, Err(invalid)));
    }
    let digest = secrets::digest_bytes(secret);
    if let Some((&primary, previous)) = access.primaries.get(&digest).and_then(Value::works) {
        let verdict = if primary == method {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        };
        let sender = Sender::Primary {
            method: primary,
            previous,
        };
        return Ok((sender, verdict));
    }
    if let Some((secondary, previous)) = access.secondaries.get(&digest).and_then(Value::works) {
        let sender = Sender::EndpointToken {
            id: secondary.id,
            name: secondary.name.clone(),
            previous,
        };
        if !secondary.usable {
            let invalid = ServiceError::Unauthenticated(AuthFailure::InvalidToken);
            return Ok((sender, Err(invalid)));
        }
        // Named as what it is, so that an endpoint token called "AT-000001" cannot pass
        // for that access token in the audit log.
        let credential = format!("endpoint token {}", secondary.name);
        let guarded = allowlist::Guarded {
            credential: &credential,
            actor: None,
            allowed_ips: &secondary.allowed_ips,
            policy: &secondary.ip_policy,
        };
        if let Err(refusal) = allowlist::check(state, guarded, ip).await {
            // The request log has the call; the audit log has the refusal, like every one.
            let ip = ip.map(|ip| ip.to_string());
            let refused = audit::Refusal {
                credential: &credential,
                known: true,
                actor: None,
                ip: ip.as_deref(),
                reason: "ip_not_allowed",
            };
            audit::access_refused(&state.db, &state.auth.refusals, refused, None).await;
            return Ok((sender, Err(refusal)));
        }
        let verdict = if secondary.assignment.enabled && method.allowed_by(&secondary.assignment) {
            Ok(())
        } else {
            Err(ServiceError::Forbidden)
        };
        return Ok((sender, verdict));
    }
    let (sender, refusal) = stranger(&state.db, &secrets::hex(&digest)).await?;
    Ok((sender, Err(refusal)))
}

fn record_view(record: endpoint_record::Model) -> RecordView {
    RecordView {
        id: record.id,
        received_at: record.received_at,
        token: record.sender,
        data: serde_json::from_str(&record.data).unwrap_or(serde_json::Value::Null),
    }
}

/// Stores `data` (JSON text) as a record of `call`: answered once it is committed, with the
/// call's log row.
pub async fn create_record(state: &AppState, call: Call<'_>, data: String) -> Result<Stored> {
    state.records.store(call, data).await
}

/// Bytes of record data one page of records carries at most: 200 records of 1 MiB would
/// otherwise make a 200 MiB answer. A page holds at least one record, so paging always
/// moves on.
pub const RECORDS_PAGE_BYTES: i64 = 8 * 1024 * 1024;

/// A page of records, newest first: their ids and data sizes in bytes, and the id the next
/// page starts after, if there is more.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecordPage {
    pub records: Vec<(i64, i64)>,
    pub next: Option<i64>,
}

/// Newest first, at most `limit` records or [`RECORDS_PAGE_BYTES`] after the id `before`;
/// sizes only, so that the answer can be sent record by record as the client reads it.
pub async fn record_page(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    limit: u64,
    before: Option<i64>,
) -> Result<RecordPage> {
    let mut select = endpoint_record::Entity::find()
        .select_only()
        .column(endpoint_record::Column::Id)
        .column_as(Expr::cust("CAST(octet_length(data) AS BIGINT)"), "size")
        .filter(endpoint_record::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(endpoint_record::Column::Id)
        .limit(limit + 1);
    if let Some(before) = before {
        select = select.filter(endpoint_record::Column::Id.lt(before));
    }
    let rows: Vec<(i64, i64)> = select.into_tuple().all(db).await?;
    let mut page = RecordPage::default();
    let mut bytes = 0;
    for (id, size) in rows {
        let full = page.records.len() as u64 == limit
            || (!page.records.is_empty() && bytes + size > RECORDS_PAGE_BYTES);
        if full {
            page.next = page.records.last().map(|(id, _)| *id);
            break;
        }
        bytes += size;
        page.records.push((id, size));
    }
    Ok(page)
}

/// The endpoint's records among `ids`, data included, newest first (a deleted one is
/// missing).
pub async fn records_with_ids(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    ids: &[i64],
) -> Result<Vec<endpoint_record::Model>> {
    Ok(endpoint_record::Entity::find()
        .filter(endpoint_record::Column::EndpointId.eq(endpoint_id))
        .filter(endpoint_record::Column::Id.is_in(ids.iter().copied()))
        .order_by_desc(endpoint_record::Column::Id)
        .all(db)
        .await?)
}

/// A record without its data: when it came and from whom.
pub async fn record_head(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    id: i64,
) -> Result<Option<(DateTime<Utc>, String)>> {
    Ok(endpoint_record::Entity::find_by_id(id)
        .select_only()
        .column(endpoint_record::Column::ReceivedAt)
        .column(endpoint_record::Column::Sender)
        .filter(endpoint_record::Column::EndpointId.eq(endpoint_id))
        .into_tuple()
        .one(db)
        .await?)
}

/// `chars` characters of a record's data from the `start`th (from 1): a large record is
/// read and sent a piece at a time, so a client that reads slowly holds one piece.
pub async fn record_data_piece(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    id: i64,
    start: i64,
    chars: i64,
) -> Result<Option<String>> {
    Ok(endpoint_record::Entity::find_by_id(id)
        .select_only()
        .column_as(
            // Literals, not bound values: PostgreSQL's substr takes integers, and binds
            // come as bigints. Both are numbers of ours.
            Expr::cust(format!("substr(data, {start}, {chars})")),
            "piece",
        )
        .filter(endpoint_record::Column::EndpointId.eq(endpoint_id))
        .into_tuple()
        .one(db)
        .await?)
}

pub async fn get_record(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    id: i64,
) -> Result<RecordView> {
    endpoint_record::Entity::find_by_id(id)
        .filter(endpoint_record::Column::EndpointId.eq(endpoint_id))
        .one(db)
        .await?
        .map(record_view)
        .ok_or(ServiceError::NotFound)
}

pub async fn delete_record(db: &impl ConnectionTrait, endpoint_id: i64, id: i64) -> Result<()> {
    let deleted = endpoint_record::Entity::delete_many()
        .filter(endpoint_record::Column::Id.eq(id))
        .filter(endpoint_record::Column::EndpointId.eq(endpoint_id))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ServiceError::NotFound);
    }
    Ok(())
}

/// Deletes endpoint records and logged calls older than the retention setting's days before
/// `now`; answers how many of each. Run every hour by the server.
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(u64, u64)> {
    let days = super::settings::load(db).await?.retention_days;
    let cutoff = now - chrono::Duration::days(i64::from(days));
    // Calls first: a call may point at the record it stored.
    let calls = endpoint_request::Entity::delete_many()
        .filter(endpoint_request::Column::At.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let records = endpoint_record::Entity::delete_many()
        .filter(endpoint_record::Column::ReceivedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    Ok((records, calls))
}

/// What the data viewer shows.
#[derive(Clone, Debug, Default)]
pub struct RequestFilter {
    /// Sender labels ("POST primary", a token's name...); empty means all.
    pub tokens: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// How many calls the data viewer reads at most for one view.
pub const REQUESTS_MAX: u64 = 5000;

/// The endpoint's calls in the filter, newest first, at most [`REQUESTS_MAX`].
pub async fn requests(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    filter: &RequestFilter,
) -> Result<Vec<RequestView>> {
    Ok(requests_page(db, endpoint_id, filter, REQUESTS_MAX, None)
        .await?
        .0)
}

/// One page of the endpoint's calls in the filter, newest first, after `cursor` (the
/// previous page's answer); and the cursor of the next page, if there is one.
pub async fn requests_page(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    filter: &RequestFilter,
    limit: u64,
    cursor: Option<&str>,
) -> Result<(Vec<RequestView>, Option<String>)> {
    let mut select = endpoint_request::Entity::find()
        .filter(endpoint_request::Column::EndpointId.eq(endpoint_id))
        .order_by_desc(endpoint_request::Column::At)
        .order_by_desc(endpoint_request::Column::Id)
        .limit(limit + 1);
    if let Some(cursor) = cursor.filter(|c| !c.is_empty()) {
        // (at, id) before the last call of the previous page.
        let (at, id) = cursor
            .split_once('_')
            .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.parse::<i64>().ok()?)))
            .ok_or_else(|| ServiceError::validation("cursor", "The cursor is not valid"))?;
        let at = DateTime::from_timestamp_nanos(at);
        select = select.filter(
            Condition::any()
                .add(endpoint_request::Column::At.lt(at))
                .add(
                    Condition::all()
                        .add(endpoint_request::Column::At.eq(at))
                        .add(endpoint_request::Column::Id.lt(id)),
                ),
        );
    }
    if !filter.tokens.is_empty() {
        select = select.filter(endpoint_request::Column::Sender.is_in(filter.tokens.clone()));
    }
    if let Some(from) = filter.from {
        select = select.filter(endpoint_request::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(endpoint_request::Column::At.lte(to));
    }
    let mut rows = select.all(db).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| format!("{}_{}", r.at.timestamp_nanos_opt().unwrap_or(0), r.id))
    } else {
        None
    };
    let page = rows
        .into_iter()
        .map(|r| RequestView {
            id: r.id,
            received_at: r.at,
            method: r.method,
            token: r.sender,
            endpoint_token_id: r.endpoint_token_id,
            status: u16::try_from(r.status).unwrap_or_default(),
            size: r.size,
            ip: r.ip,
            record_id: r.record_id,
            calls: u32::try_from(r.calls).unwrap_or(1),
        })
        .collect();
    Ok((page, next))
}

/// Refused calls (answered 400 or above) per endpoint since `since`, most first.
pub async fn refused_since(
    db: &impl ConnectionTrait,
    since: DateTime<Utc>,
) -> Result<Vec<(i64, u64)>> {
    let rows: Vec<(i64, i64)> = endpoint_request::Entity::find()
        .select_only()
        .column(endpoint_request::Column::EndpointId)
        .column_as(endpoint_request::Column::Calls.sum(), "calls")
        .filter(endpoint_request::Column::At.gte(since))
        .filter(endpoint_request::Column::Status.gte(400))
        .group_by(endpoint_request::Column::EndpointId)
        .into_tuple()
        .all(db)
        .await?;
    let mut refused: Vec<(i64, u64)> = rows
        .into_iter()
        .map(|(id, calls)| (id, u64::try_from(calls).unwrap_or_default()))
        .collect();
    refused.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(refused)
}

/// Every sender label seen on this endpoint, for the "Tokens" filter.
pub async fn senders(db: &impl ConnectionTrait, endpoint_id: i64) -> Result<Vec<String>> {
    let mut labels: Vec<String> = endpoint_request::Entity::find()
        .select_only()
        .column(endpoint_request::Column::Sender)
        .distinct()
        .filter(endpoint_request::Column::EndpointId.eq(endpoint_id))
        .into_tuple::<String>()
        .all(db)
        .await?;
    labels.sort();
    Ok(labels)
}

/// Calls per sender in `buckets` equal spans from the first call to the last, for the chart.
pub fn calls_per_sender(requests: &[RequestView], buckets: usize) -> Chart {
    let (Some(first), Some(last)) = (
        requests.iter().map(|r| r.received_at).min(),
        requests.iter().map(|r| r.received_at).max(),
    ) else {
        return Chart::default();
    };
    let buckets = buckets.max(1);
    let count = i64::try_from(buckets).unwrap_or(i64::MAX);
    let span = (last - first).num_milliseconds().max(1) + 1;
    let width = (span + count - 1) / count;
    let mut series: BTreeMap<String, (Vec<u32>, Vec<u32>)> = BTreeMap::new();
    for request in requests {
        let index = usize::try_from((request.received_at - first).num_milliseconds() / width)
            .unwrap_or_default()
            .min(buckets - 1);
        let (accepted, refused) = series
            .entry(request.token.clone())
            .or_insert_with(|| (vec![0; buckets], vec![0; buckets]));
        let counts = if request.status < 400 {
            accepted
        } else {
            refused
        };
        counts[index] += request.calls;
    }
    Chart {
        buckets: (0..count)
            .map(|i| first + chrono::Duration::milliseconds(width * i))
            .collect(),
        series: series
            .into_iter()
            .map(|(token, (accepted, refused))| Series {
                token,
                accepted,
                refused,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(token: &str, seconds: i64) -> RequestView {
        RequestView {
            id: 0,
            received_at: DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap(),
            method: "POST".into(),
            token: token.into(),
            endpoint_token_id: None,
            status: 201,
            size: 0,
            ip: None,
            record_id: None,
            calls: 1,
        }
    }

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

    #[test]
    fn the_chart_counts_each_senders_calls_in_equal_spans() {
        let refused = RequestView {
            status: 403,
            ..call("shop", 1)
        };
        let calls = [
            call("shop", 0),
            refused,
            call("billing", 59),
            call("shop", 99),
        ];
        let chart = calls_per_sender(&calls, 4);
        assert_eq!(chart.buckets.len(), 4);
        let counts = |token: &str| {
            chart
                .series
                .iter()
                .find(|s| s.token == token)
                .map(|s| (s.accepted.clone(), s.refused.clone()))
        };
        assert_eq!(counts("shop"), Some((vec![1, 0, 0, 1], vec![1, 0, 0, 0])));
        assert_eq!(counts("billing"), Some((vec![0, 0, 1, 0], vec![0; 4])));
        assert_eq!(calls_per_sender(&[], 4), Chart::default());
    }
}

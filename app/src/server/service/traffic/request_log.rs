//! The request log as the data viewer reads it: an endpoint's calls in a filter, pages of
//! them, refused calls, and who has called.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::model::endpoint::RequestView;
use crate::server::authz::Overseer;
use crate::server::entity::endpoint_request;
use crate::server::error::{Result, ServiceError};

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
#[tracing::instrument(skip_all, fields(endpoint_id = endpoint_id))]
pub async fn requests(
    db: &impl ConnectionTrait,
    overseer: &Overseer,
    endpoint_id: i64,
    filter: &RequestFilter,
) -> Result<Vec<RequestView>> {
    Ok(
        requests_page(db, overseer, endpoint_id, filter, REQUESTS_MAX, None)
            .await?
            .0,
    )
}

/// One page of the endpoint's calls in the filter, newest first, after `cursor` (the
/// previous page's answer); and the cursor of the next page, if there is one.
#[tracing::instrument(skip_all, fields(endpoint_id = endpoint_id))]
pub async fn requests_page(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
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
#[tracing::instrument(skip_all)]
pub async fn refused_since(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
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
#[tracing::instrument(skip_all, fields(endpoint_id = endpoint_id))]
pub async fn senders(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
    endpoint_id: i64,
) -> Result<Vec<String>> {
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

//! The records endpoints receive: stored through the record writer, read a page at a time
//! within a byte budget, deleted by the caller or by retention.

use chrono::{DateTime, Utc};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::model::endpoint::RecordView;
use crate::server::authz::Overseer;
use crate::server::entity::{endpoint_record, endpoint_request};
use crate::server::error::{Result, ServiceError};
use crate::server::record_writer::{RecordWriter, Stored};
use crate::server::requests::Call;

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
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_record(records: &RecordWriter, call: Call<'_>, data: String) -> Result<Stored> {
    records.store(call, data).await
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
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = endpoint_id))]
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
#[tracing::instrument(level = "debug", skip_all, fields(endpoint_id = endpoint_id))]
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
#[tracing::instrument(level = "debug", skip_all, fields(id = id, endpoint_id = endpoint_id))]
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
#[tracing::instrument(level = "debug", skip_all, fields(id = id, endpoint_id = endpoint_id))]
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

/// One record, for the data viewer (an endpoint's own GET token reads pages instead).
#[tracing::instrument(skip_all, fields(id = id, endpoint_id = endpoint_id))]
pub async fn get_record(
    db: &impl ConnectionTrait,
    _overseer: &Overseer,
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

#[tracing::instrument(level = "debug", skip_all, fields(id = id, endpoint_id = endpoint_id))]
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
#[tracing::instrument(skip_all)]
pub async fn purge(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<(u64, u64)> {
    let days = super::super::settings::load(db).await?.retention_days;
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

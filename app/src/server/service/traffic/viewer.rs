//! The data viewer: one page of an endpoint's calls in the filter, every sender seen, and
//! the chart of the calls the filter finds.
use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;

use super::super::{endpoints, optional_date, start_of_day};
use super::{calls_per_sender, requests, requests_page, senders, RequestFilter};
use crate::model::endpoint::{Traffic, TrafficFilter, TrafficRange};
use crate::server::authz::Overseer;
use crate::server::error::Result;

/// Calls on one page of the data viewer.
pub const CALLS_PER_PAGE: u64 = 50;

/// Columns of the calls-per-token chart.
pub const CHART_BUCKETS: usize = 24;

/// What the data viewer shows of endpoint `id` for `filter`.
#[tracing::instrument(skip_all, fields(id = id))]
pub async fn traffic(
    db: &impl ConnectionTrait,
    overseer: &Overseer,
    id: i64,
    filter: TrafficFilter,
) -> Result<Traffic> {
    let endpoint = endpoints::get(db, overseer, id).await?;
    let (from, to) = match filter.range {
        // Whole days, `to` included.
        TrafficRange::Custom => (
            optional_date(&filter.from, "from")?.map(start_of_day),
            optional_date(&filter.to, "to")?
                .and_then(|day| day.succ_opt())
                .map(|next| start_of_day(next) - Duration::milliseconds(1)),
        ),
        range => (range.span().map(|span| Utc::now() - span), None),
    };
    let query = RequestFilter {
        tokens: filter.tokens,
        from,
        to,
    };
    let cursor = filter.cursor.as_deref();
    let (calls, next_cursor) =
        requests_page(db, overseer, endpoint.id, &query, CALLS_PER_PAGE, cursor).await?;
    let charted = requests(db, overseer, endpoint.id, &query).await?;
    Ok(Traffic {
        senders: senders(db, overseer, endpoint.id).await?,
        chart: calls_per_sender(&charted, CHART_BUCKETS),
        requests: calls,
        next_cursor,
    })
}

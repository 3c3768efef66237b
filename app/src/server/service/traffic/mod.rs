//! Calls to endpoints: who may call (the matching primary, or an enabled endpoint token with
//! an enabled assignment to that primary), the records they send and fetch, and the request
//! log the data viewer reads.
mod access;
mod chart;
mod records;
mod request_log;
mod viewer;

pub use access::{authorize, endpoint_access};
pub use chart::calls_per_sender;
pub use records::{
    create_record, delete_record, get_record, purge, record_data_piece, record_head, record_page,
    records_with_ids, RecordPage, RECORDS_PAGE_BYTES,
};
pub use request_log::{
    refused_since, requests, requests_page, senders, RequestFilter, REQUESTS_MAX,
};
pub use viewer::{traffic, CALLS_PER_PAGE, CHART_BUCKETS};

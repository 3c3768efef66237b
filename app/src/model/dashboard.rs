//! The administrators' home page.
use serde::{Deserialize, Serialize};

use super::audit::AuditRow;
use super::token::{StatusFilter, TokenView};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// How many tokens are in each status, in the order of the status filter.
    pub counts: Vec<(StatusFilter, u64)>,
    /// Effective tokens whose last day is within 7 days, soonest first (at most 10).
    pub expiring: Vec<TokenView>,
    /// The latest audit events (at most 5).
    pub recent: Vec<AuditRow>,
    /// Endpoints that refused calls since midnight (UTC), most refusals first.
    pub refused_today: Vec<Refusals>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusals {
    pub endpoint_id: i64,
    pub name: String,
    pub calls: u64,
}

//! The server function of the administrators' home page.
use leptos::prelude::*;

use crate::error::AppError;
pub use crate::model::dashboard::{Dashboard, Refusals};

/// The dashboard for an administrator or auditor; nothing for anyone else (whose home page has none), so
/// the page asks without first waiting to know who is signed in.
#[server(prefix = "/sfn", endpoint = "dashboard")]
pub async fn load_dashboard() -> Result<Option<Dashboard>, AppError> {
    use crate::model::audit::AuditQuery;
    use crate::model::token::{StatusFilter, TokenSort};
    use crate::server::service::{audit, endpoints, start_of_day, tokens, traffic};
    let grant = super::context::require_grant().await?;
    let Some(overseer) = grant.overseer() else {
        return Ok(None);
    };
    let state = super::context::state()?;
    let by_status = |status| tokens::TokenQuery {
        status: Some(status),
        ..Default::default()
    };
    let mut counts = Vec::new();
    for status in StatusFilter::ALL {
        if status != StatusFilter::NotEffective {
            counts.push((
                status,
                tokens::count(&state.db, &overseer, by_status(status)).await?,
            ));
        }
    }
    let expiring = tokens::list(
        &state.db,
        &overseer,
        tokens::TokenQuery {
            limit: Some(10),
            sort: TokenSort::Expires,
            ..by_status(StatusFilter::ExpiringSoon)
        },
    )
    .await?
    .items;
    let (recent, _) = audit::list(&state.db, &overseer, &AuditQuery::default(), 5).await?;
    let midnight = start_of_day(chrono::Utc::now().date_naive());
    let names = endpoints::list(&state.db, &overseer).await?;
    let refused_today = traffic::refused_since(&state.db, &overseer, midnight)
        .await?
        .into_iter()
        .filter_map(|(endpoint_id, calls)| {
            let endpoint = names.iter().find(|e| e.id == endpoint_id)?;
            Some(Refusals {
                endpoint_id,
                name: endpoint.name.clone(),
                calls,
            })
        })
        .collect();
    Ok(Some(Dashboard {
        counts,
        expiring,
        recent,
        refused_today,
    }))
}

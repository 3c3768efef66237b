//! Leak reports in the format of GitHub's secret-scanning partner program. No credential:
//! the reported secret is the proof. Limited per client address.
use axum::{extract::State, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiResult;
use super::extract::{ApiJson, Client};
use app::server::service::leaks::{self, Report};
use app::server::state::AppState;

/// One exposed secret, as a scanner found it.
#[derive(Deserialize, ToSchema)]
pub struct LeakItem {
    pub token: String,
    /// The scanner's name for the kind of secret, echoed back.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Where it was found.
    #[serde(default)]
    pub url: String,
    /// e.g. `content`, `commit`, `issue_comment`.
    #[serde(default)]
    pub source: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    TruePositive,
    FalsePositive,
}

#[derive(Serialize, ToSchema)]
pub struct LeakVerdict {
    /// Hex SHA-256 of the reported secret.
    pub token_hash: String,
    pub token_type: String,
    pub label: Label,
}

/// Reports exposed secrets. Each one that is a Tessera credential's secret is revoked (or
/// flagged, by policy) and its owner told; the answer reveals nothing beyond the label.
#[utoipa::path(post, path = "/api/v1/leaks",
    operation_id = "reportLeaks", tag = "leaks", request_body = Vec<LeakItem>,
    responses((status = 200, body = Vec<LeakVerdict>), (status = 422, body = super::error::ErrorBody),
        (status = 429, body = super::error::ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    Client(ip): Client,
    ApiJson(items): ApiJson<Vec<LeakItem>>,
) -> ApiResult<Json<Vec<LeakVerdict>>> {
    let reports = items
        .into_iter()
        .map(|item| Report {
            token: item.token,
            kind: item.kind,
            url: item.url,
            source: item.source,
        })
        .collect();
    let ip = ip.to_string();
    let verdicts = leaks::report(&state.db, &state.auth, reports, Some(&ip)).await?;
    Ok(Json(
        verdicts
            .into_iter()
            .map(|v| LeakVerdict {
                token_hash: v.token_hash,
                token_type: v.token_type,
                label: if v.true_positive {
                    Label::TruePositive
                } else {
                    Label::FalsePositive
                },
            })
            .collect(),
    ))
}

//! Leak reports in the format of GitHub's secret-scanning partner program. No credential:
//! the reported secret is the proof. Limited per client address.
use axum::extract::{rejection::BytesRejection, State};
use axum::{body::Bytes, http::HeaderMap, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiResult;
use super::extract::{bytes_rejection, is_json, json_rejection, not_json, Client};
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
    responses((status = 200, body = Vec<LeakVerdict>), (status = 403, body = super::error::ErrorBody),
        (status = 413, body = super::error::ErrorBody), (status = 415, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody),
        (status = 429, body = super::error::ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn report(
    State(state): State<AppState>,
    Client(ip): Client,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Vec<LeakVerdict>>> {
    let ip = ip.to_string();
    leaks::admit(&state.db, &ip).await?;
    let body = body.map_err(bytes_rejection)?;
    // The signature covers the body's bytes as sent, so it is checked before parsing.
    if let Some(keys) = &state.sessions.leak_report_keys {
        let signature = headers
            .get("github-public-key-signature")
            .and_then(|value| value.to_str().ok());
        keys.verify(&body, signature)?;
    }
    if !is_json(&headers) {
        return Err(not_json());
    }
    let Json(items) = Json::<Vec<LeakItem>>::from_bytes(&body).map_err(json_rejection)?;
    let reports = items
        .into_iter()
        .map(|item| Report {
            token: item.token,
            kind: item.kind,
            url: item.url,
            source: item.source,
        })
        .collect();
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

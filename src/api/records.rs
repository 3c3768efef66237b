//! Endpoint traffic: integrations POST JSON records, GET them back and DELETE them (where
//! allowed). Every call, refused ones included, goes into the endpoint's request log.
use std::net::IpAddr;

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, FromRequest, Path, Request, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::endpoints::Items;
use super::error::{ApiError, ApiResult};
use super::extract::{cursor_id, ApiQuery, Client};
use app::api::endpoints::RecordView;
use app::server::endpoint_access::EndpointAccess;
use app::server::error::ServiceError;
use app::server::requests::{Call, Sender};
use app::server::service::token_auth::Credentials;
use app::server::service::{endpoints::Method, traffic};
use app::server::state::AppState;
use std::sync::Arc;

/// Records may be larger than other API bodies.
pub const RECORD_LIMIT: usize = 1024 * 1024;
/// How long a record's body may take to arrive.
const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(30);
const RECORDS_PAGE_MAX: u64 = 200;

/// A call that reached a known endpoint: where, and who is calling.
struct Gate {
    access: Arc<EndpointAccess>,
    sender: Sender,
}

/// Finds the endpoint and decides the call. An unknown endpoint is refused without a gate
/// (there is no log to write to); a refused caller keeps the gate so the refusal is logged.
async fn open(
    state: &AppState,
    path: &str,
    method: Method,
    headers: &HeaderMap,
    ip: IpAddr,
) -> Result<Gate, (Option<Gate>, ApiError)> {
    let access = traffic::endpoint_access(&state.db, &state.auth, path)
        .await
        .map_err(|e| (None, ApiError::from(e)))?;
    let named = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let credentials = Credentials {
        authorization: named(header::AUTHORIZATION.as_str()),
        identifier: named("x-token-identifier"),
        pass_code: named("x-token-pass-code"),
        ip: Some(ip),
    };
    let (sender, verdict) = traffic::authorize(state.verifier(), &access, method, credentials)
        .await
        .map_err(|e| (None, ApiError::from(e)))?;
    let gate = Gate { access, sender };
    match verdict {
        Ok(()) => Ok(gate),
        Err(refusal) => Err((Some(gate), refusal.into())),
    }
}

/// Runs a call to its end even when the client goes away meanwhile: a record stored by a
/// call whose client had hung up must still land in the request log.
async fn detached(
    state: &AppState,
    call: impl std::future::Future<Output = Response> + Send + 'static,
) -> Response {
    state.calls.spawn(call).await.unwrap_or_else(|err| {
        tracing::error!(error = %err, "an endpoint call failed");
        ApiError::internal().into_response()
    })
}

/// Logs the call (batched) and answers it.
fn finish(
    state: &AppState,
    gate: Option<&Gate>,
    method: Method,
    ip: IpAddr,
    size: usize,
    result: ApiResult<Response>,
) -> Response {
    let response = result.unwrap_or_else(IntoResponse::into_response);
    if let Some(gate) = gate {
        state.requests.record(Call {
            endpoint_id: gate.access.endpoint.id,
            method: method.as_str(),
            sender: &gate.sender,
            status: response.status().as_u16(),
            size,
            ip: Some(ip.to_string()),
        });
    }
    response
}

#[derive(Serialize, ToSchema)]
pub struct Received {
    pub id: i64,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

fn body_rejection(rejection: &BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "A record may be at most 1 MiB",
        )
    } else {
        ApiError::validation(StatusCode::BAD_REQUEST, None, rejection.body_text())
    }
}

/// Stores any JSON value as a record.
#[utoipa::path(post, path = "/api/v1/endpoints/{path}/records",
    operation_id = "createRecord", tag = "records",
    request_body(content = serde_json::Value, description = "Any JSON value, at most 1 MiB"),
    responses((status = 201, body = Received), (status = 400, body = super::error::ErrorBody),
        (status = 401, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 413, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    State(state): State<AppState>,
    Client(ip): Client,
    Path(path): Path<String>,
    request: Request,
) -> Response {
    detached(&state.clone(), async move {
        let method = Method::Post;
        // The caller is decided before the body is read: a refused call costs no upload.
        let announced = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .unwrap_or(0);
        let gate = match open(&state, &path, method, request.headers(), ip).await {
            Ok(gate) => gate,
            Err((gate, refusal)) => {
                return finish(&state, gate.as_ref(), method, ip, announced, Err(refusal))
            }
        };
        // The router's deadline does not reach into this detached task: the body gets its own.
        let body =
            match tokio::time::timeout(BODY_DEADLINE, Bytes::from_request(request, &())).await {
                Ok(body) => body,
                Err(_) => {
                    let late = ApiError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "request_timeout",
                        "The body did not arrive in time",
                    );
                    return finish(&state, Some(&gate), method, ip, announced, Err(late));
                }
            };
        let size = body.as_ref().map_or(announced, Bytes::len);
        let stored = async {
            // Only the compact text waits for the writer: the body and the parsed value are
            // dropped here.
            let data = {
                let body = body.map_err(|r| body_rejection(&r))?;
                let value: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                    ApiError::validation(
                        StatusCode::BAD_REQUEST,
                        None,
                        format!("The body is not valid JSON: {e}"),
                    )
                })?;
                value.to_string()
            };
            let call = Call {
                endpoint_id: gate.access.endpoint.id,
                method: method.as_str(),
                sender: &gate.sender,
                status: StatusCode::CREATED.as_u16(),
                size,
                ip: Some(ip.to_string()),
            };
            Ok::<_, ApiError>(traffic::create_record(&state.records, call, data).await?)
        }
        .await;
        match stored {
            // The writer logged the call with its record.
            Ok(stored) => (
                StatusCode::CREATED,
                Json(Received {
                    id: stored.id,
                    received_at: stored.received_at,
                }),
            )
                .into_response(),
            Err(refusal) => finish(&state, Some(&gate), method, ip, size, Err(refusal)),
        }
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParams {
    /// At most 200; 50 when absent.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The endpoint's records, newest first.
#[utoipa::path(get, path = "/api/v1/endpoints/{path}/records",
    operation_id = "listRecords", tag = "records",
    params(RecordParams),
    responses((status = 200, body = Items<RecordView>), (status = 401, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(
    State(state): State<AppState>,
    Client(ip): Client,
    Path(path): Path<String>,
    headers: HeaderMap,
    params: Result<ApiQuery<RecordParams>, ApiError>,
) -> Response {
    detached(&state.clone(), async move {
        let method = Method::Get;
        let gate = match open(&state, &path, method, &headers, ip).await {
            Ok(gate) => gate,
            Err((gate, refusal)) => {
                return finish(&state, gate.as_ref(), method, ip, 0, Err(refusal))
            }
        };
        let result = async {
            let ApiQuery(params) = params?;
            let before = cursor_id(params.cursor.as_deref())?;
            let limit = params.limit.unwrap_or(50).clamp(1, RECORDS_PAGE_MAX);
            let endpoint_id = gate.access.endpoint.id;
            let page = traffic::record_page(&state.db, endpoint_id, limit, before).await?;
            Ok(page_answer(state.db.clone(), endpoint_id, page))
        }
        .await;
        finish(&state, Some(&gate), method, ip, 0, result)
    })
    .await
}

/// Characters of a large record's data read and sent at a time.
const PIECE_CHARS: i64 = 64 * 1024;
/// Small records are read together while they add up to at most this many bytes.
const BATCH_BYTES: i64 = 64 * 1024;

/// Marks an answer the compression layer leaves alone: a page of records is sent as the
/// client reads it, and an encoder's window per slow reader would cost more than it saves.
#[derive(Clone, Copy, Debug)]
pub struct Uncompressed;

/// A page of records as `{"items": [...], "next_cursor"}`, read from the database a batch
/// or a piece at a time as the client takes the bytes: a client that reads nothing holds
/// one piece, not the page.
fn page_answer(
    db: sea_orm::DatabaseConnection,
    endpoint_id: i64,
    page: traffic::RecordPage,
) -> Response {
    let sending = Sending {
        db,
        endpoint_id,
        queue: page.records.into(),
        next: page.next,
        piece: None,
        started: false,
        first: true,
        done: false,
    };
    let stream = futures_util::stream::try_unfold(sending, |mut sending| async move {
        let chunk = sending.next_chunk().await.inspect_err(|err| {
            tracing::warn!(error = %err, "a page of records was cut off");
        })?;
        Ok::<_, ServiceError>(chunk.map(|chunk| (Bytes::from(chunk), sending)))
    });
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Body::from_stream(stream),
    )
        .into_response();
    response.extensions_mut().insert(Uncompressed);
    response
}

struct Sending {
    db: sea_orm::DatabaseConnection,
    endpoint_id: i64,
    /// Records still to send: id and data size in bytes.
    queue: std::collections::VecDeque<(i64, i64)>,
    next: Option<i64>,
    /// A large record being sent: its id and the next character of its data.
    piece: Option<(i64, i64)>,
    started: bool,
    first: bool,
    done: bool,
}

/// A record's fields before its data, as `RecordView` names them.
#[derive(Serialize)]
struct Head<'a> {
    id: i64,
    received_at: chrono::DateTime<chrono::Utc>,
    token: &'a str,
}

impl Sending {
    async fn next_chunk(&mut self) -> Result<Option<String>, ServiceError> {
        if self.done {
            return Ok(None);
        }
        let mut out = String::new();
        if !self.started {
            self.started = true;
            out.push_str("{\"items\":[");
        }
        if let Some((id, start)) = self.piece {
            let piece =
                traffic::record_data_piece(&self.db, self.endpoint_id, id, start, PIECE_CHARS)
                    .await?;
            match piece {
                Some(piece) if piece.chars().count() as i64 == PIECE_CHARS => {
                    out.push_str(&piece);
                    self.piece = Some((id, start + PIECE_CHARS));
                }
                Some(piece) => {
                    out.push_str(&piece);
                    out.push('}');
                    self.piece = None;
                }
                // Deleted before its first piece: its head is out already.
                None if start == 1 => {
                    out.push_str("null}");
                    self.piece = None;
                }
                // Deleted halfway: the answer cannot be completed, only cut off.
                None => return Err(ServiceError::NotFound),
            }
            return Ok(Some(out));
        }
        match self.queue.front().copied() {
            None => {
                let next = self
                    .next
                    .map_or("null".to_owned(), |id| format!("\"{id}\""));
                out.push_str(&format!("],\"next_cursor\":{next}}}"));
                self.done = true;
            }
            Some((id, size)) if size > BATCH_BYTES => {
                self.queue.pop_front();
                if let Some((received_at, token)) =
                    traffic::record_head(&self.db, self.endpoint_id, id).await?
                {
                    self.item(&mut out, id, received_at, &token)?;
                    self.piece = Some((id, 1));
                }
            }
            Some(_) => {
                let mut ids = Vec::new();
                let mut bytes = 0;
                while let Some(&(id, size)) = self.queue.front() {
                    if size > BATCH_BYTES || (!ids.is_empty() && bytes + size > BATCH_BYTES) {
                        break;
                    }
                    bytes += size;
                    ids.push(id);
                    self.queue.pop_front();
                }
                for record in traffic::records_with_ids(&self.db, self.endpoint_id, &ids).await? {
                    self.item(&mut out, record.id, record.received_at, &record.sender)?;
                    out.push_str(&record.data);
                    out.push('}');
                }
            }
        }
        Ok(Some(out))
    }

    /// Appends a record's fields up to `"data":`, after a comma when it is not the first.
    fn item(
        &mut self,
        out: &mut String,
        id: i64,
        received_at: chrono::DateTime<chrono::Utc>,
        token: &str,
    ) -> Result<(), ServiceError> {
        if !std::mem::replace(&mut self.first, false) {
            out.push(',');
        }
        let head = serde_json::to_string(&Head {
            id,
            received_at,
            token,
        })
        .map_err(|e| ServiceError::Internal(format!("encoding a record: {e}")))?;
        out.push_str(head.trim_end_matches('}'));
        out.push_str(",\"data\":");
        Ok(())
    }
}

/// Deletes one record; only while the endpoint allows deleting.
#[utoipa::path(delete, path = "/api/v1/endpoints/{path}/records/{id}",
    operation_id = "deleteRecord", tag = "records",
    responses((status = 204), (status = 401, body = super::error::ErrorBody),
        (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(level = "debug", skip_all)]
pub async fn delete(
    State(state): State<AppState>,
    Client(ip): Client,
    Path((path, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    detached(&state.clone(), async move {
        let method = Method::Delete;
        let gate = match open(&state, &path, method, &headers, ip).await {
            Ok(gate) => gate,
            Err((gate, refusal)) => {
                return finish(&state, gate.as_ref(), method, ip, 0, Err(refusal))
            }
        };
        let result = async {
            let id: i64 = id.parse().map_err(|_| ApiError::not_found())?;
            traffic::delete_record(&state.db, gate.access.endpoint.id, id).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await;
        finish(&state, Some(&gate), method, ip, 0, result)
    })
    .await
}

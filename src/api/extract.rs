//! Extractors whose failures answer in the API's error shape, never axum's plain text.
use std::net::IpAddr;

use axum::{
    body::{Body, Bytes},
    extract::{
        rejection::{BytesRejection, FormRejection, JsonRejection, QueryRejection},
        FromRequest, FromRequestParts, Request,
    },
    http::{request::Parts, StatusCode},
};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use super::token_headers::TokenAnswer;
use app::model::scope::Scope;
use app::server::authz::{Admin, Grant, Overseer};
use app::server::client_ip::ClientIp;
use app::server::error::ServiceError;
use app::server::service::token_auth::{self, Credentials, Verified};
use app::server::state::AppState;

/// The caller, authenticated by a bearer token (never a query string). The token service
/// decides and audits; this keeps the answer's rate-limit headers.
pub struct Caller {
    grant: Grant,
    state: AppState,
}

impl Caller {
    /// What the request holds, if its token carries `scope` (within the owner's
    /// permissions), or 403.
    pub async fn grant(self, scope: Scope) -> Result<Grant, ApiError> {
        Ok(token_auth::require(self.state.verifier(), self.grant, scope).await?)
    }

    /// The administrator's proof: a token with `admin` whose owner still is one.
    pub async fn admin(self) -> Result<Admin, ApiError> {
        self.grant(Scope::Admin)
            .await?
            .admin()
            .ok_or_else(ApiError::forbidden)
    }

    /// The proof of oversight (reading what administrators read): a token with `admin` or
    /// `audit:read` whose owner still holds that right.
    pub async fn overseer(self) -> Result<Overseer, ApiError> {
        // `admin` only while the owner still administers: an auditor's token that also
        // carries `admin` reads as an auditor.
        let scope = if self.grant.carries(Scope::Admin) && self.grant.account().is_admin() {
            Scope::Admin
        } else {
            Scope::AuditRead
        };
        self.grant(scope)
            .await?
            .overseer()
            .ok_or_else(ApiError::forbidden)
    }
}

/// The administrator's proof, taken before the body is read: a caller without it is refused
/// with 403 whatever it sent.
pub struct AsAdmin(pub Admin);

impl FromRequestParts<AppState> for AsAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(
            Caller::from_request_parts(parts, state)
                .await?
                .admin()
                .await?,
        ))
    }
}

/// The proof of oversight (administrators and auditors), taken before the body is read.
pub struct AsOverseer(pub Overseer);

impl FromRequestParts<AppState> for AsOverseer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self(
            Caller::from_request_parts(parts, state)
                .await?
                .overseer()
                .await?,
        ))
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let credentials = Credentials {
            authorization: header(parts, "authorization"),
            identifier: header(parts, "x-token-identifier"),
            pass_code: header(parts, "x-token-pass-code"),
            ip: parts.extensions.get::<ClientIp>().map(|ClientIp(ip)| *ip),
        };
        let answer = parts.extensions.get::<TokenAnswer>();
        match token_auth::authenticate(state.verifier(), credentials).await {
            Ok(Verified { grant, rate }) => {
                if let Some(answer) = answer {
                    let expires = grant.presented_token().and_then(|token| token.expires_at);
                    answer.token(rate, expires);
                }
                Ok(Caller {
                    grant,
                    state: state.clone(),
                })
            }
            Err(err) => {
                if let (Some(answer), ServiceError::OverRateLimit(over)) = (answer, &err) {
                    answer.over_limit(over);
                }
                Err(err.into())
            }
        }
    }
}

/// JSON body: 400 when it does not parse, 422 naming the problem when it has the wrong
/// shape, 413 when it is over the limit.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// A JSON body that may be left out: no bytes or `null` is `None`, whatever the headers say
/// (generated clients send `Content-Type: application/json` with no body); any other body is
/// checked like [`ApiJson`].
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    payload_too_large()
                } else {
                    ApiError::validation(StatusCode::BAD_REQUEST, None, rejection.body_text())
                }
            })?;
        if bytes.is_empty() {
            return Ok(OptionalJson(None));
        }
        let req = Request::from_parts(parts, Body::from(bytes));
        // JSON `null` says "nothing" as well as no body does.
        let ApiJson(value) = ApiJson::<Option<T>>::from_request(req, state).await?;
        Ok(OptionalJson(value))
    }
}

pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::JsonDataError(e) => {
            ApiError::validation(StatusCode::UNPROCESSABLE_ENTITY, None, e.body_text())
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::validation(
            StatusCode::BAD_REQUEST,
            None,
            format!("The body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => not_json(),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => payload_too_large(),
        other => ApiError::validation(StatusCode::BAD_REQUEST, None, other.body_text()),
    }
}

pub fn form_rejection(rejection: FormRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        payload_too_large()
    } else {
        ApiError::validation(StatusCode::BAD_REQUEST, None, rejection.body_text())
    }
}

/// 415 for a body that does not say it is JSON.
pub fn not_json() -> ApiError {
    ApiError::validation(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        None,
        "Send JSON with Content-Type: application/json",
    )
}

/// Whether the request says its body is JSON (`application/json` or `*/*+json`), as
/// [`ApiJson`] requires, for handlers that read the bytes themselves.
pub fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .is_some_and(|essence| {
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
}

pub fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        payload_too_large()
    } else {
        ApiError::validation(StatusCode::BAD_REQUEST, None, rejection.body_text())
    }
}

fn payload_too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("The body is larger than {} KiB", super::BODY_LIMIT / 1024),
    )
}

/// Query string parameters, refused with 422 naming the problem.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::validation(
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        rejection.body_text(),
    )
}

/// A list's `cursor` parameter: the id the previous page ended at, none when empty, 422
/// naming the parameter when it is not one.
pub fn cursor_id(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    match cursor.filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c.parse().map(Some).map_err(|_| {
            ApiError::validation(
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("cursor"),
                "The cursor is not valid",
            )
        }),
    }
}

/// A path id that is not a number names nothing: 404, like an unknown id.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<i64>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(id)) => Ok(Id(id)),
            Err(_) => Err(ApiError::not_found()),
        }
    }
}

/// The client's address as `app::server::client_ip` works it out (the socket's peer when
/// nothing was resolved, e.g. in a test calling a handler directly).
pub struct Client(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .map(|ClientIp(ip)| *ip)
            .or_else(|| {
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|info| info.0.ip())
            })
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(Client(ip))
    }
}

//! The REST API's error: DESIGN section 5's shape `{"error": {"code", "message", "field"?}}`.
use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

use app::server::error::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    /// Seconds, for 429 answers.
    pub retry_after: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This token does not allow this action",
        )
    }

    /// The answer to a failure on our side; its cause goes to the log, never to the client.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side; please try again",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "Not found")
    }

    pub fn validation(status: StatusCode, field: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            field: field.map(str::to_owned),
            ..Self::new(status, "validation_failed", message)
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Validation { field, message } => {
                Self::validation(StatusCode::UNPROCESSABLE_ENTITY, Some(field), message)
            }
            ServiceError::Conflict { field, message } => Self {
                field: Some(field.to_owned()),
                ..Self::new(StatusCode::CONFLICT, "conflict", message)
            },
            ServiceError::NotFound => Self::not_found(),
            ServiceError::Forbidden => Self::forbidden(),
            ServiceError::IpNotAllowed => {
                Self::new(StatusCode::FORBIDDEN, "ip_not_allowed", err.to_string())
            }
            ServiceError::PreviousSecret => {
                Self::new(StatusCode::FORBIDDEN, "previous_secret", err.to_string())
            }
            ServiceError::BadSignature => {
                Self::new(StatusCode::FORBIDDEN, "invalid_signature", err.to_string())
            }
            ServiceError::TooLarge { field, message } => Self {
                field: Some(field.to_owned()),
                ..Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
            },
            ServiceError::Unauthenticated(failure) => {
                Self::new(StatusCode::UNAUTHORIZED, failure.code(), failure.message())
            }
            ServiceError::InvalidCredentials | ServiceError::AccountUnavailable(_) => {
                Self::new(StatusCode::UNAUTHORIZED, "invalid_token", err.to_string())
            }
            ServiceError::RateLimited { retry_after } => Self {
                retry_after: Some(retry_after),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    err.to_string(),
                )
            },
            ServiceError::OverRateLimit(over) => Self {
                retry_after: Some(over.retry_after as i64),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    err.to_string(),
                )
            },
            ServiceError::Db(_) | ServiceError::Internal(_) => {
                tracing::error!(error = %err, "API request failed");
                Self::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                field: self.field,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 6750: tell the client the token was the problem.
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer error="invalid_token""#),
            );
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

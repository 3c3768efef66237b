//! The error a browser sees: user-safe messages only. Internal causes are logged on the
//! server and arrive here as the opaque `Internal`.
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in again")]
    Unauthorized,
    #[error("You do not have permission to do this")]
    Forbidden,
    #[error("Not found")]
    NotFound,
    /// A field's value was refused; `field` names it so the form can show the message there.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// The request was understood and refused (wrong credentials, an unusable account).
    #[error("{0}")]
    Refused(String),
    /// A limit was reached: try again in `retry_after` seconds.
    #[error("Too many attempts, try again in {} minute(s)", (.retry_after + 59) / 60)]
    TooMany { retry_after: i64 },
    #[error("Something went wrong on our side; please try again")]
    Internal,
    /// The request did not reach the server function (network, decoding).
    #[error("The request failed: {0}")]
    Request(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let err = AppError::Request(value.to_string());
        // On the server this is an argument that did not decode: the caller's fault, 400.
        #[cfg(feature = "ssr")]
        err.set_response_status();
        err
    }
}

impl AppError {
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use axum::http::{header::RETRY_AFTER, HeaderValue, StatusCode};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use super::AppError;
    use crate::server::error::ServiceError;

    impl AppError {
        pub fn status(&self) -> StatusCode {
            match self {
                AppError::Unauthorized => StatusCode::UNAUTHORIZED,
                AppError::Forbidden => StatusCode::FORBIDDEN,
                AppError::NotFound => StatusCode::NOT_FOUND,
                AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Refused(_) => StatusCode::UNAUTHORIZED,
                AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
                AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Request(_) => StatusCode::BAD_REQUEST,
            }
        }
    }

    impl From<ServiceError> for AppError {
        /// Also sets the response status when called inside a server function, so that a
        /// direct call (not through the page) sees 403, 422... rather than a blanket 500.
        fn from(err: ServiceError) -> Self {
            let app = match err {
                ServiceError::Validation { field, message }
                | ServiceError::Conflict { field, message }
                | ServiceError::TooLarge { field, message } => AppError::Invalid {
                    field: Some(field.to_owned()),
                    message,
                },
                ServiceError::NotFound => AppError::NotFound,
                ServiceError::Unauthenticated(_) => AppError::Unauthorized,
                ServiceError::Forbidden
                | ServiceError::IpNotAllowed
                | ServiceError::PreviousSecret
                | ServiceError::BadSignature => AppError::Forbidden,
                ServiceError::InvalidCredentials | ServiceError::AccountUnavailable(_) => {
                    AppError::Refused(err.to_string())
                }
                ServiceError::RateLimited { retry_after } => AppError::TooMany { retry_after },
                ServiceError::OverRateLimit(over) => AppError::TooMany {
                    retry_after: over.retry_after as i64,
                },
                ServiceError::Db(_) | ServiceError::Internal(_) => {
                    tracing::error!(error = %err, "request failed");
                    AppError::Internal
                }
            };
            app.set_response_status();
            app
        }
    }

    impl AppError {
        pub fn set_response_status(&self) {
            if let Some(response) = use_context::<ResponseOptions>() {
                response.set_status(self.status());
                if let AppError::TooMany { retry_after } = self {
                    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                        response.insert_header(RETRY_AFTER, value);
                    }
                }
            }
        }
    }
}

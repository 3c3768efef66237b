//! The service layer's error: what a rule refused, or that storage failed.
use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("Invalid username or password")]
    InvalidCredentials,
    #[error("{0}")]
    AccountUnavailable(&'static str),
    /// A limit was reached; the next attempt is possible in `retry_after` seconds.
    #[error("Too many attempts, try again later")]
    RateLimited { retry_after: i64 },
    /// A token did not authenticate; the code says why (DESIGN section 5).
    #[error("{}", .0.message())]
    Unauthenticated(AuthFailure),
    /// The token verified, but its allowlist does not admit the caller's address.
    #[error("This token may not be used from this address")]
    IpNotAllowed,
    /// A secret replaced by a rotation, still in its overlap: it may make ordinary calls,
    /// never a change (it would outlive the overlap or lock the new secret's holder out).
    #[error("This secret was replaced by a rotation; changes need the newest secret")]
    PreviousSecret,
    /// A leak report without a valid signature, when reporters' keys are configured.
    #[error("The report's Github-Public-Key-Signature does not verify with a configured key")]
    BadSignature,
    /// A request bigger than its limit, said in the message.
    #[error("{message}")]
    TooLarge {
        field: &'static str,
        message: String,
    },
    /// The token made its requests of the minute.
    #[error("This token may make {} requests a minute; try again in {} s", .0.rate.limit, .0.retry_after)]
    OverRateLimit(crate::server::rate_limits::OverLimit),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    MissingToken,
    InvalidToken,
    TokenExpired,
    TokenRevoked,
    TokenSuspended,
    OwnerLocked,
    OwnerInactive,
    TokensDisabled,
    CredentialsRequired,
}

impl AuthFailure {
    pub fn code(self) -> &'static str {
        match self {
            Self::MissingToken => "missing_token",
            Self::InvalidToken => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
            Self::TokenSuspended => "token_suspended",
            Self::OwnerLocked => "owner_locked",
            Self::OwnerInactive => "owner_inactive",
            Self::TokensDisabled => "tokens_disabled",
            Self::CredentialsRequired => "credentials_required",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::MissingToken => "Send a token in the Authorization header: Bearer <token>",
            Self::InvalidToken => "The token is not valid",
            Self::TokenExpired => "The token has expired",
            Self::TokenRevoked => "The token has been revoked",
            Self::TokenSuspended => "The token is suspended",
            Self::OwnerLocked => "The token's owner is locked",
            Self::OwnerInactive => "The token's owner is no longer active",
            Self::TokensDisabled => "API tokens are disabled",
            Self::CredentialsRequired => {
                "This token needs its identifier and pass code (X-Token-Identifier, X-Token-Pass-Code)"
            }
        }
    }
}

pub type Result<T> = std::result::Result<T, ServiceError>;

impl ServiceError {
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field,
            message: message.into(),
        }
    }

    /// Turns a unique-index violation into a conflict on `field`; other errors pass through.
    pub fn from_db_unique(err: DbErr, field: &'static str, message: &str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict {
                field,
                message: message.to_owned(),
            },
            _ => Self::Db(err),
        }
    }
}

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
    #[error("Too many attempts, try again later")]
    TooManyAttempts,
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("internal error: {0}")]
    Internal(String),
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

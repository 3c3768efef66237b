//! Password rules and argon2id hashing. Hashing runs on the blocking pool (it is meant to be
//! slow, and must not stall the async workers), one run per core at a time: no number of
//! concurrent requests grows its memory beyond that.
use std::sync::LazyLock;
use std::time::Duration;

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher, PasswordVerifier},
    Argon2,
};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::server::error::{Result, ServiceError};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 256;
/// zxcvbn's cost grows with length; beyond this many characters a password is not "common".
const STRENGTH_CHECK_LEN: usize = 64;

/// Between [`MIN_LEN`] and [`MAX_LEN`] characters, or a message naming `field`: passwords
/// and pass codes alike.
pub fn check_length(secret: &str, field: &'static str, label: &str) -> Result<()> {
    let len = secret.chars().count();
    if len < MIN_LEN {
        return Err(ServiceError::validation(
            field,
            format!("{label} must be at least {MIN_LEN} characters"),
        ));
    }
    if len > MAX_LEN {
        return Err(ServiceError::validation(
            field,
            format!("{label} must be at most {MAX_LEN} characters"),
        ));
    }
    Ok(())
}

/// Length and commonness only: no composition rules (NIST SP 800-63B).
pub fn validate(password: &str, user_inputs: &[&str]) -> Result<()> {
    check_length(password, "password", "Password")?;
    let checked: String = password.chars().take(STRENGTH_CHECK_LEN).collect();
    if u8::from(zxcvbn::zxcvbn(&checked, user_inputs).score()) < 2 {
        return Err(ServiceError::validation(
            "password",
            "This password is too common or too easy to guess",
        ));
    }
    Ok(())
}

/// Argon2 runs at most this many at once: one per core. Each run holds 19 MiB, and more at
/// once would not finish sooner, only hold more memory while they queue for the cores.
static HASHERS: LazyLock<Semaphore> = LazyLock::new(|| {
    Semaphore::new(std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
});

/// How long a request waits for a free hasher before it is told to come back (429).
const HASHER_WAIT: Duration = Duration::from_secs(2);

async fn hasher() -> Result<SemaphorePermit<'static>> {
    match tokio::time::timeout(HASHER_WAIT, HASHERS.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        Ok(Err(_)) => Err(ServiceError::Internal(
            "the hashing semaphore closed".into(),
        )),
        Err(_) => Err(ServiceError::RateLimited { retry_after: 1 }),
    }
}

#[tracing::instrument(skip_all)]
pub async fn hash(password: String) -> Result<String> {
    let permit = hasher().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("hashing task failed: {e}")))?
}

/// A hash of nothing anyone knows, verified against when a username is unknown so that an
/// unknown user costs the same time as a wrong password.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    Argon2::default()
        .hash_password(b"tessera-no-such-user")
        .ok()
        .map(|h| h.to_string())
});

/// Verifies `password` against `stored`, or against the dummy hash when there is no user.
#[tracing::instrument(skip_all)]
pub async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    let permit = hasher().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let real = stored.is_some();
        let Some(stored) = stored.or_else(|| DUMMY_HASH.clone()) else {
            return false;
        };
        let ok = PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        real && ok
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("verification task failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_password_is_refused_naming_the_minimum() {
        let err = validate("abc", &[]).unwrap_err();
        assert!(err.to_string().contains("at least 8"));
    }

    #[test]
    fn a_common_password_is_refused() {
        assert!(validate("password123", &[]).is_err());
        assert!(validate("qwertyuiop", &[]).is_err());
    }

    #[test]
    fn a_long_passphrase_without_symbols_is_accepted() {
        assert!(validate("correct horse battery staple tessera", &[]).is_ok());
    }

    #[test]
    fn a_password_over_the_maximum_is_refused() {
        let long = "x".repeat(MAX_LEN + 1);
        assert!(validate(&long, &[])
            .unwrap_err()
            .to_string()
            .contains("at most"));
    }

    #[tokio::test]
    async fn a_hash_verifies_only_its_own_password() {
        let stored = hash("river-otter-lantern-42".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(
            verify("river-otter-lantern-42".into(), Some(stored.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("river-otter-lantern-43".into(), Some(stored))
            .await
            .unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}

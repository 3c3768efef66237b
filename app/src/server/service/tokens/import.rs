//! Importing an existing secret, so an integration moves to Tessera without changing its
//! credential. Only an administrator may, and only a secret strong enough to stand beside
//! generated ones: the rule estimates its entropy as length × log2(the size of the character
//! classes it uses: 26 lower case, 26 upper case, 10 digits, 32 ASCII symbols) and asks for
//! at least 128 bits (22 letters and digits mixing cases: 22 × log2 62 ≈ 131), with at least
//! 10 distinct characters, no unit repeated to fill it, no character 4 times in a row, no
//! run of 5 consecutive characters (`12345`, `edcba`), and nothing zxcvbn can guess in
//! fewer than 10^16 tries (words, dates, keyboard walks).
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::rules::either_digest;

use crate::server::authz::Admin;
use crate::server::entity::{access_token, endpoint_primary, endpoint_token};
use crate::server::error::{Result, ServiceError};
use crate::server::secrets;

pub const MIN_BITS: f64 = 128.0;
const MIN_DISTINCT: usize = 10;
const MAX_SAME_IN_A_ROW: usize = 3;
const MAX_CONSECUTIVE: usize = 4;

/// A secret an administrator gave, checked against the rule. Made only by [`Self::check`]
/// with an administrator's proof, so a token created with one was imported by an
/// administrator.
#[derive(Clone)]
pub struct ImportedSecret(String);

// Never print the secret, even in a debug log.
impl std::fmt::Debug for ImportedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImportedSecret(…)")
    }
}

fn refused(message: impl Into<String>) -> ServiceError {
    ServiceError::validation("secret", message)
}

impl ImportedSecret {
    pub fn check(_admin: &Admin, secret: &str) -> Result<Self> {
        let len = secret.chars().count();
        if len < secrets::IMPORTED_MIN_LEN {
            return Err(refused(format!(
                "The secret must be at least {} characters",
                secrets::IMPORTED_MIN_LEN
            )));
        }
        if len > secrets::IMPORTED_MAX_LEN {
            return Err(refused(format!(
                "The secret must be at most {} characters",
                secrets::IMPORTED_MAX_LEN
            )));
        }
        if !secrets::is_importable(secret) {
            return Err(refused(
                "The secret may hold only ASCII letters, digits and symbols: no spaces, control or other characters",
            ));
        }
        if secret.starts_with(secrets::PREFIX) && !secrets::is_well_formed(secret) {
            return Err(refused(format!(
                "A secret starting with {} must be a Tessera token, and this one fails its checksum",
                secrets::PREFIX
            )));
        }
        let bits = entropy_bits(secret);
        if bits < MIN_BITS {
            return Err(refused(format!(
                "The secret has about {bits:.0} bits of entropy; at least {MIN_BITS:.0} are needed (e.g. 22 random letters and digits, upper and lower case)"
            )));
        }
        if let Some(pattern) = pattern(secret) {
            return Err(refused(format!(
                "The secret is not random enough: {pattern}"
            )));
        }
        if guessable(secret) {
            return Err(refused(
                "The secret is not random enough: it is built from words or patterns that are easy to guess",
            ));
        }
        Ok(Self(secret.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 409 when any credential, of any kind, already has `secret`: one secret must name
    /// one credential.
    pub async fn check_unused(secret: &str, db: &impl ConnectionTrait) -> Result<()> {
        let digest = secrets::digest(secret);
        let tokens = access_token::Entity::find()
            .select_only()
            .column(access_token::Column::Id)
            .filter(either_digest(
                access_token::Column::SecretDigest,
                access_token::Column::PreviousDigest,
                &digest,
            ))
            .into_tuple::<i64>()
            .one(db)
            .await?;
        let primaries = endpoint_primary::Entity::find()
            .filter(either_digest(
                endpoint_primary::Column::SecretDigest,
                endpoint_primary::Column::PreviousDigest,
                &digest,
            ))
            .one(db)
            .await?;
        let endpoint_tokens = endpoint_token::Entity::find()
            .filter(either_digest(
                endpoint_token::Column::SecretDigest,
                endpoint_token::Column::PreviousDigest,
                &digest,
            ))
            .one(db)
            .await?;
        if tokens.is_some() || primaries.is_some() || endpoint_tokens.is_some() {
            return Err(ServiceError::Conflict {
                field: "secret",
                message: "This secret is already in use; give another one".into(),
            });
        }
        Ok(())
    }
}

/// length × log2(the sizes of the character classes used).
pub fn entropy_bits(secret: &str) -> f64 {
    type Member = fn(&u8) -> bool;
    let classes: [(Member, u32); 4] = [
        (u8::is_ascii_lowercase, 26),
        (u8::is_ascii_uppercase, 26),
        (u8::is_ascii_digit, 10),
        (u8::is_ascii_punctuation, 32),
    ];
    let pool: u32 = classes
        .iter()
        .filter(|(member, _)| secret.as_bytes().iter().any(member))
        .map(|(_, size)| size)
        .sum();
    if pool == 0 {
        return 0.0;
    }
    secret.len() as f64 * f64::from(pool).log2()
}

/// zxcvbn finds words, dates, keyboard walks and repeats that the class-based estimate
/// counts as random (`Password123!Password456!`: 10^12 guesses). A random secret of the
/// minimum length reaches zxcvbn's ceiling (about 10^19, all a u64 counts); asking for 10^16
/// leaves room below it. Checked on the first 64 characters: zxcvbn's cost grows with
/// length.
fn guessable(secret: &str) -> bool {
    let start: String = secret.chars().take(64).collect();
    zxcvbn::zxcvbn(&start, &[]).guesses_log10() < MIN_GUESSES_LOG10
}

const MIN_GUESSES_LOG10: f64 = 16.0;

/// What makes a long secret guessable anyway, in words.
fn pattern(secret: &str) -> Option<&'static str> {
    let bytes = secret.as_bytes();
    let mut distinct = bytes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_DISTINCT {
        return Some("it uses fewer than 10 different characters");
    }
    let len = bytes.len();
    let repeats = (1..=len / 2)
        .filter(|unit| len.is_multiple_of(*unit))
        .any(|unit| bytes.chunks(unit).all(|chunk| chunk == &bytes[..unit]));
    if repeats {
        return Some("it repeats a shorter pattern");
    }
    if bytes
        .windows(MAX_SAME_IN_A_ROW + 1)
        .any(|w| w.iter().all(|b| *b == w[0]))
    {
        return Some("a character appears 4 times in a row");
    }
    let consecutive = |step: i16| {
        bytes.windows(MAX_CONSECUTIVE + 1).any(|w| {
            w.windows(2)
                .all(|pair| i16::from(pair[1]) - i16::from(pair[0]) == step)
        })
    };
    if consecutive(1) || consecutive(-1) {
        return Some("it holds a run of 5 consecutive characters");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(secret: &str) -> Option<String> {
        if entropy_bits(secret) < MIN_BITS {
            return Some("entropy".into());
        }
        if let Some(pattern) = pattern(secret) {
            return Some(pattern.to_owned());
        }
        guessable(secret).then(|| "guessable".to_owned())
    }

    #[test]
    fn random_secrets_of_other_systems_pass() {
        for secret in [
            secrets::random_alphanumeric(22),
            secrets::random_alphanumeric(64),
            "sk_live_51HzQ9aKd8Jv3LmPq7RsTuVwXyZ".to_owned(),
            // 32 hex digits: 128 random bits.
            "9f86d081884c7d659a2feaa0c55ad015".to_owned(),
            "3f2a9c1e-7b4d-4e8a-9c6f-1d2e3f4a5b6c".to_owned(),
        ] {
            assert_eq!(problem(&secret), None, "{secret}");
        }
    }

    #[test]
    fn weak_or_patterned_secrets_are_refused() {
        for (secret, why) in [
            ("abcdefghijklmnopqrstuv", "entropy"),
            (
                "aB3aB3aB3aB3aB3aB3aB3aB3",
                "it uses fewer than 10 different characters",
            ),
            ("aB3dE6gH9jK2aB3dE6gH9jK2", "it repeats a shorter pattern"),
            (
                "Zx9Qw7Er5Ty3Ui1Op0aaaa8Sd",
                "a character appears 4 times in a row",
            ),
            (
                "Zx9Qw7Er5Ty3Ui1Op0abcde8Sd",
                "it holds a run of 5 consecutive characters",
            ),
            (
                "Zx9Qw7Er5Ty3Ui1Op098765Sd",
                "it holds a run of 5 consecutive characters",
            ),
            ("Password123!Password456!", "guessable"),
        ] {
            assert_eq!(problem(secret).as_deref(), Some(why), "{secret}");
        }
        // 22 lower-case letters and digits: 22 × log2 36 ≈ 114 bits.
        assert!(entropy_bits("k3j5h7g9f2d4s6a8p1o3i5") < MIN_BITS);
    }
}

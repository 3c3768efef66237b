//! Token secrets: generation from the OS CSPRNG, the offline checksum, digests and hints.
//! User tokens are `tsr_` + 32 base62 characters + 6 base62 characters of the CRC32 of
//! the rest, so a scanner can reject typos and find leaked tokens by prefix.
use chrono::{DateTime, Utc};
use rand::{distr::Alphanumeric, RngExt};
use sha2::{Digest, Sha256};

/// Whether a replaced secret whose overlap ends at `until` still works: compared on every
/// call, so it stops at that instant whatever is cached.
pub fn still_overlapping(until: Option<DateTime<Utc>>) -> bool {
    until.is_some_and(|until| Utc::now() < until)
}

pub const PREFIX: &str = "tsr_";
const RANDOM_LEN: usize = 32;
const CHECKSUM_LEN: usize = 6;
pub const TOKEN_LEN: usize = PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `n` random alphanumerics (base62) from the OS-seeded generator.
pub fn random_alphanumeric(n: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut value = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    out
}

/// Endpoint secrets (primaries and endpoint tokens): 64 alphanumerics, as integrations expect.
pub const ENDPOINT_SECRET_LEN: usize = 64;

pub fn new_endpoint_secret() -> String {
    random_alphanumeric(ENDPOINT_SECRET_LEN)
}

pub fn is_endpoint_secret(secret: &str) -> bool {
    secret.len() == ENDPOINT_SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A new user access token.
pub fn new_access_token() -> String {
    let body = format!("{PREFIX}{}", random_alphanumeric(RANDOM_LEN));
    let check = checksum(&body);
    format!("{body}{}", String::from_utf8_lossy(&check))
}

/// Whether `token` has the shape and checksum of an access token; decided without storage.
pub fn is_well_formed(token: &str) -> bool {
    token.len() == TOKEN_LEN
        && token.starts_with(PREFIX)
        && token[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
        && checksum(&token[..TOKEN_LEN - CHECKSUM_LEN])
            == token.as_bytes()[TOKEN_LEN - CHECKSUM_LEN..]
}

/// Imported secrets (an administrator's, from another system) have any length in this range
/// and any visible ASCII character; they carry no checksum.
pub const IMPORTED_MIN_LEN: usize = 22;
pub const IMPORTED_MAX_LEN: usize = 256;

/// Whether `secret` has the shape of an imported secret.
pub fn is_importable(secret: &str) -> bool {
    (IMPORTED_MIN_LEN..=IMPORTED_MAX_LEN).contains(&secret.len())
        && secret.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether `secret` could be some token's, decided without storage: a `tsr_` token must pass
/// its checksum; anything else must have an imported secret's shape.
pub fn may_verify(secret: &str) -> bool {
    if secret.starts_with(PREFIX) {
        is_well_formed(secret)
    } else {
        is_importable(secret)
    }
}

/// Hex SHA-256: high-entropy secrets need no slow hash, and the digest indexes the lookup.
pub fn digest(secret: &str) -> String {
    hex(&digest_bytes(secret))
}

/// The SHA-256 digest itself, which keys the verification cache without a text copy.
pub fn digest_bytes(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A stored hex digest back to its bytes.
pub fn unhex(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *slot = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// Lower-case hex, as digests are stored.
pub fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * bytes.len());
    for byte in bytes {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

/// What lists and logs show instead of the secret: `tsr_Ab12…x9Qz` for Tessera's own; only
/// the last 4 characters (`…x9Qz`) of any other, whose start may be all the randomness
/// there is.
pub fn hint(secret: &str) -> String {
    if !secret.starts_with(PREFIX) {
        let tail: String = secret
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return format!("…{tail}");
    }
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "…".to_owned();
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_has_the_documented_shape_and_passes_its_checksum() {
        let token = new_access_token();
        assert_eq!(token.len(), 42);
        assert!(token.starts_with("tsr_"));
        assert!(is_well_formed(&token));
        assert_ne!(token, new_access_token());
    }

    #[test]
    fn a_typo_fails_the_checksum() {
        let token = new_access_token();
        let mut chars: Vec<char> = token.chars().collect();
        chars[10] = if chars[10] == 'a' { 'b' } else { 'a' };
        let typo: String = chars.into_iter().collect();
        assert!(!is_well_formed(&typo));
        assert!(!is_well_formed("tsr_short"));
        assert!(!is_well_formed(&format!("xyz_{}", &token[4..])));
        assert!(!is_well_formed(&format!("{}é", &token[..41])));
    }

    #[test]
    fn digests_are_hex_sha256_and_hints_hide_the_middle() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = new_access_token();
        let hint = hint(&token);
        assert!(hint.starts_with(&token[..8]) && hint.ends_with(&token[38..]));
        assert!(hint.chars().count() < 14);
    }
}

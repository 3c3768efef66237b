//! IP allowlists: which client addresses may use a token. Stored as normalised CIDR ranges
//! separated by spaces; checked on every call against the address the server worked out
//! (`X-Forwarded-For` only from trusted proxies), never one the client claims.
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use sea_orm::ConnectionTrait;

use crate::model::token::{IpPolicy, ALLOWLIST_MAX};
use crate::server::audit_log::{self, Action, RefusalCounts};
use crate::server::error::{Result, ServiceError};

fn invalid(message: String) -> ServiceError {
    ServiceError::validation("allowed_ips", message)
}

/// The ranges as stored: each entry a CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or one
/// address (a /32 or /128), host bits cleared, duplicates dropped, at most
/// [`ALLOWLIST_MAX`]. A message names the first entry that is none of these.
pub fn normalise(entries: &[String]) -> Result<String> {
    let mut ranges: Vec<IpNet> = Vec::new();
    for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
        let shown: String = entry.chars().take(50).collect();
        if entry.chars().any(char::is_control) {
            return Err(invalid(format!("{shown:?} contains control characters")));
        }
        let range = IpNet::from_str(entry)
            .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
            .map_err(|_| {
                invalid(format!(
                    "{shown:?} is not an IP address or a CIDR range such as 10.0.0.0/8"
                ))
            })?
            .trunc();
        if !ranges.contains(&range) {
            ranges.push(range);
        }
    }
    if ranges.len() > ALLOWLIST_MAX {
        return Err(invalid(format!(
            "An allowlist holds at most {ALLOWLIST_MAX} ranges"
        )));
    }
    Ok(ranges
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" "))
}

/// Whether a call from `ip` may use a token whose stored allowlist is `allowed`. An empty
/// list admits everyone; a list admits no call whose address is unknown.
/// The stored ranges as a list, for views and audit details.
pub fn ranges(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}

/// A credential with an allowlist, as its check needs it.
#[derive(Clone, Copy, Debug)]
pub struct Guarded<'a> {
    /// How the audit log names it: a token's number, an endpoint token's name.
    pub credential: &'a str,
    /// Its owner, when it has one.
    pub actor: Option<&'a str>,
    /// As stored: normalised ranges separated by spaces.
    pub allowed_ips: &'a str,
    /// As stored: `enforce` or `report`.
    pub policy: &'a str,
}

/// Refuses a call from outside the allowlist (403 `ip_not_allowed`), or, when the
/// credential only reports, audits it (once a minute per credential, address and
/// instance) and lets it through.
#[tracing::instrument(skip_all)]
pub async fn check(
    db: &impl ConnectionTrait,
    refusals: &RefusalCounts,
    guarded: Guarded<'_>,
    ip: Option<IpAddr>,
) -> Result<()> {
    if admits(guarded.allowed_ips, ip) {
        return Ok(());
    }
    if IpPolicy::parse(guarded.policy) != Some(IpPolicy::Report) {
        return Err(ServiceError::IpNotAllowed);
    }
    let ip = ip.map(|ip| ip.to_string());
    let refusal = audit_log::Refusal {
        credential: guarded.credential,
        known: true,
        actor: guarded.actor,
        ip: ip.as_deref(),
        reason: "ip_reported",
    };
    let details = serde_json::json!({ "allowed_ips": ranges(guarded.allowed_ips) });
    audit_log::refused(
        db,
        refusals,
        refusal,
        Action::TokenIpReported,
        Some(details),
    )
    .await
}

pub fn admits(allowed: &str, ip: Option<IpAddr>) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(ip) = ip.map(|ip| ip.to_canonical()) else {
        return false;
    };
    allowed
        .split(' ')
        .filter_map(|range| IpNet::from_str(range).ok())
        .any(|range| range.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Result<String> {
        normalise(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn entries_are_normalised() {
        assert_eq!(
            list(&[
                " 10.1.2.3/8 ",
                "192.0.2.7",
                "",
                "2001:db8::1/32",
                "10.0.0.0/8"
            ])
            .unwrap(),
            "10.0.0.0/8 192.0.2.7/32 2001:db8::/32"
        );
        assert_eq!(list(&[]).unwrap(), "");
    }

    #[test]
    fn bad_entries_are_named() {
        let err = list(&["10.0.0.0/8", "10.0.0.0/33"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"10.0.0.0/33\" is not an IP address"),
            "{err}"
        );
        let err = list(&["10.0.0.1\u{0}"]).unwrap_err().to_string();
        assert!(err.contains("control characters"), "{err}");
        assert!(list(&["example.com"]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("10.0.{i}.0/24")).collect();
        assert!(normalise(&many)
            .unwrap_err()
            .to_string()
            .contains("at most 20"));
    }

    #[test]
    fn only_listed_addresses_are_admitted() {
        let allowed = list(&["10.0.0.0/8", "2001:db8::/32"]).unwrap();
        let ip = |text: &str| Some(IpAddr::from_str(text).unwrap());
        assert!(admits(&allowed, ip("10.200.0.1")));
        assert!(admits(&allowed, ip("2001:db8::42")));
        // An IPv4 address as an IPv6 socket reports it.
        assert!(admits(&allowed, ip("::ffff:10.0.0.9")));
        assert!(!admits(&allowed, ip("11.0.0.1")));
        assert!(!admits(&allowed, ip("127.0.0.1")));
        assert!(!admits(&allowed, None));
        assert!(admits("", None));
    }
}

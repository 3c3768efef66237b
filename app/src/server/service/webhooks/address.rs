//! Where a webhook may point: public HTTP(S) addresses only, so that an administrator's
//! session (or a stolen one) cannot make Tessera call into its own network (server-side
//! request forgery). Checked when the URL is saved and again on every attempt, by the
//! resolver the delivery client uses, so a name that later resolves inward is refused too.
use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

use crate::server::error::{Result, ServiceError};

const MAX_LEN: usize = 2000;

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), unspecified, multicast, broadcast or documentation space, in either family.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                // IETF protocol assignments, and the 6to4 relay anycast.
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 192 && b == 88 && v4.octets()[2] == 99)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            let [a, b, c, ..] = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                // Site-local (deprecated, still routed inward by some networks).
                || a & 0xffc0 == 0xfec0
                // Documentation; Teredo and 6to4, which tunnel to any IPv4 address.
                || (a == 0x2001 && (b == 0xdb8 || b == 0))
                || a == 0x2002
                // Every other address of ::/64 embeds an IPv4 one: IPv4-compatible
                // (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d, SIIT). Then the NAT64
                // prefixes, discard-only.
                || v6.segments()[..4] == [0; 4]
                || (a == 0x64 && b == 0xff9b && (c == 0 || c == 1))
                || (a == 0x100 && b == 0 && c == 0))
        }
    }
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::validation("url", message)
}

/// `url` parsed and checked: http or https, a host, no credentials, and (unless
/// `allow_private`) every address it resolves to public.
#[tracing::instrument(skip_all)]
pub async fn check(url: &str, allow_private: bool) -> Result<Url> {
    let url = url.trim();
    if url.is_empty() {
        return Err(invalid("Enter the URL events are sent to"));
    }
    if url.len() > MAX_LEN || url.chars().any(char::is_control) {
        return Err(invalid(format!(
            "The URL must be at most {MAX_LEN} characters, without control characters"
        )));
    }
    let parsed = Url::parse(url).map_err(|e| invalid(format!("This is not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("The URL must start with https:// or http://"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid(
            "The URL must not carry a user name or password: receivers verify the signature",
        ));
    }
    let Some(host) = parsed.host_str() else {
        return Err(invalid("The URL must name a host"));
    };
    if allow_private {
        return Ok(parsed);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| invalid(format!("The host {host} could not be resolved")))?
        .collect();
    if addrs.is_empty() {
        return Err(invalid(format!("The host {host} could not be resolved")));
    }
    // Which address is not said: the message would answer DNS questions about the inside.
    if addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(invalid(
            "The URL points to a loopback, private or link-local address: webhooks go to \
             public addresses only",
        ));
    }
    Ok(parsed)
}

/// Whether a URL's host, when it is an address rather than a name, may be called; names
/// are checked by [`PublicOnly`] as they resolve.
pub fn literal_allowed(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(v4)) => is_public(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => is_public(IpAddr::V6(v6)),
        _ => true,
    }
}

/// The delivery client's resolver: the system's answers without the non-public ones.
#[derive(Debug)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{} resolves to no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inward_addresses_are_not_public() {
        for inner in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
            "::ffff:0:a00:1",
            "::ffff:0:0:0",
            "::1:0:7f00:1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::a9fe:a9fe",
            "::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "100::1",
            "192.0.0.8",
            "192.88.99.1",
        ] {
            assert!(!is_public(inner.parse().unwrap()), "{inner}");
        }
        for outer in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(outer.parse().unwrap()), "{outer}");
        }
    }

    #[tokio::test]
    async fn urls_are_refused_with_their_reason() {
        for (url, says) in [
            ("", "Enter"),
            ("ftp://example.com/", "https://"),
            ("http://user:pw@93.184.216.34/", "password"),
            ("http://127.0.0.1:9/hook", "loopback"),
            ("http://[::1]/hook", "loopback"),
            ("http://[::ffff:0:7f00:1]/", "loopback"),
            ("http://[64:ff9b::a9fe:a9fe]/", "loopback"),
            ("http://[2002:a00:1::1]/", "loopback"),
            ("http://[::a00:1]/", "loopback"),
            ("http://169.254.169.254/latest/meta-data", "loopback"),
            ("http://localhost/hook", "loopback"),
            ("http://exa\u{7}mple.com/", "control"),
            ("not a url", "not a valid URL"),
        ] {
            let err = check(url, false).await.unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
        }
        // At delivery too, for a URL saved before this rule.
        for url in [
            "http://[::ffff:0:7f00:1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::7f00:1]/",
        ] {
            assert!(!literal_allowed(&Url::parse(url).unwrap()), "{url}");
        }
        assert!(check("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check("https://93.184.216.34/hook", false).await.is_ok());
    }
}

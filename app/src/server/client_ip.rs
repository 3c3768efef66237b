//! The client's address: the socket's peer, or, when the peer is a trusted reverse proxy,
//! the address it forwarded. Last-used IPs, the audit log and every limit use this value.
use std::net::IpAddr;

use ipnet::IpNet;

/// Put in each request's extensions by the server (see `src/client_ip.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The client behind `peer`: `X-Forwarded-For` is read only when `peer` is a trusted proxy,
/// from the right, skipping the trusted proxies it lists; the first other address is the
/// client (what is left of it was written by the client and proves nothing).
///
/// `forwarded_for` is every `X-Forwarded-For` line joined in order (a proxy may add its own
/// line rather than extend the client's). An IPv4 peer seen through an IPv6 socket counts as
/// IPv4.
pub fn resolve(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let Some(header) = forwarded_for else {
        return peer;
    };
    let mut client = peer;
    for hop in header.rsplit(',') {
        let Some(ip) = hop_address(hop) else {
            // Garbage where an address should be: stop at the last address we believe.
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One entry of `X-Forwarded-For`: an address, possibly with a port (`192.0.2.1:5678`,
/// `[2001:db8::1]:443`) or in brackets.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())
        .map(|ip: IpAddr| ip.to_canonical())
}

/// A comma-separated list of CIDR ranges (a bare address is a /32 or /128), or a message
/// naming the entry that is not one.
pub fn parse_ranges(text: &str) -> Result<Vec<IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{entry:?} is not an address or a CIDR range"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_is_believed() {
        let trusted = parse_ranges("10.0.0.0/8, ::1").unwrap();
        // Straight from the internet: the header is the client's own claim.
        assert_eq!(
            resolve(ip("203.0.113.7"), Some("198.51.100.1"), &trusted),
            ip("203.0.113.7")
        );
        // Through the proxy: the address it saw.
        assert_eq!(
            resolve(ip("10.1.2.3"), Some("198.51.100.1"), &trusted),
            ip("198.51.100.1")
        );
        // A client that sends its own header through the proxy: the proxy appended the
        // real address, and the forged one to its left is ignored.
        assert_eq!(
            resolve(
                ip("10.1.2.3"),
                Some("1.2.3.4, 198.51.100.1, 10.9.9.9"),
                &trusted
            ),
            ip("198.51.100.1")
        );
        assert_eq!(resolve(ip("::1"), None, &trusted), ip("::1"));
        assert_eq!(
            resolve(ip("10.1.2.3"), Some("not-an-ip"), &trusted),
            ip("10.1.2.3")
        );
        // Ports, brackets and IPv4 through an IPv6 socket.
        assert_eq!(
            resolve(ip("10.1.2.3"), Some("198.51.100.1:5678"), &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(
            resolve(ip("10.1.2.3"), Some("[2001:db8::7]:443"), &trusted),
            ip("2001:db8::7")
        );
        assert_eq!(
            resolve(ip("::ffff:10.1.2.3"), Some("198.51.100.1"), &trusted),
            ip("198.51.100.1")
        );
        assert!(parse_ranges("10.0.0.0/33").is_err());
        assert_eq!(parse_ranges("").unwrap(), Vec::<IpNet>::new());
    }
}

//! Who the client is: the connection's peer address, or, when the peer is a configured trusted
//! proxy, the nearest address in `X-Forwarded-For` that is not one. A header from anyone else
//! is ignored, so a client cannot choose its own address for the rate limits.
use super::AppState;
use actix_web::{web, HttpRequest};
use std::net::IpAddr;

pub fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    let (true, Some(header)) = (trusted.contains(&peer), forwarded_for) else {
        return Some(peer);
    };
    let mut nearest = peer;
    // Right to left: each proxy appends the address it received the request from.
    for hop in header.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => nearest = ip,
            Ok(ip) => return Some(ip),
            // An unreadable entry: stop at the last hop we can vouch for.
            Err(_) => return Some(nearest),
        }
    }
    Some(nearest)
}

/// The client address of a request, as the rate limits and the audit log see it.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let trusted = req.app_data::<web::Data<AppState>>().map(|s| s.settings.trusted_proxies.as_slice()).unwrap_or(&[]);
    let header = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    client_address(req.peer_addr().map(|a| a.ip()), header, trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy = [ip("10.0.0.1")];
        let peer = Some(ip("10.0.0.1"));
        assert_eq!(client_address(peer, Some("203.0.113.5"), &proxy), Some(ip("203.0.113.5")));
        // A client that claims an address in its own header: the proxy appends the real one.
        assert_eq!(client_address(peer, Some("198.51.100.9, 203.0.113.5"), &proxy), Some(ip("203.0.113.5")));
        // Not from the proxy: the header is the client's own word and is ignored.
        assert_eq!(client_address(Some(ip("203.0.113.7")), Some("198.51.100.9"), &proxy), Some(ip("203.0.113.7")));
        assert_eq!(client_address(peer, Some("198.51.100.9"), &[]), peer);
        // Two trusted hops, then the client; garbage stops at the last trusted hop.
        let two = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(client_address(peer, Some("203.0.113.5, 10.0.0.2"), &two), Some(ip("203.0.113.5")));
        assert_eq!(client_address(peer, Some("nonsense, 10.0.0.2"), &two), Some(ip("10.0.0.2")));
        assert_eq!(client_address(peer, None, &proxy), peer);
    }
}

//! The client's address, for per-IP limits and audit. Behind a load balancer
//! the TCP peer is the proxy, so `X-Forwarded-For` is believed only when the
//! peer is listed in `http.trusted_proxies`. Then the entries of every
//! `X-Forwarded-For` header, in order, are walked from the right (RFC 7239
//! semantics): each trusted proxy vouches for the entry to its left, and the
//! first address that is not a trusted proxy is the client. Entries further
//! left are whatever the client chose to send.
//!
//! An entry that is not an address (`unknown`, garbage, empty) stops the
//! walk, and the last trusted hop (the peer when there is none) counts as
//! the client: skipping it would believe what stands to its left, which
//! nothing vouches for. The fail-safe is to charge the proxy, never an
//! address the client may have written.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

const X_FORWARDED_FOR: &str = "x-forwarded-for";

#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<IpNet>>);

impl TrustedProxies {
    /// Entries are addresses (`10.0.0.5`) or networks (`10.0.0.0/8`).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let nets = entries
            .iter()
            .map(|e| {
                e.parse::<IpNet>()
                    .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{e}` is not an IP address or network"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(Arc::new(nets)))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client behind `peer`, given the `X-Forwarded-For` values in the
    /// order they arrived (several headers are one list, RFC 9110 §5.3).
    pub fn client_ip<'a>(
        &self,
        peer: IpAddr,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let entries: Vec<&str> = forwarded_for
            .into_iter()
            .flat_map(|header| header.split(','))
            .collect();
        let mut hop = peer;
        for entry in entries.iter().rev() {
            let Some(ip) = parse_entry(entry) else {
                return hop;
            };
            if !self.trusts(ip) {
                return ip;
            }
            hop = ip;
        }
        hop
    }
}

/// An address as proxies write it: `203.0.113.9`, `2001:db8::1`, and with a
/// port (`203.0.113.9:4711`, `[2001:db8::1]:4711`), which some add.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse::<IpAddr>().ok())
        })
}

/// Every `X-Forwarded-For` value in order; a value that is not text stands
/// as an unparsable entry (it stops the walk).
fn forwarded_for(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

pub async fn resolve(trusted: TrustedProxies, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let ip = trusted.client_ip(peer, forwarded_for(request.headers()));
        request
            .extensions_mut()
            .insert(pratu_core::web::ClientIp(ip));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies() -> TrustedProxies {
        TrustedProxies::parse(&["10.0.0.0/8".into(), "192.0.2.1".into()]).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let t = TrustedProxies::default();
        assert_eq!(
            t.client_ip(ip("203.0.113.7"), ["1.2.3.4"]),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client() {
        let t = proxies();
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["6.6.6.6, 203.0.113.9, 10.2.2.2"]),
            ip("203.0.113.9")
        );
        assert_eq!(t.client_ip(ip("192.0.2.1"), []), ip("192.0.2.1"));
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["[2001:db8::7]:4711"]),
            ip("2001:db8::7")
        );
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["203.0.113.9:4711"]),
            ip("203.0.113.9")
        );
    }

    /// A proxy that adds its own header instead of appending to the
    /// client's: the first header is the client's invention.
    #[test]
    fn every_header_counts_in_order() {
        let t = proxies();
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["6.6.6.6", "203.0.113.9"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            t.client_ip(
                ip("10.1.1.1"),
                ["6.6.6.6", "203.0.113.9, 10.2.2.2", "10.3.3.3"]
            ),
            ip("203.0.113.9")
        );
    }

    /// Skipping an unparsable entry would believe the client-written one to
    /// its left; the walk stops at the last trusted hop instead.
    #[test]
    fn an_unparsable_entry_stops_the_walk_at_the_last_trusted_hop() {
        let t = proxies();
        assert_eq!(t.client_ip(ip("10.1.1.1"), ["garbage"]), ip("10.1.1.1"));
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["6.6.6.6, unknown, 10.2.2.2"]),
            ip("10.2.2.2")
        );
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["6.6.6.6,", "10.2.2.2"]),
            ip("10.2.2.2")
        );
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["6.6.6.6", "\u{fffd}"]),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn when_every_entry_is_a_trusted_proxy_the_leftmost_is_the_client() {
        let t = proxies();
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), ["10.9.9.9, 10.2.2.2"]),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn a_bad_entry_is_refused() {
        assert!(TrustedProxies::parse(&["ten.0.0.0/8".into()]).is_err());
    }
}

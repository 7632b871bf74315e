//! The client's address, for per-IP limits and audit. Behind a load balancer
//! the TCP peer is the proxy, so `X-Forwarded-For` is believed only when the
//! peer is listed in `http.trusted_proxies`; then the right-most address not
//! itself a trusted proxy is the client (entries to its left are whatever
//! the client chose to send).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

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

    pub fn client_ip(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        header
            .split(',')
            .rev()
            .filter_map(|s| s.trim().parse::<IpAddr>().ok())
            .find(|ip| !self.trusts(*ip))
            .unwrap_or(peer)
    }
}

pub async fn resolve(trusted: TrustedProxies, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let header = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let ip = trusted.client_ip(peer, header);
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

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() {
        let t = TrustedProxies::default();
        assert_eq!(
            t.client_ip(ip("203.0.113.7"), Some("1.2.3.4")),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client() {
        let t = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.0.2.1".into()]).unwrap();
        assert_eq!(
            t.client_ip(ip("10.1.1.1"), Some("6.6.6.6, 203.0.113.9, 10.2.2.2")),
            ip("203.0.113.9")
        );
        assert_eq!(t.client_ip(ip("192.0.2.1"), None), ip("192.0.2.1"));
        assert_eq!(t.client_ip(ip("10.1.1.1"), Some("garbage")), ip("10.1.1.1"));
    }

    #[test]
    fn a_bad_entry_is_refused() {
        assert!(TrustedProxies::parse(&["ten.0.0.0/8".into()]).is_err());
    }
}

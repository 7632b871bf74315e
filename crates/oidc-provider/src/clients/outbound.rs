//! Where Pratu may send requests a registrant chose (server-side request
//! forgery). A dynamically registered client names its own
//! `backchannel_logout_uri`, and Pratu POSTs to it: without a check, anyone
//! holding a registration token could make Pratu reach its own loopback
//! services, the internal network or a cloud metadata endpoint. So such
//! URIs must resolve to public addresses only, checked at registration and
//! again at each delivery, which then connects to the very address checked
//! (a name that resolves elsewhere the second time — DNS rebinding — gains
//! nothing). Operators' clients (`pratu client create`) are trusted and may
//! name loopback for development.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a URI is not a place Pratu will send a request to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OutboundError {
    #[error("is not an absolute http(s) URL with a host")]
    NotAUrl,
    #[error("host {host} does not resolve")]
    Unresolved { host: String },
    #[error("host {host} resolves to a {kind} address, which Pratu does not send requests to")]
    Forbidden { host: String, kind: &'static str },
}

/// The kind of address `ip` is when Pratu must not reach it: loopback,
/// private, link-local (cloud metadata `169.254.169.254` among them),
/// unique-local, carrier-grade NAT, and the other special-purpose ranges;
/// `None` for a public address. IPv4 inside IPv6 (mapped, NAT64) is judged
/// as the IPv4 address it carries.
pub(crate) fn forbidden_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local (cloud metadata)")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_multicast() || ip.is_broadcast() || a >= 240 {
        Some("multicast or reserved")
    } else if ip.is_documentation()
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
    {
        Some("special-purpose")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, hi, lo] = s;
        let v4 = Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
        return forbidden_v4(v4);
    }
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unspecified() {
        Some("unspecified")
    } else if s[0] & 0xfe00 == 0xfc00 {
        Some("unique-local (fc00::/7, cloud metadata among them)")
    } else if s[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if ip.is_multicast() {
        Some("multicast")
    } else if s[0] == 0x2001 && s[1] == 0xdb8 {
        Some("documentation")
    } else if s[0] == 0x2002 || (s[0] == 0x2001 && s[1] == 0) {
        // 6to4 and Teredo tunnel to IPv4 addresses of any kind.
        Some("IPv4 tunnel (6to4, Teredo)")
    } else {
        None
    }
}

/// Resolves `uri`'s host and returns its addresses (with the URL's port)
/// when every one of them is public; any private one refuses the whole
/// name, since a client library may pick any of them.
pub(crate) async fn public_addresses(
    uri: &str,
) -> Result<(url::Url, Vec<SocketAddr>), OutboundError> {
    let url = url::Url::parse(uri).map_err(|_| OutboundError::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::NotAUrl);
    }
    let port = url.port_or_known_default().ok_or(OutboundError::NotAUrl)?;
    let addrs: Vec<SocketAddr> = match url.host().ok_or(OutboundError::NotAUrl)? {
        url::Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        url::Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        url::Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| OutboundError::Unresolved {
                host: name.to_owned(),
            })?
            .collect(),
    };
    let host = url.host_str().unwrap_or_default().to_owned();
    if addrs.is_empty() {
        return Err(OutboundError::Unresolved { host });
    }
    if let Some(kind) = addrs.iter().find_map(|a| forbidden_kind(a.ip())) {
        return Err(OutboundError::Forbidden { host, kind });
    }
    Ok((url, addrs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        forbidden_kind(ip.parse().unwrap())
    }

    #[test]
    fn internal_and_metadata_addresses_are_forbidden_public_ones_not() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
        ] {
            assert!(kind(ip).is_some(), "{ip} allowed");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "164.115.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert_eq!(kind(ip), None, "{ip} refused");
        }
    }

    #[tokio::test]
    async fn literal_and_named_loopback_uris_are_refused() {
        for uri in [
            "http://127.0.0.1:8080/bc",
            "http://[::1]/bc",
            "http://localhost/bc",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            assert!(
                matches!(
                    public_addresses(uri).await,
                    Err(OutboundError::Forbidden { .. })
                ),
                "{uri}"
            );
        }
        assert_eq!(
            public_addresses("ftp://8.8.8.8/x").await.unwrap_err(),
            OutboundError::NotAUrl
        );
        let (_, addrs) = public_addresses("https://8.8.8.8/bc").await.unwrap();
        assert_eq!(addrs, [SocketAddr::from(([8, 8, 8, 8], 443))]);
    }
}

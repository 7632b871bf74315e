//! The per-address limit on authorization requests
//! (`limits.authorize.pending_per_ip`). Every anonymous request may leave a
//! pending request in the ephemeral store for [`WINDOW`]; without a limit
//! one client could fill the store's share for them and keep every citizen
//! from signing in. IPv6 clients are counted by /64, the smallest block a
//! subscriber is given, so rotating addresses within it does not help.

use std::net::IpAddr;
use std::time::Duration;

use super::flow::PENDING_TTL;
use super::respond::{AuthorizeError, PageError};
use crate::state::AuthorizeFlow;
use crate::web::i18n::Locale;

/// The counting window: as long as the pending requests it protects live.
pub(crate) const WINDOW: Duration = PENDING_TTL;

/// The counter's key: the IPv4 address, or the /64 of an IPv6 one.
fn counter_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => format!("authz:ip:{v4}"),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("authz:ip:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

impl AuthorizeFlow {
    /// Counts one authorization request from `ip`; refuses it (429) past
    /// the limit. Without an address (not served over TCP) there is nothing
    /// to count by, and the store's bound still holds.
    pub(crate) async fn admit(
        &self,
        ip: Option<IpAddr>,
        locale: Locale,
    ) -> Result<(), AuthorizeError> {
        let Some(ip) = ip else {
            return Ok(());
        };
        let count = self
            .ephemeral
            .incr(&counter_key(ip), WINDOW)
            .await
            .map_err(|e| AuthorizeError::storage(e, locale))?;
        if count > self.pending_per_ip {
            tracing::info!(
                limit = self.pending_per_ip,
                "authorization request refused: too many from one address"
            );
            return Err(AuthorizeError::Page(PageError::TooManyRequests, locale));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(counter_key(a), counter_key(b));
        assert_ne!(counter_key(a), counter_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(counter_key(mapped), counter_key(v4));
        assert_eq!(counter_key(v4), "authz:ip:192.0.2.7");
    }
}

//! Abuse-limit keys and counters that more than one feature must share, so
//! that enrollment and sign-in count the same client and the same phone
//! together instead of each granting its own allowance.

use std::net::IpAddr;
use std::time::Duration;

use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::error::StorageError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The address a per-IP limit counts: IPv4 as is, IPv6 by its /64 (one
/// subscriber's whole prefix, which they can rotate through freely).
pub fn client_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// SMS codes allowed to one phone number within a fixed window (the
/// `limits.otp_sends_per_phone` rule), whatever sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneSendLimit {
    pub max: u32,
    pub window_seconds: u64,
}

impl Default for PhoneSendLimit {
    /// As `limits.otp_sends_per_phone` defaults: 10 a day.
    fn default() -> Self {
        Self {
            max: 10,
            window_seconds: 24 * 3600,
        }
    }
}

/// The one counter of SMS codes sent to `e164`. Enrollment used
/// `limit:otp:phone:<hex>` before step-up shared it; the key is kept so
/// counts survive an upgrade.
fn phone_sends_key(e164: &str) -> String {
    let digest = Sha256::digest(e164.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("limit:otp:phone:{hex}")
}

/// Counts one SMS about to be sent to `e164`; `false` (send nothing) once
/// the limit is exceeded within the window. Counted before sending, so
/// concurrent sends cannot overshoot.
pub async fn count_phone_send(
    store: &dyn EphemeralStore,
    limit: PhoneSendLimit,
    e164: &str,
) -> Result<bool, StorageError> {
    let n = store
        .incr(
            &phone_sends_key(e164),
            Duration::from_secs(limit.window_seconds),
        )
        .await?;
    Ok(n <= u64::from(limit.max))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use pratu_storage::clock::MockClock;
    use pratu_storage::ephemeral::memory::MemoryStore;

    use super::*;

    #[test]
    fn ipv6_clients_are_limited_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        assert_ne!(
            client_key(a),
            client_key("2001:db8:1:3::1".parse().unwrap())
        );
        assert_eq!(client_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
        assert_eq!(client_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
    }

    #[tokio::test]
    async fn phone_sends_are_counted_per_number_up_to_the_limit() {
        let clock = Arc::new(MockClock::default());
        let store = MemoryStore::new(clock.clone(), 100);
        let limit = PhoneSendLimit {
            max: 2,
            window_seconds: 60,
        };
        for _ in 0..2 {
            assert!(
                count_phone_send(&store, limit, "+66812345678")
                    .await
                    .unwrap()
            );
        }
        assert!(
            !count_phone_send(&store, limit, "+66812345678")
                .await
                .unwrap()
        );
        assert!(
            count_phone_send(&store, limit, "+66899999999")
                .await
                .unwrap()
        );
        clock.advance(time::Duration::seconds(61));
        assert!(
            count_phone_send(&store, limit, "+66812345678")
                .await
                .unwrap()
        );
    }

    #[test]
    fn the_phone_key_is_the_one_enrollment_always_used() {
        // `limit:` + `otp:phone:` + lowercase hex SHA-256 of the E.164 number.
        let key = phone_sends_key("+66812345678");
        assert!(key.starts_with("limit:otp:phone:"));
        assert_eq!(key.len(), "limit:otp:phone:".len() + 64);
        assert!(!key.contains("66812345678"));
    }
}

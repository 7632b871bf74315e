//! Abuse-limit keys and counters that more than one feature must share, so
//! that enrollment, recovery and sign-in count the same client, the same
//! card and the same phone together instead of each granting its own
//! allowance.
//!
//! Two shapes of counter, both in the ephemeral store so every node counts
//! together: [`Limiter::hit`] counts every attempt and refuses past the
//! limit (per-IP rules); [`Limiter::failure`] counts refusals only and, at
//! the limit, sets a lock for the rule's window (wrong laser codes per
//! enrollment or recovery, and per citizen). The keys of the shared rules
//! are in [`keys`]; they are the ones enrollment always used, so counts
//! survive an upgrade.

use std::net::IpAddr;
use std::sync::Arc;
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

/// At most `max` events per `window_seconds` (a fixed window that starts
/// with the first event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRule {
    pub max: u32,
    pub window_seconds: u64,
}

impl LimitRule {
    pub const fn new(max: u32, window_seconds: u64) -> Self {
        Self {
            max,
            window_seconds,
        }
    }

    pub fn window(&self) -> Duration {
        Duration::from_secs(self.window_seconds)
    }
}

/// The keys of the counters enrollment and recovery share (without the
/// `limit:` prefix the [`Limiter`] adds).
pub mod keys {
    use std::net::IpAddr;

    use super::client_key;

    /// Citizen-ID submissions from one address (enrollment's citizen-ID
    /// step, recovery's start): slows probing which IDs are enrolled.
    pub fn citizen_id_per_ip(ip: IpAddr) -> String {
        format!("cid:ip:{}", client_key(ip))
    }

    /// Proofing checks from one address.
    pub fn proofing_per_ip(ip: IpAddr) -> String {
        format!("proof:ip:{}", client_key(ip))
    }

    /// Failed proofing checks of one card, by the citizen ID's blind index.
    pub fn proofing_per_citizen(citizen_index: &[u8]) -> String {
        let hex: String = citizen_index.iter().map(|b| format!("{b:02x}")).collect();
        format!("proof:cid:{hex}")
    }

    /// SMS codes sent from one address.
    pub fn otp_sends_per_ip(ip: IpAddr) -> String {
        format!("otp:ip:{}", client_key(ip))
    }

    /// Code checks from one address.
    pub fn otp_checks_per_ip(ip: IpAddr) -> String {
        format!("otpcheck:ip:{}", client_key(ip))
    }
}

/// Counts events and failures under `limit:<key>` in the ephemeral store.
#[derive(Debug, Clone)]
pub struct Limiter {
    store: Arc<dyn EphemeralStore>,
}

impl Limiter {
    pub fn new(store: Arc<dyn EphemeralStore>) -> Self {
        Self { store }
    }

    /// Counts one event under `key`; `false` once the rule's maximum is
    /// exceeded within the window.
    pub async fn hit(&self, rule: &LimitRule, key: &str) -> Result<bool, StorageError> {
        let n = self
            .store
            .incr(&format!("limit:{key}"), rule.window())
            .await?;
        Ok(n <= u64::from(rule.max))
    }

    /// Counts one SMS to `e164` on the one per-number counter
    /// ([`count_phone_send`]); `false` once the rule's maximum is exceeded.
    pub async fn phone_send(&self, rule: &LimitRule, e164: &str) -> Result<bool, StorageError> {
        let limit = PhoneSendLimit {
            max: rule.max,
            window_seconds: rule.window_seconds,
        };
        count_phone_send(self.store.as_ref(), limit, e164).await
    }

    pub async fn is_locked(&self, key: &str) -> Result<bool, StorageError> {
        Ok(self
            .store
            .get(&format!("limit:{key}:lock"))
            .await?
            .is_some())
    }

    /// Counts one failure; at the maximum, locks `key` for the window.
    /// Returns how many failures remain before the lock.
    pub async fn failure(&self, rule: &LimitRule, key: &str) -> Result<u32, StorageError> {
        let n = self
            .store
            .incr(&format!("limit:{key}:fail"), rule.window())
            .await?;
        let max = u64::from(rule.max);
        if n >= max {
            self.store
                .put(&format!("limit:{key}:lock"), b"1", rule.window())
                .await?;
        }
        Ok(u32::try_from(max.saturating_sub(n)).unwrap_or(0))
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

    fn limiter() -> (Limiter, Arc<MockClock>) {
        let clock = Arc::new(MockClock::default());
        (
            Limiter::new(Arc::new(MemoryStore::new(clock.clone(), 1000))),
            clock,
        )
    }

    #[tokio::test]
    async fn hits_pass_up_to_the_maximum_within_a_window() {
        let (l, clock) = limiter();
        let rule = LimitRule::new(2, 60);
        assert!(l.hit(&rule, "ip:a").await.unwrap());
        assert!(l.hit(&rule, "ip:a").await.unwrap());
        assert!(!l.hit(&rule, "ip:a").await.unwrap());
        assert!(l.hit(&rule, "ip:b").await.unwrap());
        clock.advance(time::Duration::seconds(61));
        assert!(l.hit(&rule, "ip:a").await.unwrap());
    }

    #[tokio::test]
    async fn failures_lock_at_the_maximum_for_the_window() {
        let (l, clock) = limiter();
        let rule = LimitRule::new(3, 3600);
        assert_eq!(l.failure(&rule, "enr:1").await.unwrap(), 2);
        assert_eq!(l.failure(&rule, "enr:1").await.unwrap(), 1);
        assert!(!l.is_locked("enr:1").await.unwrap());
        assert_eq!(l.failure(&rule, "enr:1").await.unwrap(), 0);
        assert!(l.is_locked("enr:1").await.unwrap());
        clock.advance(time::Duration::seconds(3601));
        assert!(!l.is_locked("enr:1").await.unwrap());
    }

    #[test]
    fn the_shared_keys_are_the_ones_enrollment_always_used() {
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(keys::citizen_id_per_ip(ip), "cid:ip:192.0.2.7");
        assert_eq!(keys::proofing_per_ip(ip), "proof:ip:192.0.2.7");
        assert_eq!(keys::otp_sends_per_ip(ip), "otp:ip:192.0.2.7");
        assert_eq!(keys::otp_checks_per_ip(ip), "otpcheck:ip:192.0.2.7");
        assert_eq!(keys::proofing_per_citizen(&[0xab, 0x01]), "proof:cid:ab01");
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

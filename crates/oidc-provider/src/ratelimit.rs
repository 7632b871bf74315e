//! Sign-in attempt limits per account name and per address, with growing
//! back-off (`limits.login`).
//!
//! Limits key on the *typed* username, whether or not such an account
//! exists, so a lock-out looks the same for an unknown name as for a real
//! one. Counters and locks live in the ephemeral store: every node shares
//! them.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_storage::StorageError;
use sha2::{Digest, Sha256};

use crate::config::LoginLimits;
use crate::state::LoginThrottle;

/// Who is signing in, as the limits see it.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    account: String,
    ip: Option<String>,
}

impl Attempt {
    pub fn new(username: &str, ip: Option<IpAddr>) -> Self {
        let digest = Sha256::digest(username.as_bytes());
        Self {
            account: B64.encode(&digest[..16]),
            ip: ip.map(|ip| ip.to_string()),
        }
    }

    fn keys(&self) -> impl Iterator<Item = (String, String, bool)> + '_ {
        std::iter::once((
            format!("login:fail:acct:{}", self.account),
            format!("login:lock:acct:{}", self.account),
            false,
        ))
        .chain(self.ip.iter().map(|ip| {
            (
                format!("login:fail:ip:{ip}"),
                format!("login:lock:ip:{ip}"),
                true,
            )
        }))
    }
}

/// The lock for failure number `count` (`None` while within the free
/// allowance): `base · 2^(excess−1)`, capped.
pub(crate) fn backoff(limits: &LoginLimits, count: u64, per_ip: bool) -> Option<Duration> {
    let free = if per_ip {
        limits.free_failures_per_ip
    } else {
        limits.free_failures
    };
    let excess = count.checked_sub(free).filter(|e| *e > 0)?;
    let factor = 1u64
        .checked_shl(u32::try_from(excess - 1).unwrap_or(63).min(40))
        .unwrap_or(u64::MAX);
    let secs = limits
        .backoff_base_seconds
        .saturating_mul(factor)
        .min(limits.backoff_max_seconds);
    Some(Duration::from_secs(secs))
}

impl LoginThrottle {
    /// Whether this attempt is locked out now.
    pub(crate) async fn login_locked(&self, attempt: &Attempt) -> Result<bool, StorageError> {
        for (_, lock, _) in attempt.keys() {
            if self.ephemeral.get(&lock).await?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Counts a failed attempt and locks when past the allowance.
    pub(crate) async fn login_failed(&self, attempt: &Attempt) -> Result<(), StorageError> {
        let limits = &self.limits;
        let window = Duration::from_secs(limits.window_seconds);
        for (fail, lock, per_ip) in attempt.keys() {
            let n = self.ephemeral.incr(&fail, window).await?;
            if let Some(d) = backoff(limits, n, per_ip) {
                self.ephemeral.put(&lock, b"1", d).await?;
            }
        }
        Ok(())
    }

    /// A successful sign-in clears the account's failure count (not the
    /// address's: one success must not unlock guessing at other accounts).
    pub(crate) async fn login_succeeded(&self, attempt: &Attempt) -> Result<(), StorageError> {
        if let Some((fail, _, _)) = attempt.keys().next() {
            self.ephemeral.delete(&fail).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_after_the_free_failures_up_to_the_cap() {
        let l = LoginLimits {
            free_failures: 3,
            free_failures_per_ip: 10,
            window_seconds: 900,
            backoff_base_seconds: 2,
            backoff_max_seconds: 60,
        };
        assert_eq!(backoff(&l, 3, false), None);
        assert_eq!(backoff(&l, 4, false), Some(Duration::from_secs(2)));
        assert_eq!(backoff(&l, 5, false), Some(Duration::from_secs(4)));
        assert_eq!(backoff(&l, 7, false), Some(Duration::from_secs(16)));
        assert_eq!(backoff(&l, 100, false), Some(Duration::from_secs(60)));
        assert_eq!(backoff(&l, 5, true), None);
        assert_eq!(backoff(&l, 11, true), Some(Duration::from_secs(2)));
    }
}

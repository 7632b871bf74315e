//! Sign-in attempt limits per account name and per address, with growing
//! back-off and a hard cap (`limits.login`).
//!
//! Limits key on the *typed* username, whether or not such an account
//! exists, so a lock-out looks the same for an unknown name as for a real
//! one. Counters and locks live in the ephemeral store: every node shares
//! them.
//!
//! An attempt is admitted before its password is checked: it takes the
//! account's one in-flight slot (so parallel guesses cannot all pass the
//! lock check before any failure is counted), finds no lock, and is counted
//! as a failure up front (so an attempt cut off mid-check still counts). A
//! success then clears the count. The account's count is consecutive: it
//! slides with every failure instead of resetting on a window, so slow
//! guessing meets the hard cap too. Wrong step-up codes count on it as
//! well, and only a step-up success forgives them.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::limits::client_key;
use pratu_storage::StorageError;
use pratu_storage::ephemeral::EphemeralStore;
use sha2::{Digest, Sha256};

use crate::config::LoginLimits;
use crate::state::LoginThrottle;

/// How long an attempt may hold its account's slot. Far longer than a
/// password check; only a node that died mid-check leaves a slot to expire.
const IN_FLIGHT_TTL: Duration = Duration::from_secs(30);

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
            ip: ip.map(client_key),
        }
    }

    fn account_key(&self, what: &str) -> String {
        format!("login:{what}:acct:{}", self.account)
    }

    fn ip_keys(&self) -> Option<(String, String)> {
        self.ip
            .as_ref()
            .map(|ip| (format!("login:fail:ip:{ip}"), format!("login:lock:ip:{ip}")))
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

/// Why an attempt is refused before its password is checked. The answer is
/// the same for both; the reason is for the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A back-off or lock-out is in force for the account or the address.
    Locked,
    /// Another attempt for the account is being checked right now.
    Busy,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Locked => "locked",
            Self::Busy => "busy",
        }
    }
}

/// An admitted attempt: holds the account's in-flight slot until it is
/// settled or dropped (an error or a cancelled request frees it too).
#[derive(Debug)]
pub(crate) struct Ticket {
    store: Arc<dyn EphemeralStore>,
    slot: String,
    held: bool,
    /// This attempt's number among the account's consecutive failures.
    failures: u64,
}

impl Ticket {
    async fn release(mut self) -> Result<(), StorageError> {
        self.held = false;
        self.store.delete(&self.slot).await.map(|_| ())
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.held {
            return;
        }
        let (store, slot) = (Arc::clone(&self.store), std::mem::take(&mut self.slot));
        // Outside a runtime the slot simply expires with its TTL.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.delete(&slot).await {
                    tracing::warn!(error = %e, "a sign-in slot could not be freed; it expires");
                }
            });
        }
    }
}

/// A lock-out just imposed on an account (for the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockedOut {
    pub failures: u64,
    pub seconds: u64,
}

impl LoginThrottle {
    fn memory(&self) -> Duration {
        Duration::from_secs(self.limits.lockout_seconds)
    }

    /// Admits an attempt for checking, or says why not.
    pub(crate) async fn admit(
        &self,
        attempt: &Attempt,
    ) -> Result<Result<Ticket, Refusal>, StorageError> {
        let slot = attempt.account_key("busy");
        if !self
            .ephemeral
            .put_if_absent(&slot, b"1", IN_FLIGHT_TTL)
            .await?
        {
            return Ok(Err(Refusal::Busy));
        }
        let mut ticket = Ticket {
            store: Arc::clone(&self.ephemeral),
            slot,
            held: true,
            failures: 0,
        };
        // Read under the slot: a lock set by the attempt before this one is
        // seen here.
        let mut locks = vec![attempt.account_key("lock")];
        locks.extend(attempt.ip_keys().map(|(_, lock)| lock));
        for lock in &locks {
            if self.ephemeral.get(lock).await?.is_some() {
                ticket.release().await?;
                return Ok(Err(Refusal::Locked));
            }
        }
        ticket.failures = self
            .ephemeral
            .incr_sliding(&attempt.account_key("fail"), self.memory())
            .await?;
        if ticket.failures > self.limits.max_consecutive_failures {
            // Only when the lock-out vanished before the count (evicted).
            self.ephemeral
                .put(&attempt.account_key("lock"), b"1", self.memory())
                .await?;
            ticket.release().await?;
            return Ok(Err(Refusal::Locked));
        }
        Ok(Ok(ticket))
    }

    /// Settles a failed attempt: back-off or lock-out for the account and
    /// the address. Returns the lock-out if this failure imposed one.
    pub(crate) async fn failed(
        &self,
        attempt: &Attempt,
        ticket: Ticket,
    ) -> Result<Option<LockedOut>, StorageError> {
        if let Some((fail, lock)) = attempt.ip_keys() {
            let window = Duration::from_secs(self.limits.window_seconds);
            let n = self.ephemeral.incr(&fail, window).await?;
            if let Some(d) = backoff(&self.limits, n, true) {
                self.ephemeral.put(&lock, b"1", d).await?;
            }
        }
        let locked = self.lock_account(attempt, ticket.failures).await?;
        ticket.release().await?;
        Ok(locked)
    }

    /// Settles a successful attempt: the account's count starts over,
    /// unless wrong step-up codes are outstanding (only a step-up success
    /// forgives those). The address's count stays: one success must not
    /// unlock guessing at other accounts.
    pub(crate) async fn succeeded(
        &self,
        attempt: &Attempt,
        ticket: Ticket,
    ) -> Result<(), StorageError> {
        if self
            .ephemeral
            .get(&attempt.account_key("otpfail"))
            .await?
            .is_none()
        {
            self.ephemeral.delete(&attempt.account_key("fail")).await?;
        }
        ticket.release().await
    }

    /// Whether the account is locked out now (step-up checks codes only
    /// while it is not).
    pub(crate) async fn account_locked(&self, attempt: &Attempt) -> Result<bool, StorageError> {
        Ok(self
            .ephemeral
            .get(&attempt.account_key("lock"))
            .await?
            .is_some())
    }

    /// Counts a wrong step-up code as a failed sign-in of the account.
    pub(crate) async fn step_up_failed(
        &self,
        attempt: &Attempt,
    ) -> Result<Option<LockedOut>, StorageError> {
        let n = self
            .ephemeral
            .incr_sliding(&attempt.account_key("fail"), self.memory())
            .await?;
        self.ephemeral
            .put(&attempt.account_key("otpfail"), b"1", self.memory())
            .await?;
        self.lock_account(attempt, n).await
    }

    /// Settles a wrong code or passkey at step-up (the authenticator app, a
    /// recovery code, a passkey after the password): a failed attempt that,
    /// like a wrong SMS code, only a step-up success forgives.
    pub(crate) async fn second_factor_failed(
        &self,
        attempt: &Attempt,
        ticket: Ticket,
    ) -> Result<Option<LockedOut>, StorageError> {
        self.ephemeral
            .put(&attempt.account_key("otpfail"), b"1", self.memory())
            .await?;
        self.failed(attempt, ticket).await
    }

    /// Settles a second factor that passed: the slot is freed and the
    /// account's failures forgiven.
    pub(crate) async fn second_factor_succeeded(
        &self,
        attempt: &Attempt,
        ticket: Ticket,
    ) -> Result<(), StorageError> {
        self.step_up_succeeded(attempt).await?;
        ticket.release().await
    }

    /// A completed step-up forgives the account's failures.
    pub(crate) async fn step_up_succeeded(&self, attempt: &Attempt) -> Result<(), StorageError> {
        for what in ["fail", "otpfail"] {
            self.ephemeral.delete(&attempt.account_key(what)).await?;
        }
        Ok(())
    }

    /// Forgives the account everything: its failures, wrong step-up codes
    /// and lock. For a citizen who has just proved the card again and set a
    /// new password (recovery): whoever ran the count up must not keep the
    /// owner out. The address counts stay.
    pub(crate) async fn forgive(&self, username: &str) -> Result<(), StorageError> {
        let attempt = Attempt::new(username, None);
        for what in ["fail", "otpfail", "lock"] {
            self.ephemeral.delete(&attempt.account_key(what)).await?;
        }
        Ok(())
    }

    /// Locks the account after its failure number `n`: back-off past the
    /// free allowance, the lock-out at the cap.
    async fn lock_account(
        &self,
        attempt: &Attempt,
        n: u64,
    ) -> Result<Option<LockedOut>, StorageError> {
        let lock = attempt.account_key("lock");
        if n >= self.limits.max_consecutive_failures {
            self.ephemeral.put(&lock, b"1", self.memory()).await?;
            return Ok(Some(LockedOut {
                failures: n,
                seconds: self.limits.lockout_seconds,
            }));
        }
        if let Some(d) = backoff(&self.limits, n, false) {
            self.ephemeral.put(&lock, b"1", d).await?;
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use pratu_storage::MockClock;
    use pratu_storage::ephemeral::memory::MemoryStore;

    use super::*;
    use crate::state::LoginThrottleParts;

    fn limits() -> LoginLimits {
        LoginLimits {
            free_failures: 3,
            free_failures_per_ip: 10,
            window_seconds: 900,
            backoff_base_seconds: 2,
            backoff_max_seconds: 60,
            max_consecutive_failures: 6,
            lockout_seconds: 3600,
        }
    }

    fn throttle() -> (LoginThrottle, Arc<MockClock>) {
        let clock = Arc::new(MockClock::default());
        let store: Arc<dyn EphemeralStore> = Arc::new(MemoryStore::new(clock.clone(), 1000));
        (
            LoginThrottle::from_parts(LoginThrottleParts {
                ephemeral: store,
                limits: limits(),
            }),
            clock,
        )
    }

    #[test]
    fn back_off_doubles_after_the_free_failures_up_to_the_cap() {
        let l = limits();
        assert_eq!(backoff(&l, 3, false), None);
        assert_eq!(backoff(&l, 4, false), Some(Duration::from_secs(2)));
        assert_eq!(backoff(&l, 5, false), Some(Duration::from_secs(4)));
        assert_eq!(backoff(&l, 7, false), Some(Duration::from_secs(16)));
        assert_eq!(backoff(&l, 100, false), Some(Duration::from_secs(60)));
        assert_eq!(backoff(&l, 5, true), None);
        assert_eq!(backoff(&l, 11, true), Some(Duration::from_secs(2)));
    }

    #[tokio::test]
    async fn a_second_attempt_in_flight_is_refused_until_the_first_settles() {
        let (t, _) = throttle();
        let a = Attempt::new("somchai87", None);
        let first = t.admit(&a).await.unwrap().unwrap();
        assert_eq!(t.admit(&a).await.unwrap().unwrap_err(), Refusal::Busy);
        t.failed(&a, first).await.unwrap();
        let second = t.admit(&a).await.unwrap().unwrap();
        assert_eq!(second.failures, 2);
    }

    #[tokio::test]
    async fn a_dropped_attempt_frees_its_slot() {
        let (t, _) = throttle();
        let a = Attempt::new("somchai87", None);
        drop(t.admit(&a).await.unwrap().unwrap());
        // The slot is freed by a spawned task.
        tokio::task::yield_now().await;
        let again = t.admit(&a).await.unwrap().unwrap();
        assert_eq!(again.failures, 2, "the dropped attempt still counted");
    }

    #[tokio::test]
    async fn failures_count_past_any_window_up_to_the_lock_out() {
        let (t, clock) = throttle();
        let a = Attempt::new("somchai87", None);
        let mut imposed = None;
        for _ in 0..6 {
            let ticket = t.admit(&a).await.unwrap().unwrap();
            imposed = t.failed(&a, ticket).await.unwrap();
            // Past every back-off and the old 900 s window.
            clock.advance(time::Duration::seconds(1000));
        }
        assert_eq!(
            imposed,
            Some(LockedOut {
                failures: 6,
                seconds: 3600
            })
        );
        assert_eq!(t.admit(&a).await.unwrap().unwrap_err(), Refusal::Locked);
        clock.advance(time::Duration::seconds(3601));
        assert_eq!(t.admit(&a).await.unwrap().unwrap().failures, 1);
    }

    #[tokio::test]
    async fn a_success_resets_the_count_but_not_wrong_step_up_codes() {
        let (t, _) = throttle();
        let a = Attempt::new("somchai87", None);
        for _ in 0..3 {
            let ticket = t.admit(&a).await.unwrap().unwrap();
            t.failed(&a, ticket).await.unwrap();
        }
        let ticket = t.admit(&a).await.unwrap().unwrap();
        t.succeeded(&a, ticket).await.unwrap();
        assert_eq!(t.admit(&a).await.unwrap().unwrap().failures, 1);

        let (t, _) = throttle();
        t.step_up_failed(&a).await.unwrap();
        let ticket = t.admit(&a).await.unwrap().unwrap();
        t.succeeded(&a, ticket).await.unwrap();
        assert_eq!(t.admit(&a).await.unwrap().unwrap().failures, 3);
    }

    #[tokio::test]
    async fn a_forgiven_account_is_open_again_with_a_fresh_count() {
        let (t, clock) = throttle();
        let a = Attempt::new("somchai87", None);
        for _ in 0..6 {
            let ticket = t.admit(&a).await.unwrap().unwrap();
            t.failed(&a, ticket).await.unwrap();
            clock.advance(time::Duration::seconds(1000));
        }
        assert_eq!(t.admit(&a).await.unwrap().unwrap_err(), Refusal::Locked);
        t.forgive("somchai87").await.unwrap();
        assert!(!t.account_locked(&a).await.unwrap());
        assert_eq!(t.admit(&a).await.unwrap().unwrap().failures, 1);
    }

    #[tokio::test]
    async fn an_address_is_counted_by_its_64_prefix() {
        let (t, _) = throttle();
        for i in 0..11u16 {
            let ip = IpAddr::from([0x2001, 0xdb8, 1, 2, i, 0, 0, 1]);
            let a = Attempt::new(&format!("user{i}"), Some(ip));
            let ticket = t.admit(&a).await.unwrap().unwrap();
            t.failed(&a, ticket).await.unwrap();
        }
        let other_host = IpAddr::from([0x2001, 0xdb8, 1, 2, 99, 0, 0, 1]);
        let a = Attempt::new("someone", Some(other_host));
        assert_eq!(t.admit(&a).await.unwrap().unwrap_err(), Refusal::Locked);
        let other_net = IpAddr::from([0x2001, 0xdb8, 1, 3, 0, 0, 0, 1]);
        let a = Attempt::new("someone", Some(other_net));
        assert!(t.admit(&a).await.unwrap().is_ok());
    }
}

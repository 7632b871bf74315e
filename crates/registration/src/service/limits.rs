//! Abuse limits over the ephemeral store, so every node counts together.
//! Two shapes: `hit` counts every attempt and refuses past the limit (per-IP
//! rules); `failure` counts refusals only and, at the limit, sets a lock for
//! the rule's window (wrong laser codes per enrollment and per citizen).

use std::sync::Arc;

use pratu_storage::StorageError;
use pratu_storage::ephemeral::EphemeralStore;

use crate::config::LimitRule;

/// The address a per-IP limit counts (IPv6 by /64), shared with sign-in.
pub(crate) use pratu_core::limits::client_key as limit_key;

#[derive(Debug, Clone)]
pub(crate) struct Limiter {
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

    /// Counts one SMS to `e164` on the counter sign-in's step-up shares;
    /// `false` once the rule's maximum is exceeded within the window.
    pub async fn phone_send(&self, rule: &LimitRule, e164: &str) -> Result<bool, StorageError> {
        let limit = pratu_core::limits::PhoneSendLimit {
            max: rule.max,
            window_seconds: rule.window_seconds,
        };
        pratu_core::limits::count_phone_send(self.store.as_ref(), limit, e164).await
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

#[cfg(test)]
mod tests {
    use pratu_storage::MockClock;
    use pratu_storage::ephemeral::memory::MemoryStore;

    use super::*;

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
}

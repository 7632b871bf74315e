//! Periodic housekeeping: PDPA asks that nothing be kept past its purpose, so
//! unfinished enrollments once expired, completed enrollments (their copy of
//! the citizen's personal data) after their retention period, expired
//! refresh and registration tokens, and audit events older than the
//! retention period are deleted. Every node runs it;
//! the deletes are idempotent, so several nodes doing it at once is harmless.

use std::sync::Arc;
use std::time::Duration;

use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::{Clock, Store};
use serde::{Deserialize, Serialize};

/// Key `retention`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Audit events older than this are deleted.
    pub audit_days: u32,
    /// Completed enrollments are deleted this many days after they were
    /// confirmed: the account holds what it needs, and their copy of names,
    /// birth date, sealed citizen ID, phone and password hash goes (PDPA).
    /// Unfinished ones are deleted as soon as they expire. 0 deletes them at
    /// the next housekeeping run.
    pub completed_enrollment_days: u32,
    /// How often housekeeping runs.
    pub interval_seconds: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            audit_days: 365,
            completed_enrollment_days: 30,
            interval_seconds: 3600,
        }
    }
}

/// One pass; returns (enrollments, refresh tokens, audit events) deleted,
/// enrollments counting both expired unfinished and old completed ones.
pub async fn run_once(
    store: &dyn Store,
    clock: &dyn Clock,
    config: &RetentionConfig,
) -> Result<(u64, u64, u64), pratu_storage::StorageError> {
    let now = clock.now();
    let expired = store.delete_expired_enrollments(now).await?;
    let completed = store
        .delete_completed_enrollments(
            now - time::Duration::days(i64::from(config.completed_enrollment_days)),
        )
        .await?;
    let enrollments = expired + completed;
    let refresh = store.delete_expired_refresh_tokens(now).await?;
    // Unused registration tokens past their expiry: nothing to report.
    store.delete_expired_registration_tokens(now).await?;
    let audit = store
        .delete_audit_before(now - time::Duration::days(i64::from(config.audit_days)))
        .await?;
    Ok((enrollments, refresh, audit))
}

pub fn spawn(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: RetentionConfig) {
    tokio::spawn(async move {
        let mut tick = ticker(Duration::from_secs(config.interval_seconds.max(1)));
        loop {
            tick.tick().await;
            match run_once(store.as_ref(), clock.as_ref(), &config).await {
                Ok((e, r, a)) if e + r + a > 0 => tracing::info!(
                    enrollments = e,
                    refresh_tokens = r,
                    audit_events = a,
                    "housekeeping deleted expired records"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "housekeeping failed; will retry"),
            }
        }
    });
}

/// How often the in-process ephemeral store drops its expired entries.
const SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Expired codes, markers and sessions are invisible at once but hold their
/// memory until touched or swept; sweeping keeps the in-process store's
/// memory at what is live (Redis expires keys itself: a no-op there).
pub fn spawn_sweep(ephemeral: Arc<dyn EphemeralStore>) {
    repeat(SWEEP_EVERY, move || {
        let removed = ephemeral.sweep();
        if removed > 0 {
            tracing::debug!(removed, "swept expired ephemeral entries");
        }
    });
}

/// An interval that, after a stall, waits a whole period again rather than
/// firing the missed ticks in a burst.
fn ticker(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

/// Runs a short synchronous job every `period` on the runtime, for ever.
pub fn repeat(period: Duration, mut job: impl FnMut() + Send + 'static) {
    tokio::spawn(async move {
        let mut tick = ticker(period);
        loop {
            tick.tick().await;
            job();
        }
    });
}

//! Change notices between the nodes sharing an ephemeral store: a node
//! that caches something other nodes can change (client records) hears of
//! every change instead of asking the store on every request. Redis
//! carries them by pub/sub; the in-process store hands them to the
//! subscribers in the same process.
//!
//! A notice says only "something under this topic changed". Missing one
//! must never go unnoticed, so [`Notices::epoch`] also moves whenever the
//! feed is lost or regained, and [`Notices::live`] says whether it can be
//! trusted now; while it cannot, the subscriber asks the store itself.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// What one subscriber of one topic has heard.
#[derive(Debug, Default)]
pub struct Notices {
    live: AtomicBool,
    epoch: AtomicU64,
}

impl Notices {
    /// A feed that is live from the start (the in-process store cannot
    /// lose one).
    pub(crate) fn live_from_start() -> Self {
        Self {
            live: AtomicBool::new(true),
            epoch: AtomicU64::new(0),
        }
    }

    /// Whether every notice published from now on will be heard (until
    /// the epoch next moves).
    pub fn live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// Moves on every notice and every change of [`Self::live`]: what was
    /// learnt under an older epoch may be stale.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A notice arrived.
    pub(crate) fn heard(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The feed was lost (`false`) or (re)established (`true`): notices may
    /// have been missed either way.
    pub(crate) fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Release);
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_and_every_change_of_liveness_moves_the_epoch() {
        let n = Notices::default();
        assert!(!n.live());
        let e0 = n.epoch();
        n.set_live(true);
        assert!(n.live());
        let e1 = n.epoch();
        assert_ne!(e0, e1);
        n.heard();
        assert_ne!(n.epoch(), e1);
        let e2 = n.epoch();
        n.set_live(false);
        assert!(!n.live());
        assert_ne!(n.epoch(), e2);
    }
}

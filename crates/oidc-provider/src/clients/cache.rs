//! A short-lived, bounded per-node cache of client records: every token,
//! authorize and introspection request needs its client, and the record
//! rarely changes. Changes made through this node's [`super::ClientService`]
//! invalidate the entry at once. Other nodes hear of a change as a notice
//! through the shared ephemeral store (Redis pub/sub), and drop every entry
//! (client changes are rare, so dropping everything is cheap). While that
//! feed is down, a node instead reads a generation value that every change
//! replaces, on every lookup, and drops its entries when it differs from
//! the one they were fetched under. Without a shared store (the CLI against
//! an in-memory ephemeral store) changes are seen within the TTL
//! (`clients.cache_ttl_seconds`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use pratu_storage::Clock;
use pratu_storage::records::Client;
use time::{Duration, OffsetDateTime};

/// More entries than this and the cache starts over (a flood of made-up
/// client ids must not grow memory).
const MAX_ENTRIES: usize = 4096;

/// When an entry was fetched, and what (`None`: no such client).
type Entry = (OffsetDateTime, Option<Arc<Client>>);

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// The notice epoch (see `pratu_storage::ephemeral::Notices`) the
    /// entries were fetched under.
    epoch: u64,
}

#[derive(Debug)]
pub(crate) struct ClientCache {
    ttl: Duration,
    clock: Arc<dyn Clock>,
    /// `None` caches "no such client" too, so unknown ids do not reach the
    /// database on every request.
    entries: RwLock<Entries>,
    /// The shared generation the entries were fetched under.
    generation: RwLock<Option<Vec<u8>>>,
}

impl ClientCache {
    pub(crate) fn new(ttl_seconds: u64, clock: Arc<dyn Clock>) -> Self {
        Self {
            ttl: Duration::seconds(i64::try_from(ttl_seconds).unwrap_or(5)),
            clock,
            entries: RwLock::default(),
            generation: RwLock::new(None),
        }
    }

    /// `Some(entry)` when a fresh entry exists (the entry itself may be
    /// "no such client").
    pub(crate) fn get(&self, client_id: &str) -> Option<Option<Arc<Client>>> {
        if self.ttl <= Duration::ZERO {
            return None;
        }
        let now = self.clock.now();
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries
            .map
            .get(client_id)
            .filter(|(at, _)| now - *at < self.ttl && *at <= now)
            .map(|(_, c)| c.clone())
    }

    /// Keeps `client`, read under notice epoch `epoch`, unless a notice
    /// has arrived since: then it may be stale already.
    pub(crate) fn put(&self, client_id: &str, client: Option<Arc<Client>>, epoch: u64) {
        if self.ttl <= Duration::ZERO {
            return;
        }
        let now = self.clock.now();
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.epoch != epoch {
            return;
        }
        if entries.map.len() >= MAX_ENTRIES {
            entries.map.clear();
        }
        entries.map.insert(client_id.to_owned(), (now, client));
    }

    /// Drops every entry if `epoch` is later than the notice epoch they
    /// were fetched under. Epochs only grow; a lookup that read an earlier
    /// one (it began before the latest notice) changes nothing.
    pub(crate) fn observe_epoch(&self, epoch: u64) {
        if self.entries.read().unwrap_or_else(|p| p.into_inner()).epoch >= epoch {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if entries.epoch < epoch {
            entries.map.clear();
            entries.epoch = epoch;
        }
    }

    /// Drops every entry unless `current` is the generation they were
    /// fetched under.
    pub(crate) fn observe_generation(&self, current: Option<Vec<u8>>) {
        if *self.generation.read().unwrap_or_else(|p| p.into_inner()) == current {
            return;
        }
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .clear();
        *self.generation.write().unwrap_or_else(|p| p.into_inner()) = current;
    }

    pub(crate) fn invalidate(&self, client_id: &str) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .map
            .remove(client_id);
    }
}

#[cfg(test)]
mod tests {
    use pratu_storage::{MockClock, SystemClock};

    use super::*;

    fn cache() -> ClientCache {
        ClientCache::new(300, Arc::new(MockClock::new(SystemClock.now())))
    }

    /// ("no such client" entries stand in for records: the epoch logic does
    /// not look at them.)
    #[test]
    fn a_notice_drops_entries_and_keeps_reads_begun_before_it_out() {
        let c = cache();
        c.observe_epoch(1);
        c.put("a", None, 1);
        assert_eq!(c.get("a"), Some(None), "kept under the current epoch");

        // A lookup that began before a notice (epoch 1) and finishes after
        // another lookup saw it (epoch 2): its result may be stale.
        c.observe_epoch(2);
        assert_eq!(c.get("a"), None, "the notice dropped the entry");
        c.put("b", None, 1);
        assert_eq!(
            c.get("b"),
            None,
            "a read begun before the notice is not kept"
        );

        // An older epoch seen late neither drops newer entries nor rewinds.
        c.put("c", None, 2);
        c.observe_epoch(1);
        assert_eq!(c.get("c"), Some(None));
        c.put("d", None, 1);
        assert_eq!(c.get("d"), None);
    }
}

//! The in-process ephemeral store, for a single node.
//!
//! Values live in a fixed number of shards, each a `HashMap` behind its own
//! mutex, so concurrent requests rarely wait on one another; no lock is held
//! across an `.await` and no operation holds two locks. Expiry is judged by
//! the [`Clock`] (tests move a `MockClock` instead of sleeping): an expired
//! entry is invisible at once and removed when next touched, or when room is
//! needed.
//!
//! # Capacity
//! The store is bounded by `max_entries` (a set counts as one entry), and
//! a full store never evicts security state: lockouts, attempt counters,
//! revoked token ids, force-logout and replay markers, sessions and codes
//! are written with [`EphemeralStore::put`] and friends and stay until they
//! expire. Evicting them (this store's policy before, least recently used
//! first) let anyone who could fill the store — anonymous `GET /authorize`
//! requests each leave a pending request — revive revoked tokens and lift
//! lockouts. Only *disposable* entries ([`EphemeralStore::put_disposable`]:
//! pending requests, whose loss costs a user one retry) give way:
//!
//! - A disposable entry is refused ([`StorageError::Full`]) once the store
//!   holds [`DISPOSABLE_SHARE_PERCENT`] of `max_entries`, so a flood of them
//!   always leaves the rest of the store to security writes.
//! - A security entry arriving at a full store takes the place of an expired
//!   entry, else of the least recently used disposable one (a sample first,
//!   the whole shard when the sample has none); when the shard holds neither
//!   it is refused with [`StorageError::Full`], and the caller fails closed
//!   (a lockout that cannot be written refuses the sign-in).
//!
//! Refusals are logged (at most every 10 s). Stores of up to 1024 entries use
//! one shard and hold the bound exactly; larger ones may exceed it by at most
//! the shard count under concurrent inserts. Expired entries are also removed
//! by [`MemoryStore::sweep`], which the server runs periodically.
//!
//! Values are kept as Redis keeps them, so both backends behave alike:
//! counters are decimal byte strings (`get` after `incr` reads `b"3"`), and
//! using a set as a value (or the reverse) is a `WrongType` error.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;

use super::{EphemeralStore, Notices, Occupancy};
use crate::clock::Clock;
use crate::error::{Result, StorageError};

/// Entries looked at to choose an eviction victim: bounds the work of an
/// insert into a full store (a full scan of a shard of thousands of entries
/// per insert before).
const EVICTION_SAMPLE: usize = 32;

/// Entries per shard before another shard is added (up to [`MAX_SHARDS`]).
const ENTRIES_PER_SHARD: usize = 1024;
const MAX_SHARDS: usize = 64;

/// Least time between two "store full" warnings (10 s).
const WARN_EVERY_NANOS: i64 = 10_000_000_000;

/// The share of `max_entries` disposable entries may fill: the rest is
/// kept for security state however many pending requests arrive.
pub const DISPOSABLE_SHARE_PERCENT: usize = 75;

/// The top bit of [`Entry::used`] marks a disposable entry; the tick below
/// it never gets near (2^63 uses).
const DISPOSABLE: u64 = 1 << 63;

/// The bounded, sharded, clock-driven ephemeral store.
pub struct MemoryStore {
    clock: Arc<dyn Clock>,
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    len: AtomicUsize,
    max_entries: usize,
    /// Ticks on every write and read: an entry's `used` is the tick of its
    /// last use.
    tick: AtomicU64,
    /// Disposable entries refused from `disposable_cap` on.
    disposable_cap: usize,
    /// Live disposable entries evicted, and when a full store was last
    /// logged (a stamp).
    evicted: AtomicU64,
    warned_at: AtomicI64,
    /// Subscribers by topic (see [`super::Notices`]); dropped ones are
    /// forgotten at the next publish.
    subscribers: Mutex<HashMap<Box<str>, Vec<Weak<Notices>>>>,
}

type Shard = HashMap<Box<str>, Entry>;

/// Kept small: under a burst of sign-ins the store holds up to
/// `max_entries` of these (mostly replay markers), so every byte here is
/// `max_entries` bytes of RSS. Keys are `Box<str>` (no spare capacity), a
/// set is boxed (so a byte value sizes the enum), the deadline is a number.
/// Measured with the entry of a replay marker: ~330 bytes each before
/// (`String` key, `Vec` value, `OffsetDateTime`, an inline `HashSet`).
struct Entry {
    value: Value,
    /// Unix time in nanoseconds (see [`stamp`]).
    expires_at: i64,
    /// When it was last written or read (see [`MemoryStore::tick`]), and
    /// whether it is disposable (the [`DISPOSABLE`] bit).
    used: u64,
}

enum Value {
    Bytes(Box<[u8]>),
    // Boxed on purpose: a `HashSet` inline is 48 bytes and would size
    // every entry, and sets are rare (one per SSO session).
    #[expect(
        clippy::box_collection,
        reason = "keeps the enum, and so every slot of the map, 16 bytes"
    )]
    Set(Box<HashSet<String>>),
}

/// A key was used as the other kind of value (bytes vs. set).
#[derive(Debug, thiserror::Error)]
#[error("ephemeral key holds another kind of value")]
pub struct WrongType;

impl std::fmt::Debug for MemoryStore {
    // Values are codes and sessions: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("len", &self.len.load(Ordering::Relaxed))
            .field("max_entries", &self.max_entries)
            .field("shards", &self.shards.len())
            .finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// A store holding at most `max_entries` keys (at least one), judging
    /// expiry by `clock`.
    pub fn new(clock: Arc<dyn Clock>, max_entries: usize) -> Self {
        let max_entries = max_entries.max(1);
        let shard_count = max_entries.div_ceil(ENTRIES_PER_SHARD).clamp(1, MAX_SHARDS);
        Self {
            clock,
            shards: (0..shard_count).map(|_| Mutex::default()).collect(),
            hasher: RandomState::new(),
            len: AtomicUsize::new(0),
            max_entries,
            disposable_cap: (max_entries * DISPOSABLE_SHARE_PERCENT / 100).max(1),
            tick: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            warned_at: AtomicI64::new(i64::MIN),
            subscribers: Mutex::default(),
        }
    }

    fn next_tick(&self) -> u64 {
        self.tick.fetch_add(1, Ordering::Relaxed)
    }

    /// Keys held, counting expired ones not yet removed.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every expired entry now; returns how many. Optional: expired
    /// entries are invisible anyway and removed lazily, but a periodic sweep
    /// returns their memory sooner.
    pub fn sweep(&self) -> usize {
        let now = stamp(self.clock.now());
        let mut removed = 0;
        for shard in &*self.shards {
            removed += self.drop_expired(&mut lock(shard), now);
        }
        removed
    }

    fn shard(&self, key: &str) -> MutexGuard<'_, Shard> {
        let len = self.shards.len();
        // The modulo keeps the value below `len`, which is a `usize`.
        let index = (self.hasher.hash_one(key) % len as u64) as usize;
        // `index < len`, so the slice is never empty here.
        lock(&self.shards[index])
    }

    fn drop_expired(&self, shard: &mut Shard, now: i64) -> usize {
        let before = shard.len();
        shard.retain(|_, e| e.expires_at > now);
        let removed = before - shard.len();
        self.len.fetch_sub(removed, Ordering::Relaxed);
        removed
    }

    /// Makes room for one more key of this class in `shard`, or refuses
    /// it (see the module docs).
    fn make_room(&self, shard: &mut Shard, now: i64, disposable: bool) -> Result<()> {
        if disposable {
            if self.len() >= self.disposable_cap {
                self.drop_expired(shard, now);
            }
            if self.len() >= self.disposable_cap {
                return Err(self.refuse(now, "a disposable entry"));
            }
            return Ok(());
        }
        if self.len() < self.max_entries {
            return Ok(());
        }
        // Expired entries first, then the least recently used disposable
        // one; a live security entry is never a candidate.
        let rank = |e: &Entry| {
            let live = e.expires_at > now;
            (!live || e.used & DISPOSABLE != 0).then_some((live, e.used & !DISPOSABLE))
        };
        let victim = shard
            .iter()
            .take(EVICTION_SAMPLE)
            .filter_map(|(k, e)| Some((rank(e)?, k)))
            .min_by_key(|(r, _)| *r)
            .or_else(|| {
                shard
                    .iter()
                    .filter_map(|(k, e)| Some((rank(e)?, k)))
                    .min_by_key(|(r, _)| *r)
            })
            .map(|((live, _), k)| (live, k.clone()));
        let Some((live, victim)) = victim else {
            return Err(self.refuse(now, "a security entry"));
        };
        shard.remove(&victim);
        self.len.fetch_sub(1, Ordering::Relaxed);
        if live {
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The error for a refused write, warned at most once per
    /// [`WARN_EVERY_NANOS`]: a flood is refused thousands of times a
    /// second, and a line each would flood the log.
    fn refuse(&self, now: i64, what: &'static str) -> StorageError {
        let last = self.warned_at.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= WARN_EVERY_NANOS
            && self
                .warned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                max_entries = self.max_entries,
                entries = self.len(),
                refused = what,
                "ephemeral store full: refusing new entries rather than evicting \
                 security state (raise ephemeral.max_entries, or use Redis)"
            );
        }
        StorageError::Full
    }

    /// Live disposable entries evicted to make room for security state
    /// since the store was created.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// Inserts or replaces `key`, keeping the count; refuses a new key
    /// that does not fit (see the module docs).
    fn insert(
        &self,
        shard: &mut Shard,
        key: &str,
        mut entry: Entry,
        now: i64,
        disposable: bool,
    ) -> Result<()> {
        entry.used = self.next_tick() | (if disposable { DISPOSABLE } else { 0 });
        if let Some(existing) = shard.get_mut(key) {
            *existing = entry;
            return Ok(());
        }
        self.make_room(shard, now, disposable)?;
        shard.insert(key.into(), entry);
        self.len.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The live entry at `key`; an expired one is removed on the way.
    fn live<'s>(&self, shard: &'s mut Shard, key: &str, now: i64) -> Option<&'s mut Entry> {
        let expired = shard.get(key)?.expires_at <= now;
        if expired {
            shard.remove(key);
            self.len.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        let entry = shard.get_mut(key)?;
        entry.used = (entry.used & DISPOSABLE) | self.next_tick();
        Some(entry)
    }

    /// One more on the counter at `key`, which starts at 1 with `ttl`;
    /// `slide` restarts the TTL on every count.
    fn count(&self, key: &str, ttl: Duration, slide: bool) -> Result<u64> {
        let now = stamp(self.clock.now());
        let mut shard = self.shard(key);
        if let Some(entry) = self.live(&mut shard, key, now) {
            let Value::Bytes(bytes) = &mut entry.value else {
                return Err(wrong_type());
            };
            let count = std::str::from_utf8(bytes)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(wrong_type)?
                .saturating_add(1);
            *bytes = count.to_string().into_bytes().into_boxed_slice();
            if slide {
                entry.expires_at = deadline(now, ttl);
            }
            return Ok(count);
        }
        let entry = Entry {
            value: Value::Bytes(Box::from(&b"1"[..])),
            expires_at: deadline(now, ttl),
            used: 0,
        };
        self.insert(&mut shard, key, entry, now, false)?;
        Ok(1)
    }
}

fn lock(shard: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    // A panic while holding the lock cannot leave a map half-updated in a
    // way that matters here; carry on.
    shard.lock().unwrap_or_else(|p| p.into_inner())
}

/// A time as entries keep it: Unix nanoseconds, saturating (the year 2262
/// is the end of time here).
fn stamp(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos()).unwrap_or(if t.year() < 1970 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// `now + ttl`, saturating at the end of time.
fn deadline(now: i64, ttl: Duration) -> i64 {
    now.saturating_add(i64::try_from(ttl.as_nanos()).unwrap_or(i64::MAX))
}

fn wrong_type() -> StorageError {
    StorageError::unhandled(WrongType)
}

#[async_trait]
impl EphemeralStore for MemoryStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        let now = stamp(self.clock.now());
        let entry = Entry {
            value: Value::Bytes(value.into()),
            expires_at: deadline(now, ttl),
            used: 0,
        };
        self.insert(&mut self.shard(key), key, entry, now, false)
    }

    async fn put_disposable(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        let now = stamp(self.clock.now());
        let entry = Entry {
            value: Value::Bytes(value.into()),
            expires_at: deadline(now, ttl),
            used: 0,
        };
        self.insert(&mut self.shard(key), key, entry, now, true)
    }

    async fn put_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool> {
        let now = stamp(self.clock.now());
        let mut shard = self.shard(key);
        if self.live(&mut shard, key, now).is_some() {
            return Ok(false);
        }
        let entry = Entry {
            value: Value::Bytes(value.into()),
            expires_at: deadline(now, ttl),
            used: 0,
        };
        self.insert(&mut shard, key, entry, now, false)?;
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let now = stamp(self.clock.now());
        match self.live(&mut self.shard(key), key, now) {
            None => Ok(None),
            Some(Entry {
                value: Value::Bytes(b),
                ..
            }) => Ok(Some(b.to_vec())),
            Some(_) => Err(wrong_type()),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let now = stamp(self.clock.now());
        let mut shard = self.shard(key);
        match self.live(&mut shard, key, now) {
            None => return Ok(None),
            Some(Entry {
                value: Value::Set(_),
                ..
            }) => return Err(wrong_type()),
            Some(_) => {}
        }
        // Read and removed under one lock: of two racing takes, one wins.
        match shard.remove(key) {
            Some(Entry {
                value: Value::Bytes(b),
                ..
            }) => {
                self.len.fetch_sub(1, Ordering::Relaxed);
                Ok(Some(b.into_vec()))
            }
            _ => Ok(None),
        }
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let now = stamp(self.clock.now());
        let mut shard = self.shard(key);
        let existed = self.live(&mut shard, key, now).is_some();
        if existed {
            shard.remove(key);
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(existed)
    }

    async fn incr(&self, key: &str, window: Duration) -> Result<u64> {
        self.count(key, window, false)
    }

    async fn incr_sliding(&self, key: &str, ttl: Duration) -> Result<u64> {
        self.count(key, ttl, true)
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<()> {
        let now = stamp(self.clock.now());
        let expires_at = deadline(now, ttl);
        let mut shard = self.shard(key);
        if let Some(entry) = self.live(&mut shard, key, now) {
            let Value::Set(members) = &mut entry.value else {
                return Err(wrong_type());
            };
            members.insert(member.to_owned());
            entry.expires_at = expires_at;
            return Ok(());
        }
        let entry = Entry {
            value: Value::Set(Box::new(HashSet::from([member.to_owned()]))),
            expires_at,
            used: 0,
        };
        self.insert(&mut shard, key, entry, now, false)
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        let now = stamp(self.clock.now());
        match self.live(&mut self.shard(key), key, now) {
            None => Ok(Vec::new()),
            Some(Entry {
                value: Value::Set(members),
                ..
            }) => Ok(members.iter().cloned().collect()),
            Some(_) => Err(wrong_type()),
        }
    }

    async fn ping(&self) -> Result<()> {
        Ok(())
    }

    fn sweep(&self) -> usize {
        MemoryStore::sweep(self)
    }

    fn occupancy(&self) -> Option<Occupancy> {
        Some(Occupancy {
            entries: self.len(),
            max_entries: self.max_entries,
            evicted: self.evicted(),
        })
    }

    async fn publish(&self, topic: &str) -> Result<()> {
        let mut subscribers = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(list) = subscribers.get_mut(topic) {
            list.retain(|w| w.upgrade().map(|n| n.heard()).is_some());
        }
        Ok(())
    }

    fn subscribe(&self, topic: &str) -> Option<Arc<Notices>> {
        let notices = Arc::new(Notices::live_from_start());
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(topic.into())
            .or_default()
            .push(Arc::downgrade(&notices));
        Some(notices)
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::MockClock;

    fn store(max_entries: usize) -> (MemoryStore, MockClock) {
        let clock = MockClock::default();
        (
            MemoryStore::new(Arc::new(clock.clone()), max_entries),
            clock,
        )
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn a_full_store_drops_expired_entries_before_live_ones() {
        let (s, clock) = store(3);
        s.put("short", b"1", Duration::from_secs(10)).await.unwrap();
        s.put("a", b"2", MINUTE).await.unwrap();
        s.put("b", b"3", MINUTE).await.unwrap();
        clock.advance(time::Duration::seconds(11));

        s.put("c", b"4", MINUTE).await.unwrap();

        assert_eq!(s.len(), 3);
        assert_eq!(s.evicted(), 0, "an expired entry made room");
        for key in ["a", "b", "c"] {
            assert!(s.get(key).await.unwrap().is_some(), "{key} kept");
        }
    }

    /// Issue 16: a full store never evicts security state; the write that
    /// does not fit is refused, and its caller fails closed.
    #[tokio::test]
    async fn a_full_store_keeps_security_entries_and_refuses_the_next() {
        let (s, _clock) = store(3);
        s.put("revoked:a", b"1", MINUTE * 60).await.unwrap();
        s.incr("login:fail:acct:x", MINUTE).await.unwrap();
        s.set_add("session-clients", "app", MINUTE).await.unwrap();

        assert!(matches!(
            s.put("lock", b"1", MINUTE).await,
            Err(StorageError::Full)
        ));
        assert!(matches!(
            s.incr("counter", MINUTE).await,
            Err(StorageError::Full)
        ));
        assert!(matches!(
            s.put_disposable("authz:1", b"p", MINUTE).await,
            Err(StorageError::Full)
        ));

        assert_eq!(s.len(), 3);
        assert_eq!(s.evicted(), 0);
        assert!(s.get("revoked:a").await.unwrap().is_some());
        assert_eq!(
            s.get("login:fail:acct:x").await.unwrap(),
            Some(b"1".to_vec())
        );
        // Counters already held still count.
        assert_eq!(s.incr("login:fail:acct:x", MINUTE).await.unwrap(), 2);
    }

    /// A flood of pending requests fills only their share, and security
    /// writes displace them (least recently used first), never the reverse.
    #[tokio::test]
    async fn pending_requests_fill_only_their_share_and_give_way_to_security_state() {
        let (s, _clock) = store(100);
        s.put("revoked:a", b"1", MINUTE * 60).await.unwrap();
        let mut stored = 0;
        for i in 0..500 {
            match s.put_disposable(&format!("authz:{i}"), b"p", MINUTE).await {
                Ok(()) => stored += 1,
                Err(StorageError::Full) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(stored, 74, "75% of the store, the revocation included");
        assert_eq!(s.len(), 75);

        // authz:0 is used again: the last of them to give way.
        assert!(s.get("authz:0").await.unwrap().is_some());
        for i in 0..26 {
            s.put(&format!("marker{i}"), b"m", MINUTE * 10)
                .await
                .unwrap();
        }
        assert_eq!(s.len(), 100);
        assert_eq!(s.evicted(), 1);
        let mut pending = 0;
        for i in 0..500 {
            if s.get(&format!("authz:{i}")).await.unwrap().is_some() {
                pending += 1;
            }
        }
        assert_eq!(pending, 73);
        assert!(
            s.get("authz:0").await.unwrap().is_some(),
            "the most recently used pending request stays"
        );

        for i in 26..99 {
            s.put(&format!("marker{i}"), b"m", MINUTE * 10)
                .await
                .unwrap();
        }
        assert_eq!(s.evicted(), 74, "every pending request gave way");
        assert!(matches!(
            s.put("marker99", b"m", MINUTE).await,
            Err(StorageError::Full)
        ));
        assert!(s.get("revoked:a").await.unwrap().is_some());
        for i in 0..99 {
            assert!(s.get(&format!("marker{i}")).await.unwrap().is_some());
        }
    }

    #[tokio::test]
    async fn expired_pending_requests_make_room_for_new_ones() {
        let (s, clock) = store(4);
        for i in 0..3 {
            s.put_disposable(&format!("authz:{i}"), b"p", MINUTE)
                .await
                .unwrap();
        }
        assert!(s.put_disposable("authz:3", b"p", MINUTE).await.is_err());
        clock.advance(time::Duration::seconds(61));
        s.put_disposable("authz:3", b"p", MINUTE).await.unwrap();
        assert_eq!(s.len(), 1);
    }

    #[tokio::test]
    async fn replacing_a_key_in_a_full_store_evicts_nothing() {
        let (s, _clock) = store(2);
        s.put("a", b"1", MINUTE).await.unwrap();
        s.put("b", b"2", MINUTE).await.unwrap();
        s.put("a", b"3", MINUTE).await.unwrap();
        assert_eq!(s.get("a").await.unwrap(), Some(b"3".to_vec()));
        assert_eq!(s.get("b").await.unwrap(), Some(b"2".to_vec()));
    }

    #[tokio::test]
    async fn a_large_store_stays_near_its_bound() {
        let (s, _clock) = store(2100);
        assert_eq!(s.shards.len(), 3);
        let mut refused = 0;
        for i in 0..4000 {
            if let Err(e) = s.put(&format!("k{i}"), b"v", MINUTE).await {
                assert!(matches!(e, StorageError::Full), "{e}");
                refused += 1;
            }
        }
        assert!(refused >= 4000 - 2100 - s.shards.len(), "{refused} refused");
        assert!(s.len() <= 2100 + s.shards.len(), "len {}", s.len());
    }

    #[tokio::test]
    async fn sweep_removes_only_expired_entries() {
        let (s, clock) = store(100);
        s.put("short", b"1", Duration::from_secs(1)).await.unwrap();
        s.set_add("set", "m", Duration::from_secs(1)).await.unwrap();
        s.put("long", b"2", MINUTE).await.unwrap();
        clock.advance(time::Duration::seconds(2));
        assert_eq!(s.sweep(), 2);
        assert_eq!(s.len(), 1);
    }

    #[tokio::test]
    async fn a_sliding_counter_lives_while_counts_keep_coming() {
        let (s, clock) = store(10);
        let ttl = Duration::from_secs(10);
        for want in 1..=3 {
            assert_eq!(s.incr_sliding("n", ttl).await.unwrap(), want);
            clock.advance(time::Duration::seconds(8));
        }
        // 24 s after the first count, past any fixed window of 10 s.
        assert_eq!(s.incr_sliding("n", ttl).await.unwrap(), 4);
        assert_eq!(s.incr("fixed", ttl).await.unwrap(), 1);
        clock.advance(time::Duration::seconds(8));
        assert_eq!(s.incr("fixed", ttl).await.unwrap(), 2);
        clock.advance(time::Duration::seconds(8));
        assert_eq!(s.incr("fixed", ttl).await.unwrap(), 1);
        clock.advance(time::Duration::seconds(11));
        assert_eq!(s.incr_sliding("n", ttl).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn counters_read_as_decimal_text_like_redis() {
        let (s, _clock) = store(10);
        s.incr("n", MINUTE).await.unwrap();
        s.incr("n", MINUTE).await.unwrap();
        assert_eq!(s.get("n").await.unwrap(), Some(b"2".to_vec()));
        s.put("text", b"abc", MINUTE).await.unwrap();
        assert!(s.incr("text", MINUTE).await.is_err());
        assert!(s.set_add("text", "m", MINUTE).await.is_err());
    }

    /// The slot of every key in the map: what `max_entries` multiplies.
    #[test]
    fn an_entry_slot_stays_small() {
        let slot = std::mem::size_of::<(Box<str>, Entry)>();
        assert!(slot <= 48, "{slot} bytes per slot");
    }

    #[tokio::test]
    async fn expiry_is_exact_to_the_nanosecond_and_saturates() {
        let (s, clock) = store(10);
        s.put("k", b"v", Duration::from_millis(1500)).await.unwrap();
        clock.advance(time::Duration::nanoseconds(1_499_999_999));
        assert!(s.get("k").await.unwrap().is_some());
        clock.advance(time::Duration::nanoseconds(1));
        assert_eq!(s.get("k").await.unwrap(), None);
        s.put("forever", b"v", Duration::MAX).await.unwrap();
        clock.advance(time::Duration::days(365 * 100));
        assert!(s.get("forever").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn debug_output_shows_no_values() {
        let (s, _clock) = store(10);
        s.put("otp:1", b"123456", MINUTE).await.unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("123456"), "{printed}");
        assert!(!printed.contains("otp:1"), "{printed}");
    }
}

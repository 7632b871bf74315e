//! The ephemeral store: short-lived values that every node must see —
//! authorization codes, OTP challenges, rate-limit counters, SSO sessions,
//! revoked token ids. In process (bounded, expiring) for one node; Redis for
//! several.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;

mod feed;
pub mod memory;
mod notices;
pub mod redis;

pub use notices::Notices;

/// How full a bounded store is (see [`EphemeralStore::occupancy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupancy {
    pub entries: usize,
    pub max_entries: usize,
    pub evicted: u64,
}

/// One write of [`EphemeralStore::write_all`].
#[derive(Debug, Clone, Copy)]
pub enum Write<'a> {
    /// As [`EphemeralStore::put`].
    Put {
        key: &'a str,
        value: &'a [u8],
        ttl: Duration,
    },
    /// As [`EphemeralStore::set_add`].
    SetAdd {
        key: &'a str,
        member: &'a str,
        ttl: Duration,
    },
    /// As [`EphemeralStore::delete`].
    Delete { key: &'a str },
}

/// Keys are plain strings chosen by the callers (e.g. `code:<digest>`); the
/// Redis adapter prefixes them per deployment.
#[async_trait]
pub trait EphemeralStore: Send + Sync + std::fmt::Debug {
    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()>;
    /// Stores a *disposable* entry: one whose loss costs a user a retry,
    /// never security (a pending authorization request). A bounded store
    /// refuses it with [`crate::StorageError::Full`] when its share is used,
    /// and makes room among these for security state, which it never
    /// evicts (see [`memory`]). Redis holds both alike: it must run with
    /// `maxmemory-policy noeviction`, and then refuses every write when
    /// full, which callers answer with 503.
    async fn put_disposable(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        self.put(key, value, ttl).await
    }
    /// Stores only if `key` is absent; returns whether it stored.
    async fn put_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool>;
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Atomically reads and removes: of two concurrent takes, exactly one gets
    /// the value (single-use codes).
    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>>;
    /// Returns whether the key existed.
    async fn delete(&self, key: &str) -> Result<bool>;
    /// Adds one to a fixed-window counter and returns the new count. The
    /// window starts with the first increment and lasts `window`.
    async fn incr(&self, key: &str, window: Duration) -> Result<u64>;
    /// Adds one to a counter and (re)sets its TTL to `ttl`, atomically: the
    /// count lives as long as events keep coming less than `ttl` apart
    /// (consecutive failures), where [`EphemeralStore::incr`]'s fixed window
    /// would forget them at its end.
    async fn incr_sliding(&self, key: &str, ttl: Duration) -> Result<u64>;
    /// Adds `member` to the set at `key`, (re)setting the set's TTL.
    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<()>;
    async fn set_members(&self, key: &str) -> Result<Vec<String>>;
    /// Makes several writes, in order, in one round trip where the store
    /// has round trips (Redis: one `MULTI`…`EXEC`, all or nothing).
    async fn write_all(&self, writes: &[Write<'_>]) -> Result<()> {
        for w in writes {
            match *w {
                Write::Put { key, value, ttl } => self.put(key, value, ttl).await?,
                Write::SetAdd { key, member, ttl } => self.set_add(key, member, ttl).await?,
                Write::Delete { key } => {
                    self.delete(key).await?;
                }
            }
        }
        Ok(())
    }
    /// Cheap round trip for `/readyz`.
    async fn ping(&self) -> Result<()>;
    /// Tells every subscriber of `topic`, on every node sharing this store,
    /// that something under it changed (see [`Notices`]).
    async fn publish(&self, topic: &str) -> Result<()>;
    /// Starts hearing notices on `topic`. `None` when this store cannot
    /// deliver them (outside a Tokio runtime): ask the store instead.
    fn subscribe(&self, topic: &str) -> Option<Arc<Notices>>;
    /// Removes expired entries now; returns how many. Stores that expire
    /// entries themselves (Redis) have nothing to do.
    fn sweep(&self) -> usize {
        0
    }

    /// Keys held now and live entries evicted so far, for `/metrics`; only
    /// a bounded in-process store knows (Redis reports its own).
    fn occupancy(&self) -> Option<Occupancy> {
        None
    }

    /// `"memory"` or `"redis"`.
    fn backend(&self) -> &'static str;
}

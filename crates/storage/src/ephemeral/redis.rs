//! The Redis ephemeral store, shared by every node of a deployment.
//!
//! One [`ConnectionManager`] (a multiplexed connection that reconnects by
//! itself) serves every call, so `/readyz` recovers when Redis comes back
//! without restarting the node. While Redis is down, calls fail fast: each
//! connection attempt and each response has a timeout, reconnection retries
//! are few, and every operation is bounded by [`OPERATION_TIMEOUT`] on top.
//!
//! Every key is prefixed (`pratu:` by default) so one Redis can serve several
//! deployments or tests. Each operation is one atomic command or script:
//! `take` is `GETDEL`, `put_if_absent` is `SET NX PX`, `incr` is a Lua script
//! (`INCR`, then `PEXPIRE` when the window starts), `incr_sliding` another
//! (`INCR`, then `PEXPIRE` every time), `set_add` is
//! `MULTI SADD PEXPIRE EXEC`, `write_all` one `MULTI`…`EXEC` of them all.
//! Redis judges expiry by its own clock.
//! Notices travel by pub/sub on a connection of their own (see `feed`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::{EphemeralStore, Notices, Write};
use crate::error::{Result, StorageError};

/// Upper bound on any one call, reconnection included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(1);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// TTLs are capped (Redis refuses expiry times that overflow).
const MAX_TTL_MS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Starts a fixed window on the first increment. A key left without a TTL
/// (which should not happen) gets one too, so no counter lives forever.
const INCR_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n
";

/// `INCR` and `PEXPIRE` as one step, so no counter is left without a TTL.
const INCR_SLIDING_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
";

/// The Redis [`EphemeralStore`]. Cheap to clone (a connection handle).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    /// For the pub/sub connections of [`EphemeralStore::subscribe`].
    client: Client,
    prefix: String,
    incr: Script,
    incr_sliding: Script,
}

impl std::fmt::Debug for RedisStore {
    // The URL (with its password) is not kept; the prefix is harmless.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// A Redis call did not finish within [`OPERATION_TIMEOUT`].
#[derive(Debug, thiserror::Error)]
#[error("Redis did not answer in time")]
pub struct Timeout;

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:6379[/db]`, or
    /// `rediss://` for TLS if the crate was built with it), prefixing every
    /// key with `prefix`. Fails when Redis cannot be reached now; later
    /// outages are retried in the background.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let client = Client::open(url).map_err(StorageError::unhandled)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECTION_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT)
            .set_number_of_retries(2)
            .set_max_delay(500);
        let conn = bounded(ConnectionManager::new_with_config(client.clone(), config)).await?;
        Ok(Self {
            conn,
            client,
            prefix: prefix.to_owned(),
            incr: Script::new(INCR_SCRIPT),
            incr_sliding: Script::new(INCR_SLIDING_SCRIPT),
        })
    }

    /// The server's `maxmemory-policy`, `None` when it forbids `CONFIG`
    /// (managed Redis services often do). Anything but `noeviction` lets a
    /// full Redis evict security state (revocations, lockouts) instead of
    /// refusing writes, which callers answer by failing closed.
    pub async fn eviction_policy(&self) -> Result<Option<String>> {
        let answer: redis::RedisResult<Vec<String>> = {
            let mut conn = self.conn.clone();
            match tokio::time::timeout(
                OPERATION_TIMEOUT,
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg("maxmemory-policy")
                    .query_async(&mut conn),
            )
            .await
            {
                Ok(r) => r,
                Err(_) => return Err(StorageError::unhandled(Timeout)),
            }
        };
        match answer {
            Ok(pair) => Ok(pair.into_iter().nth(1)),
            // A server that refuses CONFIG (ACL, renamed command) answers
            // with an error reply: the policy is unknown, not an outage.
            Err(e) if e.kind() == redis::ErrorKind::ResponseError || e.code().is_some() => Ok(None),
            Err(e) => Err(StorageError::unhandled(e)),
        }
    }

    /// The prefix every key gets.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs one command on the shared connection, bounded in time.
    async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T> {
        let mut conn = self.conn.clone();
        bounded(cmd.query_async(&mut conn)).await
    }
}

async fn bounded<T>(call: impl std::future::Future<Output = redis::RedisResult<T>>) -> Result<T> {
    match tokio::time::timeout(OPERATION_TIMEOUT, call).await {
        Ok(result) => result.map_err(StorageError::unhandled),
        Err(_) => Err(StorageError::unhandled(Timeout)),
    }
}

/// Milliseconds for `PX`/`PEXPIRE`: at least 1 (Redis refuses 0).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis())
        .unwrap_or(MAX_TTL_MS)
        .clamp(1, MAX_TTL_MS)
}

#[async_trait]
impl EphemeralStore for RedisStore {
    async fn put(&self, key: &str, value: &[u8], ttl: Duration) -> Result<()> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value).arg("PX").arg(millis(ttl));
        self.query::<()>(&cmd).await
    }

    async fn put_if_absent(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(millis(ttl));
        // `OK` when stored, nil when the key existed.
        let stored: Option<String> = self.query(&cmd).await?;
        Ok(stored.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.query(redis::cmd("GET").arg(self.key(key))).await
    }

    async fn take(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.query(redis::cmd("GETDEL").arg(self.key(key))).await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let removed: u64 = self.query(redis::cmd("DEL").arg(self.key(key))).await?;
        Ok(removed > 0)
    }

    async fn incr(&self, key: &str, window: Duration) -> Result<u64> {
        let mut conn = self.conn.clone();
        bounded(
            self.incr
                .key(self.key(key))
                .arg(millis(window))
                .invoke_async(&mut conn),
        )
        .await
    }

    async fn incr_sliding(&self, key: &str, ttl: Duration) -> Result<u64> {
        let mut conn = self.conn.clone();
        bounded(
            self.incr_sliding
                .key(self.key(key))
                .arg(millis(ttl))
                .invoke_async(&mut conn),
        )
        .await
    }

    async fn set_add(&self, key: &str, member: &str, ttl: Duration) -> Result<()> {
        self.write_all(&[Write::SetAdd { key, member, ttl }]).await
    }

    async fn write_all(&self, writes: &[Write<'_>]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for w in writes {
            match *w {
                Write::Put { key, value, ttl } => {
                    pipe.cmd("SET")
                        .arg(self.key(key))
                        .arg(value)
                        .arg("PX")
                        .arg(millis(ttl))
                        .ignore();
                }
                Write::SetAdd { key, member, ttl } => {
                    let key = self.key(key);
                    pipe.cmd("SADD").arg(&key).arg(member).ignore();
                    pipe.cmd("PEXPIRE").arg(&key).arg(millis(ttl)).ignore();
                }
                Write::Delete { key } => {
                    pipe.cmd("DEL").arg(self.key(key)).ignore();
                }
            }
        }
        let mut conn = self.conn.clone();
        bounded(pipe.query_async::<()>(&mut conn)).await
    }

    async fn set_members(&self, key: &str) -> Result<Vec<String>> {
        self.query(redis::cmd("SMEMBERS").arg(self.key(key))).await
    }

    async fn ping(&self) -> Result<()> {
        let _pong: String = self.query(&redis::cmd("PING")).await?;
        Ok(())
    }

    async fn publish(&self, topic: &str) -> Result<()> {
        let _receivers: u64 = self
            .query(redis::cmd("PUBLISH").arg(self.key(topic)).arg("1"))
            .await?;
        Ok(())
    }

    fn subscribe(&self, topic: &str) -> Option<Arc<Notices>> {
        tokio::runtime::Handle::try_current().ok()?;
        let notices = Arc::new(Notices::default());
        super::feed::follow(self.client.clone(), self.key(topic), &notices);
        Some(notices)
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_become_whole_positive_milliseconds() {
        assert_eq!(millis(Duration::ZERO), 1);
        assert_eq!(millis(Duration::from_micros(1500)), 1);
        assert_eq!(millis(Duration::from_secs(2)), 2000);
        assert_eq!(millis(Duration::MAX), MAX_TTL_MS);
    }

    #[tokio::test]
    async fn connecting_to_a_closed_port_fails_instead_of_hanging() {
        // Port 1 on loopback: nothing listens there.
        let result = RedisStore::connect("redis://127.0.0.1:1", "pratu:").await;
        assert!(result.is_err());
    }

    #[tokio::test]
    async fn a_malformed_url_is_an_error() {
        assert!(RedisStore::connect("not a url", "pratu:").await.is_err());
    }
}

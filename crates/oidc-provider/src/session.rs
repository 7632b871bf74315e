//! The SSO session: one per browser, held in the ephemeral store so every
//! node sees it and logout ends it everywhere.
//!
//! The cookie carries a random handle; the store keys the record by the
//! handle's SHA-256, so reading the store does not yield usable cookies.
//! The record's `sid` (the ID token's `sid`, sent to relying parties) is a
//! separate random value for the same reason.

use pratu_core::web::CookieDef;
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_storage::StorageError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::clients::random_token;
use crate::state::Sessions;

pub(crate) const COOKIE: CookieDef = CookieDef::host("pratu_session");

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SsoSession {
    pub sid: String,
    pub user_id: Uuid,
    /// Unix seconds of the sign-in event.
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub created_at: i64,
    /// Unix milliseconds of the same moment: "signed out everywhere" ends
    /// the sessions begun before it, and a sign-in in the same second after
    /// it (a citizen who just recovered the account) must survive. Absent
    /// in sessions stored before it existed (then the second is used).
    #[serde(default)]
    pub created_at_ms: Option<i64>,
    pub last_seen: i64,
}

/// A session found through the request's cookie.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub key: String,
    pub session: SsoSession,
}

fn key_of(handle: &str) -> String {
    format!("sso:{}", B64.encode(Sha256::digest(handle.as_bytes())))
}

impl Current {
    /// The session just started under `handle` (whose cookie the browser
    /// does not send until the next request).
    pub(crate) fn started(handle: &str, session: SsoSession) -> Self {
        Self {
            key: key_of(handle),
            session,
        }
    }
}

pub(crate) fn clients_key(sid: &str) -> String {
    format!("sso_rp:{sid}")
}

/// A user's "sessions not before" marker: sessions created at or before
/// this time (unix seconds) are over (force logout).
fn not_before_key(user_id: Uuid) -> String {
    format!("sso_nbf:{user_id}")
}

/// The store keys of a user's sessions (for the account's list of them);
/// members whose session ended are skipped when read.
fn user_sessions_key(user_id: Uuid) -> String {
    format!("sso_user:{user_id}")
}

/// Touch the record at most this often (every touch is a store write).
const TOUCH_AFTER_SECONDS: i64 = 60;

impl Sessions {
    fn session_ttl(&self, s: &SsoSession, now: i64) -> Option<Duration> {
        let cfg = &self.config;
        let ends = (s.created_at + secs(cfg.lifetime_seconds))
            .min(s.last_seen + secs(cfg.idle_timeout_seconds));
        (ends > now).then(|| Duration::from_secs(u64::try_from(ends - now).unwrap_or(0)))
    }

    /// The live session of this browser, if any (refreshing its idle
    /// timer).
    pub(crate) async fn current_session(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<Current>, StorageError> {
        let Some(handle) = self.cookies.get(headers, COOKIE) else {
            return Ok(None);
        };
        if handle.len() > 64 {
            return Ok(None);
        }
        let key = key_of(handle);
        let Some(raw) = self.ephemeral.get(&key).await? else {
            return Ok(None);
        };
        let Ok(mut session) = serde_json::from_slice::<SsoSession>(&raw) else {
            return Ok(None);
        };
        let now = self.clock.now().unix_timestamp();
        if self.session_ttl(&session, now).is_none() || self.logged_out(&session).await? {
            self.ephemeral.delete(&key).await?;
            return Ok(None);
        }
        if now - session.last_seen >= TOUCH_AFTER_SECONDS {
            session.last_seen = now;
            self.store_session(&key, &session, now).await?;
        }
        Ok(Some(Current { key, session }))
    }

    async fn store_session(&self, key: &str, s: &SsoSession, now: i64) -> Result<(), StorageError> {
        if let Some(ttl) = self.session_ttl(s, now) {
            let bytes = serde_json::to_vec(s).map_err(StorageError::unhandled)?;
            self.ephemeral.put(key, &bytes, ttl).await?;
        }
        Ok(())
    }

    /// Starts a session after a successful sign-in. Returns the cookie
    /// handle and the record.
    pub(crate) async fn start_session(
        &self,
        user_id: Uuid,
        acr: &str,
        amr: Vec<String>,
    ) -> Result<(String, SsoSession), StorageError> {
        let at = self.clock.now();
        let (now, now_ms) = (at.unix_timestamp(), unix_ms(at));
        let handle = random_token(&*self.random, 32);
        let session = SsoSession {
            sid: random_token(&*self.random, 16),
            user_id,
            auth_time: now,
            acr: acr.to_owned(),
            amr,
            created_at: now,
            created_at_ms: Some(now_ms),
            last_seen: now,
        };
        let key = key_of(&handle);
        self.store_session(&key, &session, now).await?;
        self.ephemeral
            .set_add(
                &user_sessions_key(user_id),
                &key,
                Duration::from_secs(self.config.lifetime_seconds),
            )
            .await?;
        Ok((handle, session))
    }

    /// Raises a session's assurance after step-up (a new sign-in event).
    pub(crate) async fn upgrade_session(
        &self,
        current: &Current,
        acr: &str,
        amr: Vec<String>,
    ) -> Result<SsoSession, StorageError> {
        let now = self.clock.now().unix_timestamp();
        let mut s = current.session.clone();
        s.acr = acr.to_owned();
        s.amr = amr;
        s.auth_time = now;
        s.last_seen = now;
        self.store_session(&current.key, &s, now).await?;
        Ok(s)
    }

    /// How long the set of clients that received tokens in a session (for
    /// logout) is kept after its last addition: as long as a session lives.
    pub(crate) fn session_clients_ttl(&self) -> Duration {
        Duration::from_secs(self.config.lifetime_seconds)
    }

    /// Ends a session on every node; returns the clients it had issued to.
    pub(crate) async fn end_session(&self, current: &Current) -> Result<Vec<String>, StorageError> {
        self.ephemeral.delete(&current.key).await?;
        let ck = clients_key(&current.session.sid);
        let clients = self.ephemeral.set_members(&ck).await?;
        self.ephemeral.delete(&ck).await?;
        Ok(clients)
    }
}

impl Sessions {
    /// The user's live sessions, newest first.
    pub(crate) async fn sessions_of(
        &self,
        user_id: Uuid,
    ) -> Result<Vec<pratu_core::access::SessionInfo>, StorageError> {
        let now = self.clock.now().unix_timestamp();
        let mut out = Vec::new();
        for key in self
            .ephemeral
            .set_members(&user_sessions_key(user_id))
            .await?
        {
            let Some(raw) = self.ephemeral.get(&key).await? else {
                continue;
            };
            let Ok(s) = serde_json::from_slice::<SsoSession>(&raw) else {
                continue;
            };
            if s.user_id != user_id
                || self.session_ttl(&s, now).is_none()
                || self.logged_out(&s).await?
            {
                continue;
            }
            let at = |t: i64| {
                time::OffsetDateTime::from_unix_timestamp(t)
                    .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            };
            out.push(pratu_core::access::SessionInfo {
                // A digest of the store key: names the session in a list,
                // opens nothing.
                id: B64.encode(&Sha256::digest(key.as_bytes())[..12]),
                started_at: at(s.created_at),
                last_seen_at: at(s.last_seen),
                acr: s.acr,
                amr: s.amr,
            });
        }
        out.sort_by_key(|s| std::cmp::Reverse(s.started_at));
        Ok(out)
    }

    /// Whether the user was logged out everywhere after this session began.
    async fn logged_out(&self, s: &SsoSession) -> Result<bool, StorageError> {
        let Some(not_before_ms) = self.not_before_ms(s.user_id).await? else {
            return Ok(false);
        };
        Ok(match s.created_at_ms {
            Some(ms) => ms <= not_before_ms,
            None => s.created_at <= not_before_ms.div_euclid(1000),
        })
    }

    /// Whether a force logout of `user_id` happened at or after
    /// `created_at` (unix seconds): sessions of other surfaces (the
    /// operator console) and access tokens (`auth_time`) end with the SSO
    /// sessions. Only the second is known, so one begun in the marker's
    /// second counts as ended (the safe side).
    pub(crate) async fn logged_out_since(
        &self,
        user_id: Uuid,
        created_at: i64,
    ) -> Result<bool, StorageError> {
        Ok(self
            .not_before_ms(user_id)
            .await?
            .is_some_and(|ms| created_at <= ms.div_euclid(1000)))
    }

    /// The user's "sessions not before" marker in unix milliseconds. A
    /// marker written in seconds (before milliseconds) covers its whole
    /// second; an unreadable one ends everything.
    async fn not_before_ms(&self, user_id: Uuid) -> Result<Option<i64>, StorageError> {
        let Some(raw) = self.ephemeral.get(&not_before_key(user_id)).await? else {
            return Ok(None);
        };
        let value = std::str::from_utf8(&raw)
            .ok()
            .and_then(|v| v.parse::<i64>().ok());
        Ok(Some(match value {
            Some(v) if v >= MILLISECOND_MARKERS => v,
            Some(seconds) => seconds.saturating_mul(1000).saturating_add(999),
            None => i64::MAX,
        }))
    }

    /// Force logout: ends every SSO session of the user on every node (see
    /// [`Self::mark_user_logged_out`]) and revokes every refresh token
    /// of the user. Returns how many refresh tokens were live.
    pub(crate) async fn end_user_sessions(&self, user_id: Uuid) -> Result<u64, StorageError> {
        let now = self.mark_user_logged_out(user_id).await?;
        self.store.revoke_refresh_by_user(user_id, now).await
    }

    /// Ends every SSO session of the user on every node without touching
    /// the relational store: the sessions are keyed by cookie handle, so
    /// instead of finding them a per-user marker, kept as long as a session
    /// can live, ends each one when next used. Returns the marker's time.
    /// Callers that revoke the user's refresh tokens in a transaction of
    /// their own (disabling an account) write this first.
    pub(crate) async fn mark_user_logged_out(
        &self,
        user_id: Uuid,
    ) -> Result<time::OffsetDateTime, StorageError> {
        let now = self.clock.now();
        let ttl = Duration::from_secs(self.config.lifetime_seconds.saturating_add(60));
        self.ephemeral
            .put(
                &not_before_key(user_id),
                unix_ms(now).to_string().as_bytes(),
                ttl,
            )
            .await?;
        Ok(now)
    }
}

/// Markers at or above this are milliseconds (year 1973 in milliseconds,
/// year 5138 in seconds): older nodes wrote seconds.
const MILLISECOND_MARKERS: i64 = 100_000_000_000;

fn unix_ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn secs(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX / 4)
}

#[cfg(test)]
mod tests {
    use pratu_core::web::CookiePolicy;
    use pratu_storage::ephemeral::memory::MemoryStore;
    use pratu_storage::testing::sqlite_store;
    use pratu_storage::{Clock, MockClock};
    use std::sync::Arc;

    use super::*;
    use crate::state::SessionsParts;

    /// A citizen who recovers the account (every session ends) and signs
    /// in again within the same second kept being sent back to the sign-in
    /// page: the marker was in seconds and ended the new session too.
    #[tokio::test]
    async fn a_sign_in_in_the_same_second_after_signing_out_everywhere_lives() {
        let (store, _guard) = sqlite_store().await;
        let start = time::macros::datetime!(2026-12-06 12:00:00.100 UTC);
        let clock = Arc::new(MockClock::new(start));
        let sessions = Sessions(Arc::new(SessionsParts {
            cookies: CookiePolicy { secure: false },
            store,
            ephemeral: Arc::new(MemoryStore::new(clock.clone(), 10_000)),
            clock: clock.clone() as Arc<dyn Clock>,
            random: Arc::new(pratu_core::SeededRandom::new(7)),
            config: crate::config::SessionConfig::default(),
        }));
        let user = Uuid::new_v4();
        let (_, before) = sessions.start_session(user, "acr", vec![]).await.unwrap();
        clock.advance(time::Duration::milliseconds(300));
        sessions.mark_user_logged_out(user).await.unwrap();
        clock.advance(time::Duration::milliseconds(300));
        let (_, after) = sessions.start_session(user, "acr", vec![]).await.unwrap();
        assert_eq!(before.created_at, after.created_at, "one second");

        assert!(sessions.logged_out(&before).await.unwrap());
        assert!(!sessions.logged_out(&after).await.unwrap());
        let live = sessions.sessions_of(user).await.unwrap();
        assert_eq!(live.len(), 1);
        // Second-resolution callers (token auth_time) stay on the safe side.
        assert!(
            sessions
                .logged_out_since(user, after.created_at)
                .await
                .unwrap()
        );
        // A marker an older node wrote in seconds covers its whole second.
        sessions
            .ephemeral
            .put(
                &not_before_key(user),
                start.unix_timestamp().to_string().as_bytes(),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert!(sessions.logged_out(&after).await.unwrap());
    }
}

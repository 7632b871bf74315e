//! Key lifecycle: create on first start, load, reload periodically (so a
//! rotation made anywhere reaches every node), rotate.
//!
//! Rotation never breaks tokens in flight: the new key is published at once
//! but signs only after `keys.activation_delay_seconds` (relying parties that
//! cached JWKS have refetched it by then); the old key stops signing at that
//! moment and stays published until every token it signed has expired.

use std::sync::{Arc, RwLock};

use pratu_core::SharedRandom;
use pratu_core::pii::PiiCipher;
use pratu_storage::records::SigningKey;
use pratu_storage::{Clock, StorageError, Store};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::SigningAlg;
use super::material::{self, KeyMaterialError};
use super::ring::{KeyRing, KeyRingError, sealing_aad};
use crate::config::KeysConfig;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Ring(#[from] KeyRingError),
    #[error(transparent)]
    Material(#[from] KeyMaterialError),
    #[error("key generation task failed")]
    Join,
}

/// What `pratu keys list` shows for one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    /// `pending` (published, not signing yet), `active` (may sign) or
    /// `retired` (published only, for tokens still in flight).
    pub state: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub activates_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub retires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
}

impl KeyInfo {
    fn of(k: &SigningKey, now: OffsetDateTime) -> Self {
        let state = if k.activates_at > now {
            "pending"
        } else if k.retires_at.is_some_and(|r| r <= now) {
            "retired"
        } else {
            "active"
        };
        Self {
            kid: k.kid.clone(),
            alg: k.alg.clone(),
            state,
            created_at: k.created_at,
            activates_at: k.activates_at,
            retires_at: k.retires_at,
            expires_at: k.expires_at,
        }
    }
}

/// Owns the signing keys of this node. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct KeyManager {
    store: Arc<dyn Store>,
    kek: PiiCipher,
    clock: Arc<dyn Clock>,
    config: KeysConfig,
    /// How long a retired key stays published: the longest lifetime of a
    /// token we sign, plus leeway for clock skew.
    publish_after_retire: Duration,
    ring: RwLock<Arc<KeyRing>>,
    /// Draws new signing keys.
    random: SharedRandom,
}

impl KeyManager {
    /// A manager with an empty ring; call [`Self::ensure_keys`] and
    /// [`Self::reload`] (the server's startup does both through
    /// `OidcState::init`). `max_token_lifetime_seconds` comes from
    /// `TokensConfig::max_signed_token_lifetime_seconds`.
    pub fn new(
        store: Arc<dyn Store>,
        kek: PiiCipher,
        clock: Arc<dyn Clock>,
        config: KeysConfig,
        max_token_lifetime_seconds: u64,
    ) -> Self {
        let publish_after_retire =
            Duration::seconds(i64::try_from(max_token_lifetime_seconds).unwrap_or(i64::MAX / 2))
                + Duration::seconds(120);
        Self {
            store,
            kek,
            clock,
            config,
            publish_after_retire,
            ring: RwLock::new(Arc::new(KeyRing::empty())),
            random: pratu_core::OsRandom::shared(),
        }
    }

    /// Draws new keys from `random` instead of the operating system.
    #[must_use]
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = random;
        self
    }

    /// The currently loaded ring (a cheap `Arc` clone).
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring
            .read()
            .map(|r| Arc::clone(&r))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
    }

    /// Re-reads the key table and swaps the ring. On error the old ring
    /// stays in use.
    pub async fn reload(&self) -> Result<(), KeyError> {
        let records = self.store.signing_keys(self.clock.now()).await?;
        let ring = Arc::new(KeyRing::build(&records, &self.kek)?);
        match self.ring.write() {
            Ok(mut r) => *r = ring,
            Err(p) => *p.into_inner() = ring,
        }
        Ok(())
    }

    /// Makes sure each algorithm has a key that signs now or later; creates
    /// the missing ones (active at once: on a fresh install nothing is
    /// cached anywhere). Returns the kids it created.
    ///
    /// Several nodes starting on an empty database all get here; the store
    /// lets one key per algorithm in and the others' are dropped, so every
    /// node signs with a key every node publishes.
    pub async fn ensure_keys(&self) -> Result<Vec<String>, KeyError> {
        let now = self.clock.now();
        let existing = self.store.signing_keys(now).await?;
        let mut created = Vec::new();
        let mut missing = false;
        for alg in SigningAlg::ALL {
            let has = existing
                .iter()
                .any(|k| k.alg == alg.as_str() && k.retires_at.is_none_or(|r| r > now));
            if !has {
                missing = true;
                let key = self.generate(alg, now).await?;
                if self.store.insert_first_signing_key(&key, now).await? {
                    tracing::info!(kid = %key.kid, alg = %alg, "created signing key");
                    created.push(key.kid);
                } else {
                    tracing::info!(alg = %alg, "another node created the first signing key");
                }
            }
        }
        if missing {
            self.reload().await?;
        }
        Ok(created)
    }

    /// Rotates the keys of `alg` (every algorithm when `None`): publishes a
    /// new key that signs after the activation delay, and schedules the
    /// current ones to retire then and leave JWKS once their tokens expired.
    pub async fn rotate(&self, alg: Option<SigningAlg>) -> Result<Vec<KeyInfo>, KeyError> {
        let now = self.clock.now();
        let activates_at = now
            + Duration::seconds(i64::try_from(self.config.activation_delay_seconds).unwrap_or(0));
        let existing = self.store.signing_keys(now).await?;
        let algs: Vec<SigningAlg> = alg.map_or_else(|| SigningAlg::ALL.to_vec(), |a| vec![a]);
        for alg in algs {
            let new = self.create(alg, activates_at).await?;
            for old in existing
                .iter()
                .filter(|k| k.alg == alg.as_str() && k.retires_at.is_none_or(|r| r > activates_at))
            {
                self.store
                    .retire_signing_key(
                        &old.kid,
                        activates_at,
                        activates_at + self.publish_after_retire,
                    )
                    .await?;
            }
            tracing::info!(kid = %new.kid, alg = %alg, activates_at = %activates_at, "rotated signing key");
        }
        self.reload().await?;
        self.list().await
    }

    /// Every published key, oldest first.
    pub async fn list(&self) -> Result<Vec<KeyInfo>, KeyError> {
        let now = self.clock.now();
        Ok(self
            .store
            .signing_keys(now)
            .await?
            .iter()
            .map(|k| KeyInfo::of(k, now))
            .collect())
    }

    /// Reloads every `keys.reload_interval_seconds` until the task is
    /// aborted. Errors are logged and the previous ring kept.
    pub fn spawn_reloader(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let this = Arc::clone(self);
        let period = std::time::Duration::from_secs(this.config.reload_interval_seconds.max(1));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = this.reload().await {
                    tracing::warn!(error = %e, "reloading signing keys failed; keeping the loaded set");
                }
            }
        })
    }

    async fn create(
        &self,
        alg: SigningAlg,
        activates_at: OffsetDateTime,
    ) -> Result<SigningKey, KeyError> {
        let record = self.generate(alg, activates_at).await?;
        self.store.insert_signing_key(&record).await?;
        Ok(record)
    }

    /// A new sealed key record, not stored yet.
    async fn generate(
        &self,
        alg: SigningAlg,
        activates_at: OffsetDateTime,
    ) -> Result<SigningKey, KeyError> {
        let random = Arc::clone(&self.random);
        let generated = tokio::task::spawn_blocking(move || material::generate(&*random, alg))
            .await
            .map_err(|_| KeyError::Join)??;
        let record = SigningKey {
            kid: generated.kid.clone(),
            alg: alg.as_str().to_owned(),
            private_sealed: self
                .kek
                .seal(&generated.pkcs8_der, &sealing_aad(&generated.kid)),
            public_jwk: generated.public_jwk.clone(),
            created_at: self.clock.now(),
            activates_at,
            retires_at: None,
            expires_at: None,
        };
        Ok(record)
    }
}

//! Password hashing for human passwords: Argon2id at OWASP's recommended
//! parameters, on a bounded blocking pool so a burst of logins queues instead
//! of starving every other endpoint of CPU.
//!
//! Client secrets are *not* hashed here: they are high-entropy server-made
//! values, stored as SHA-256 digests (see `pratu-oidc`).

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// Argon2id cost. Defaults are OWASP's first recommendation
/// (m = 19 MiB, t = 2, p = 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid Argon2 parameters: {0}")]
    Params(String),
    #[error("password hashing failed")]
    Hash,
    #[error("password hashing task failed")]
    Join,
}

/// Hashes and verifies passwords. Cheap to clone.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified when the account does not
    /// exist so an unknown username costs as much time as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// `concurrency` bounds simultaneous hashes (use the core count).
    pub fn new(params: Argon2Params, concurrency: usize) -> Result<Self, PasswordError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| PasswordError::Params(e.to_string()))?;
        let dummy = hash_blocking(&params, "pratu-dummy-password-for-timing")?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy.into(),
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Join)?;
        let params = self.params.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| hash_blocking(&params, &password)))
            .await
            .map_err(|_| PasswordError::Join)?
    }

    /// Verifies in constant time; `None` as the stored hash (unknown user)
    /// still spends one verification so timing does not tell the cases apart.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Join)?;
        let known = stored.is_some();
        let phc = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = zeroize::Zeroizing::new(password.to_owned());
        let span = tracing::Span::current();
        let ok = tokio::task::spawn_blocking(move || {
            span.in_scope(|| {
                let Ok(parsed) = PasswordHash::new(&phc) else {
                    return false;
                };
                // Verify with the parameters recorded in the hash itself, so
                // raising the configured cost keeps old hashes valid.
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .map_err(|_| PasswordError::Join)?;
        Ok(ok && known)
    }

    /// Whether a stored hash was made with weaker parameters than configured
    /// (re-hash on next successful login).
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return true;
        };
        match Params::try_from(&parsed) {
            Ok(p) => {
                p.m_cost() < self.params.m_cost()
                    || p.t_cost() < self.params.t_cost()
                    || parsed.algorithm != argon2::ARGON2ID_IDENT
            }
            Err(_) => true,
        }
    }
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> PasswordHasher {
        PasswordHasher::new(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap()
    }

    #[tokio::test]
    async fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let h = cheap();
        let phc = h.hash("Correct1horse").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$"));
        assert!(h.verify("Correct1horse", Some(&phc)).await.unwrap());
        assert!(!h.verify("correct1horse", Some(&phc)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies() {
        let h = cheap();
        assert!(
            !h.verify("pratu-dummy-password-for-timing", None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn default_parameters_are_owasp_and_weaker_hashes_need_rehash() {
        let strong = PasswordHasher::new(Argon2Params::default(), 1).unwrap();
        let weak_hash = cheap().hash("pw").await.unwrap();
        assert!(strong.needs_rehash(&weak_hash));
        let strong_hash = strong.hash("pw").await.unwrap();
        assert!(strong_hash.contains("m=19456,t=2,p=1"));
        assert!(!strong.needs_rehash(&strong_hash));
    }
}

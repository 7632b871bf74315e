//! Password hashing for human passwords: Argon2id at OWASP's recommended
//! parameters, on a fixed pool of worker threads (one per core) so a burst
//! of logins queues instead of starving every other endpoint of CPU.
//!
//! Each worker keeps its Argon2 memory (19 MiB at the defaults) and reuses
//! it. Allocating it per hash, on whichever of tokio's many blocking threads
//! ran the job, left a freed 19 MiB block in each thread's malloc arena:
//! the server grew past 400 MiB under logins. Now it is `concurrency` ×
//! `memory_kib`, once, and no page faults per verify.
//!
//! Client secrets are *not* hashed here: they are high-entropy server-made
//! values, stored as SHA-256 digests (see `pratu-oidc`).

use std::sync::{Arc, Mutex, mpsc};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as PHC_B64;
use subtle::ConstantTimeEq as _;

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

/// A job for an Argon2 worker, given the worker's memory.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes and verifies passwords. Cheap to clone; the workers stop when the
/// last clone is dropped.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
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
            jobs: start_workers(concurrency.max(1))?,
            dummy_hash: dummy.into(),
        })
    }

    /// Runs `f` on a worker; waits in line behind earlier jobs.
    async fn on_worker<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        self.jobs
            .send(Box::new(move |mem: &mut Vec<Block>| {
                let _sent = tx.send(span.in_scope(|| f(mem)));
            }))
            .map_err(|_| PasswordError::Join)?;
        rx.await.map_err(|_| PasswordError::Join)
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let password = zeroize::Zeroizing::new(password.to_owned());
        self.on_worker(move |mem| hash_with(mem, &params, &password))
            .await?
    }

    /// Verifies in constant time; `None` as the stored hash (unknown user)
    /// still spends one verification so timing does not tell the cases apart.
    pub async fn verify(
        &self,
        password: &str,
        stored: Option<&str>,
    ) -> Result<bool, PasswordError> {
        let known = stored.is_some();
        let phc = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = zeroize::Zeroizing::new(password.to_owned());
        // Verify with the parameters recorded in the hash itself, so raising
        // the configured cost keeps old hashes valid.
        let ok = self
            .on_worker(move |mem| verify_with(mem, &password, &phc))
            .await?;
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

/// `n` worker threads sharing one queue; each ends when the queue closes.
fn start_workers(n: usize) -> Result<mpsc::Sender<Job>, PasswordError> {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..n {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                let mut mem = Vec::new();
                loop {
                    let job = match rx.lock() {
                        Ok(q) => match q.recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        },
                        Err(_) => return,
                    };
                    job(&mut mem);
                }
            })
            .map_err(|_| PasswordError::Join)?;
    }
    Ok(tx)
}

/// `mem` grown to what `params` needs (kept for the next job).
fn blocks(mem: &mut Vec<Block>, params: &Params) -> usize {
    let n = params.block_count();
    if mem.len() < n {
        mem.resize(n, Block::default());
    }
    n
}

/// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), computed in `mem`.
fn hash_with(
    mem: &mut Vec<Block>,
    params: &Params,
    password: &str,
) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|_| PasswordError::Hash)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let n = blocks(mem, params);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, &mut mem[..n])
        .map_err(|_| PasswordError::Hash)?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str(),
        PHC_B64.encode(out)
    ))
}

/// Whether `password` matches the PHC string `phc`, computed in `mem` with
/// the parameters the string records; compared in constant time.
fn verify_with(mem: &mut Vec<Block>, password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(params), Ok(alg)) = (
        Params::try_from(&parsed),
        Algorithm::try_from(parsed.algorithm),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    let n = blocks(mem, &params);
    Argon2::new(alg, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut mem[..n])
        .is_ok()
        && bool::from(out.ct_eq(expected))
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
    async fn hashes_are_standard_phc_both_ways() {
        use argon2::password_hash::PasswordVerifier as _;
        let h = cheap();
        // Ours verifies with the reference implementation…
        let ours = h.hash("Correct1horse").await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Correct1horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"Correct1hors", &parsed)
                .is_err()
        );
        // …and the reference implementation's verify with ours, at other
        // parameters than configured (a bigger memory grows the worker's).
        let params = Params::new(256, 2, 1, None).unwrap();
        let theirs = hash_blocking(&params, "Other2pw").unwrap();
        assert!(h.verify("Other2pw", Some(&theirs)).await.unwrap());
        assert!(!h.verify("Other2px", Some(&theirs)).await.unwrap());
        assert!(
            !h.verify("Other2pw", Some("$argon2id$garbage"))
                .await
                .unwrap()
        );
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

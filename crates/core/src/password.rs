//! Password hashing for human passwords (where a password is hashed and
//! checked): Argon2id at OWASP's recommended
//! parameters, on a fixed pool of worker threads (one per core) so a burst
//! of logins queues instead of starving every other endpoint of CPU.
//!
//! Each worker keeps its Argon2 memory (19 MiB at the defaults) and reuses
//! it. Allocating it per hash, on whichever of tokio's many blocking threads
//! ran the job, left a freed 19 MiB block in each thread's malloc arena:
//! the server grew past 400 MiB under logins. Now it is `concurrency` ×
//! `memory_kib` while logins come, and no page faults per verify; a worker
//! idle for [`IDLE_RELEASE`] gives its memory back to the system (38 MiB of
//! a 2-core node's RSS otherwise held for ever after the first sign-ins).
//!
//! Client secrets are *not* hashed here: they are high-entropy server-made
//! values, stored as SHA-256 digests (see `pratu-oidc`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as PHC_B64;
use subtle::ConstantTimeEq as _;

use crate::random::{OsRandom, SharedRandom};

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

/// How long a worker keeps its memory without a job.
const IDLE_RELEASE: Duration = Duration::from_secs(10);

/// Least capacity reserved for a worker's memory: above glibc's highest
/// dynamic mmap threshold (32 MiB on 64-bit), so the buffer is always a
/// mapping of its own and dropping it returns it to the system. A smaller
/// block, once freed, raises that threshold, and the next one comes from a
/// malloc arena, which keeps it. Pages never touched cost nothing.
const OWN_MAPPING_BYTES: usize = 33 << 20;

/// A job for an Argon2 worker, given the worker's memory.
type Job = Box<dyn FnOnce(&mut Memory) + Send>;

/// Hashes and verifies passwords. Cheap to clone; the workers stop when the
/// last clone is dropped.
#[derive(Debug, Clone)]
pub struct PasswordHasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified when the account does not
    /// exist so an unknown username costs as much time as a wrong password.
    dummy_hash: Arc<str>,
    /// Bytes of Argon2 memory the workers hold now.
    held: Arc<AtomicUsize>,
    /// Draws the salts.
    random: SharedRandom,
}

impl PasswordHasher {
    /// `concurrency` bounds simultaneous hashes (use the core count).
    pub fn new(params: Argon2Params, concurrency: usize) -> Result<Self, PasswordError> {
        Self::with_random(params, concurrency, OsRandom::shared())
    }

    /// As [`Self::new`], drawing salts from `random`.
    pub fn with_random(
        params: Argon2Params,
        concurrency: usize,
        random: SharedRandom,
    ) -> Result<Self, PasswordError> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| PasswordError::Params(e.to_string()))?;
        Self::with_idle_release(params, concurrency, IDLE_RELEASE, random)
    }

    fn with_idle_release(
        params: Params,
        concurrency: usize,
        idle: Duration,
        random: SharedRandom,
    ) -> Result<Self, PasswordError> {
        let dummy = hash_blocking(&params, &salt(&random)?, "pratu-dummy-password-for-timing")?;
        let held = Arc::new(AtomicUsize::new(0));
        Ok(Self {
            params,
            jobs: start_workers(concurrency.max(1), idle, held.clone())?,
            dummy_hash: dummy.into(),
            held,
            random,
        })
    }

    /// Bytes of Argon2 memory held by the workers (0 when all are idle).
    pub fn held_bytes(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Runs `f` on a worker; waits in line behind earlier jobs.
    async fn on_worker<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        self.jobs
            .send(Box::new(move |mem: &mut Memory| {
                let _sent = tx.send(span.in_scope(|| f(mem)));
            }))
            .map_err(|_| PasswordError::Join)?;
        rx.await.map_err(|_| PasswordError::Join)
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let params = self.params.clone();
        let salt = salt(&self.random)?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        self.on_worker(move |mem| hash_with(mem, &params, &salt, &password))
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

/// `n` worker threads sharing one queue; each ends when the queue closes,
/// and drops its memory after `idle` without a job.
fn start_workers(
    n: usize,
    idle: Duration,
    held: Arc<AtomicUsize>,
) -> Result<mpsc::Sender<Job>, PasswordError> {
    let (tx, rx) = mpsc::channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..n {
        let rx = rx.clone();
        let held = held.clone();
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                let mut mem = Memory {
                    blocks: Vec::new(),
                    held,
                };
                loop {
                    // The lock is released at the end of this statement; an
                    // idle worker waiting for it takes its turn at timing
                    // out once the other lets go.
                    match rx.lock().map(|q| q.recv_timeout(idle)) {
                        Ok(Ok(job)) => job(&mut mem),
                        Ok(Err(mpsc::RecvTimeoutError::Timeout)) => mem.release(),
                        Ok(Err(mpsc::RecvTimeoutError::Disconnected)) | Err(_) => return,
                    }
                }
            })
            .map_err(|_| PasswordError::Join)?;
    }
    Ok(tx)
}

/// A worker's Argon2 memory, counted in the hasher's `held`.
struct Memory {
    blocks: Vec<Block>,
    held: Arc<AtomicUsize>,
}

impl Memory {
    /// The first `n` blocks for `params`, grown if needed (and kept for the
    /// next job).
    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        let n = params.block_count();
        if self.blocks.len() < n {
            if self.blocks.capacity() < n {
                let floor = OWN_MAPPING_BYTES / std::mem::size_of::<Block>();
                self.blocks = Vec::with_capacity(n.max(floor));
            }
            let grown = (n - self.blocks.len()) * std::mem::size_of::<Block>();
            self.blocks.resize(n, Block::default());
            self.held.fetch_add(grown, Ordering::Relaxed);
        }
        &mut self.blocks[..n]
    }

    fn release(&mut self) {
        let bytes = self.blocks.len() * std::mem::size_of::<Block>();
        self.blocks = Vec::new();
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), computed in `mem`.
fn hash_with(
    mem: &mut Memory,
    params: &Params,
    salt: &SaltString,
    password: &str,
) -> Result<String, PasswordError> {
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|_| PasswordError::Hash)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let blocks = mem.blocks(params);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, blocks)
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
fn verify_with(mem: &mut Memory, password: &str, phc: &str) -> bool {
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
    let blocks = mem.blocks(&params);
    Argon2::new(alg, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, blocks)
        .is_ok()
        && bool::from(out.ct_eq(expected))
}

/// A fresh 16-byte salt (argon2's recommended length).
fn salt(random: &SharedRandom) -> Result<SaltString, PasswordError> {
    SaltString::encode_b64(&random.array::<16>()).map_err(|_| PasswordError::Hash)
}

fn hash_blocking(
    params: &Params,
    salt: &SaltString,
    password: &str,
) -> Result<String, PasswordError> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), salt)
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

    /// Workers hold their memory while logins come and give it back when
    /// none do.
    #[tokio::test]
    async fn idle_workers_give_their_memory_back() {
        let params = Params::new(64, 1, 1, None).unwrap();
        let h = PasswordHasher::with_idle_release(
            params,
            2,
            Duration::from_millis(100),
            OsRandom::shared(),
        )
        .unwrap();
        assert_eq!(h.held_bytes(), 0);
        let phc = h.hash("Correct1horse").await.unwrap();
        assert_eq!(h.held_bytes(), 64 * 1024, "one worker ran, holding m");
        // Waits for the release; it does not time it.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while h.held_bytes() > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "memory never released"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // And takes it again when needed.
        assert!(h.verify("Correct1horse", Some(&phc)).await.unwrap());
        assert_eq!(h.held_bytes(), 64 * 1024);
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
        let theirs =
            hash_blocking(&params, &salt(&OsRandom::shared()).unwrap(), "Other2pw").unwrap();
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

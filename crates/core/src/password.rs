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
//! The queue in front of the workers is bounded: a flood of sign-in posts
//! would otherwise queue unlimited hashing work, and every later sign-in
//! would wait behind it. A full queue refuses the job at once
//! ([`PasswordError::Busy`], answered 503 with `Retry-After`), and a job
//! whose requester has gone (the client hung up, the request timed out) is
//! skipped instead of hashed for nobody.
//!
//! Which passwords may be chosen at all is [`blocklist`]'s concern.
//!
//! Client secrets are *not* hashed here: they are high-entropy server-made
//! values, stored as SHA-256 digests (see `pratu-oidc`).

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as PHC_B64;
use subtle::ConstantTimeEq as _;

use crate::random::{OsRandom, SharedRandom};

pub mod blocklist;

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

/// Key `password`: the Argon2id cost and the worker pool that pays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Argon2 worker threads. Unset: one per core, so hashing never takes
    /// more CPU than the node has while the other endpoints still get some.
    pub workers: Option<NonZeroUsize>,
    /// Hashing jobs that may wait for a worker; beyond that, sign-in and
    /// enrollment answer 503 with `Retry-After`. Unset: 32 per worker,
    /// under half a second of waiting at the default cost (about 14 ms a
    /// hash), and room for the 32 virtual users of the load benchmark.
    pub queue_capacity: Option<NonZeroUsize>,
}

impl Default for PasswordConfig {
    fn default() -> Self {
        let a = Argon2Params::default();
        Self {
            memory_kib: a.memory_kib,
            iterations: a.iterations,
            parallelism: a.parallelism,
            workers: None,
            queue_capacity: None,
        }
    }
}

impl PasswordConfig {
    pub fn argon2(&self) -> Argon2Params {
        Argon2Params {
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }

    /// The configured worker count, else the core count.
    pub fn workers(&self) -> NonZeroUsize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN))
    }

    /// The configured queue capacity, else [`QUEUE_PER_WORKER`] per worker.
    pub fn queue_capacity(&self) -> NonZeroUsize {
        self.queue_capacity
            .unwrap_or_else(|| self.workers().saturating_mul(QUEUE_PER_WORKER))
    }
}

/// Default queue capacity per worker (see [`PasswordConfig::queue_capacity`]).
pub const QUEUE_PER_WORKER: NonZeroUsize = NonZeroUsize::new(32).expect("non-zero");

/// What a refused caller is told to wait before trying again: a full queue
/// drains within a second at the default cost.
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("invalid Argon2 parameters: {0}")]
    Params(String),
    #[error("password hashing failed")]
    Hash,
    #[error("password hashing task failed")]
    Join,
    /// Every worker is busy and the queue is full: retry after
    /// [`BUSY_RETRY_AFTER_SECONDS`]. Not a fault of the server, so callers
    /// answer 503, not 500.
    #[error("password hashing is busy; try again shortly")]
    Busy,
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
    jobs: mpsc::SyncSender<Job>,
    /// A hash of a random password, verified when the account does not
    /// exist so an unknown username costs as much time as a wrong password.
    dummy_hash: Arc<str>,
    /// Bytes of Argon2 memory the workers hold now.
    held: Arc<AtomicUsize>,
    /// Draws the salts.
    random: SharedRandom,
    /// Jobs skipped because their requester had gone.
    skipped: Arc<AtomicU64>,
}

impl PasswordHasher {
    /// `concurrency` bounds simultaneous hashes (use the core count); the
    /// queue holds [`QUEUE_PER_WORKER`] jobs per worker.
    pub fn new(params: Argon2Params, concurrency: usize) -> Result<Self, PasswordError> {
        Self::with_random(params, concurrency, OsRandom::shared())
    }

    /// As [`Self::new`], drawing salts from `random`.
    pub fn with_random(
        params: Argon2Params,
        concurrency: usize,
        random: SharedRandom,
    ) -> Result<Self, PasswordError> {
        let workers = NonZeroUsize::new(concurrency).unwrap_or(NonZeroUsize::MIN);
        let queue = workers.saturating_mul(QUEUE_PER_WORKER);
        Self::build(argon2_params(params)?, workers, queue, IDLE_RELEASE, random)
    }

    /// The pool `config` describes (key `password`), drawing salts from
    /// `random`.
    pub fn from_config(
        config: &PasswordConfig,
        random: SharedRandom,
    ) -> Result<Self, PasswordError> {
        Self::build(
            argon2_params(config.argon2())?,
            config.workers(),
            config.queue_capacity(),
            IDLE_RELEASE,
            random,
        )
    }

    fn build(
        params: Params,
        workers: NonZeroUsize,
        queue: NonZeroUsize,
        idle: Duration,
        random: SharedRandom,
    ) -> Result<Self, PasswordError> {
        let dummy = hash_blocking(&params, &salt(&random)?, "pratu-dummy-password-for-timing")?;
        let held = Arc::new(AtomicUsize::new(0));
        Ok(Self {
            params,
            jobs: start_workers(workers, queue, idle, held.clone())?,
            dummy_hash: dummy.into(),
            held,
            random,
            skipped: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Bytes of Argon2 memory held by the workers (0 when all are idle).
    pub fn held_bytes(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Jobs skipped so far because nobody was waiting for their result.
    pub fn skipped_jobs(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Runs `f` on a worker; waits in line behind earlier jobs, or fails at
    /// once with [`PasswordError::Busy`] when the line is full. Dropping the
    /// returned future before it resolves withdraws the job.
    async fn on_worker<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Memory) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let span = tracing::Span::current();
        let skipped = Arc::clone(&self.skipped);
        let job: Job = Box::new(move |mem: &mut Memory| {
            if tx.is_closed() {
                skipped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // The requester may leave while the hash runs; the result is
            // then dropped, which is all there is to do.
            let _sent = tx.send(span.in_scope(|| f(mem)));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(_)) => return Err(PasswordError::Busy),
            Err(mpsc::TrySendError::Disconnected(_)) => return Err(PasswordError::Join),
        }
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

fn argon2_params(p: Argon2Params) -> Result<Params, PasswordError> {
    Params::new(p.memory_kib, p.iterations, p.parallelism, None)
        .map_err(|e| PasswordError::Params(e.to_string()))
}

/// `n` worker threads sharing one queue of at most `queue` waiting jobs;
/// each ends when the queue closes, and drops its memory after `idle`
/// without a job.
fn start_workers(
    n: NonZeroUsize,
    queue: NonZeroUsize,
    idle: Duration,
    held: Arc<AtomicUsize>,
) -> Result<mpsc::SyncSender<Job>, PasswordError> {
    let (tx, rx) = mpsc::sync_channel::<Job>(queue.get());
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..n.get() {
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
        let h = PasswordHasher::build(
            params,
            NonZeroUsize::new(2).unwrap(),
            NonZeroUsize::new(8).unwrap(),
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

    /// One worker, `places` in the queue.
    fn one_worker(places: usize) -> PasswordHasher {
        PasswordHasher::build(
            Params::new(64, 1, 1, None).unwrap(),
            NonZeroUsize::MIN,
            NonZeroUsize::new(places).unwrap(),
            IDLE_RELEASE,
            OsRandom::shared(),
        )
        .unwrap()
    }

    /// Occupies the only worker until the returned sender is used; returns
    /// once the worker has taken the job (so the queue is empty again).
    async fn hold(h: &PasswordHasher) -> (std::sync::mpsc::Sender<()>, impl Future<Output = ()>) {
        let (release, released) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
        let h = h.clone();
        let running = tokio::spawn(async move {
            h.on_worker(move |_| {
                started_tx.send(()).unwrap();
                released.recv().unwrap();
            })
            .await
            .unwrap();
        });
        started.await.unwrap();
        (release, async move { running.await.unwrap() })
    }

    #[tokio::test]
    async fn a_full_queue_refuses_work_at_once_and_takes_it_again_when_drained() {
        let h = one_worker(1);
        let (release, held) = hold(&h).await;
        // Polled once, the next job takes the one place in the queue…
        let mut waiting = std::pin::pin!(h.hash("Waiting1inline"));
        tokio::select! {
            biased;
            _ = &mut waiting => panic!("the worker is held"),
            () = std::future::ready(()) => {}
        }
        // …so the one after is refused without waiting.
        let refused = h.hash("Refused1atonce").await.unwrap_err();
        assert!(matches!(refused, PasswordError::Busy), "{refused:?}");
        release.send(()).unwrap();
        held.await;
        let phc = waiting.await.unwrap();
        assert!(h.verify("Waiting1inline", Some(&phc)).await.unwrap());
    }

    #[tokio::test]
    async fn a_job_whose_requester_has_gone_is_skipped() {
        // Two places: the abandoned job and the one that follows it.
        let h = one_worker(2);
        let (release, held) = hold(&h).await;
        // Polled once (queued), then dropped: the requester hangs up.
        tokio::select! {
            biased;
            _ = h.hash("Abandoned1job") => panic!("the worker is held"),
            () = std::future::ready(()) => {}
        }
        assert_eq!(h.skipped_jobs(), 0);
        let next = h.hash("Next1inline");
        release.send(()).unwrap();
        held.await;
        // One worker takes jobs in order: once the next is done, the
        // abandoned one has been looked at.
        next.await.unwrap();
        assert_eq!(h.skipped_jobs(), 1);
    }

    #[test]
    fn the_queue_defaults_to_a_multiple_of_the_workers() {
        let c = PasswordConfig {
            workers: NonZeroUsize::new(3),
            ..PasswordConfig::default()
        };
        assert_eq!(c.queue_capacity().get(), 3 * QUEUE_PER_WORKER.get());
        let c = PasswordConfig {
            queue_capacity: NonZeroUsize::new(5),
            ..c
        };
        assert_eq!(c.queue_capacity().get(), 5);
        assert_eq!(PasswordConfig::default().argon2(), Argon2Params::default());
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

//! `pratu-load bench`: starts the real `pratu` (SQLite; PostgreSQL + Redis
//! when their URLs are given), prepares a client and users through its CLI,
//! measures the machine's Argon2id limit at the configured parameters, runs
//! every scenario (median of several runs) while watching the server's
//! memory and CPU in /proc, and writes the table into README's Performance
//! section.

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::process::{Child, Command};

use crate::conn::{Conn, Target};
use crate::ctx::{Ctx, CtxOptions};
use crate::error::LoadError;
use crate::procstat;
use crate::registry;
use crate::report;
use crate::run::{Hooks, RunOptions, run, run_observed};
use crate::scenario::Scenario;
use crate::stats::Summary;

mod argon;
mod readme;
pub mod soak;

pub use readme::{BEGIN, END};

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// The server binary (build it first: `cargo build --release`).
    #[arg(long, default_value = "target/release/pratu")]
    pub pratu: PathBuf,
    /// Pratu's configuration file.
    #[arg(long, default_value = "config/pratu.toml")]
    pub config: PathBuf,
    /// Also measure on PostgreSQL (a fresh database is created on this
    /// server and dropped afterwards); needs --redis-url.
    #[arg(long, env = "PRATU_BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// Redis for the PostgreSQL run (keys under a fresh prefix).
    #[arg(long, env = "PRATU_BENCH_REDIS_URL")]
    pub redis_url: Option<String>,
    /// Skip the SQLite run.
    #[arg(long)]
    pub no_sqlite: bool,
    /// Runs per scenario; the median by ops/s is reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub duration: Duration,
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Virtual users per scenario.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Scenarios to run (comma-separated; default all).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub scenarios: Vec<Scenario>,
    /// Argon2id parameters for the server and the limit measurement
    /// (default: config/pratu.toml's, OWASP's 19 MiB, t=2, p=1).
    #[arg(long, default_value_t = 19_456)]
    pub argon2_memory_kib: u32,
    #[arg(long, default_value_t = 2)]
    pub argon2_iterations: u32,
    #[arg(long, default_value_t = 1)]
    pub argon2_parallelism: u32,
    /// Also run login-flow this long, sampling memory, to show it stays flat.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub soak: Duration,
    /// The README whose Performance section gets the table.
    #[arg(long, default_value = "README.md")]
    pub readme: PathBuf,
    /// Print the table only; leave the README alone.
    #[arg(long)]
    pub no_readme: bool,
    /// Also write every measurement as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Which stores the server runs on.
#[derive(Debug, Clone, Serialize)]
pub enum Backend {
    Sqlite,
    Postgres {
        #[serde(skip)]
        database_url: String,
        #[serde(skip)]
        redis_url: String,
        #[serde(skip)]
        redis_prefix: String,
    },
}

impl Backend {
    pub fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres { .. } => "PostgreSQL + Redis",
        }
    }
}

/// One scenario's runs on one backend.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub scenario: Scenario,
    /// The median run by ops/s (`None` when some run was not a result).
    pub median: Option<Summary>,
    pub ops_per_s_runs: Vec<f64>,
    /// Server CPU time per operation in the median run, milliseconds.
    pub server_cpu_ms_per_op: f64,
    /// Highest server RSS seen during any run, MiB.
    pub max_rss_mib: f64,
    pub failures: Vec<String>,
}

/// Everything measured on one backend.
#[derive(Debug, Clone, Serialize)]
pub struct BackendResult {
    pub backend: String,
    pub first_start_ms: f64,
    pub startup_ms: f64,
    pub idle_rss_mib: f64,
    pub argon2: argon::Limit,
    pub scenarios: Vec<ScenarioResult>,
    pub peak_hwm_mib: f64,
    pub soak: Option<Soak>,
    /// Server CPU per login flow on a second server whose Argon2id costs
    /// next to nothing (m=64 KiB, t=1)...
    pub login_cpu_cheap_argon_ms: Option<f64>,
    /// ...and that cheap verify's own time on one core, measured with it:
    /// the difference is the flow without its password hash.
    pub cheap_argon_verify_ms: Option<f64>,
    pub load_before: String,
    pub load_after: String,
}

/// RSS over a long login-flow run.
#[derive(Debug, Clone, Serialize)]
pub struct Soak {
    pub seconds: f64,
    pub rss_mib_samples: Vec<f64>,
    pub flows_per_s: f64,
}

/// The whole benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct BenchResult {
    pub machine: String,
    pub runs: usize,
    pub duration_s: f64,
    pub concurrency: usize,
    pub backends: Vec<BackendResult>,
}

/// Staff accounts at least: each virtual user signs in as its own account,
/// since Pratu checks one password attempt per account at a time (a second
/// concurrent attempt is refused like a guess).
const USERS: usize = 8;
const PASSWORD: &str = "BenchPass123";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const REGISTRY_ROWS: usize = 15_000;

/// The environment that lifts a server's per-IP abuse limits: load from
/// one address would trip them (the per-enrollment, per-citizen and
/// per-phone ones stay).
pub fn lifted_per_ip_limits() -> impl Iterator<Item = (String, &'static str)> {
    [
        "ENROLLMENTS_PER_IP",
        "CITIZEN_ID_PER_IP",
        "PROOFING_PER_IP",
        "OTP_SENDS_PER_IP",
        "OTP_CHECKS_PER_IP",
    ]
    .into_iter()
    .map(|key| (format!("PRATU_LIMITS__{key}__MAX"), "100000000"))
    .chain(std::iter::once((
        // The key's upper bound.
        "PRATU_LIMITS__AUTHORIZE__PENDING_PER_IP".to_owned(),
        "1000000",
    )))
}

pub async fn bench(a: BenchArgs) -> Result<ExitCode, LoadError> {
    if !a.pratu.exists() {
        return Err(LoadError::setup(format!(
            "{} not found: run `cargo build --release` first (or pass --pratu)",
            a.pratu.display()
        )));
    }
    let scenarios = if a.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        a.scenarios.clone()
    };
    let mut backends = Vec::new();
    if !a.no_sqlite {
        backends.push(Backend::Sqlite);
    }
    let mut pg_db = None;
    match (&a.postgres_url, &a.redis_url) {
        (Some(pg), Some(redis)) => {
            let db = pg::FreshDb::create(pg).await?;
            backends.push(Backend::Postgres {
                database_url: db.url.clone(),
                redis_url: redis.clone(),
                redis_prefix: format!("pratu-bench-{}:", crate::random::u64() as u32),
            });
            pg_db = Some(db);
        }
        (None, None) => {}
        _ => {
            return Err(LoadError::setup(
                "--postgres-url and --redis-url go together",
            ));
        }
    }
    let mut result = BenchResult {
        machine: procstat::machine(),
        runs: a.runs,
        duration_s: a.duration.as_secs_f64(),
        concurrency: a.concurrency,
        backends: Vec::new(),
    };
    let mut failed = false;
    for b in backends {
        let r = bench_backend(&a, &b, &scenarios).await;
        match r {
            Ok(mut r) => {
                if scenarios.contains(&Scenario::LoginFlow)
                    && let Some((flow, verify)) = login_cpu_without_argon(&a, &b).await
                {
                    r.login_cpu_cheap_argon_ms = Some(flow);
                    r.cheap_argon_verify_ms = Some(verify);
                }
                failed |= r.scenarios.iter().any(|s| s.median.is_none());
                result.backends.push(r);
            }
            Err(e) => {
                eprintln!("pratu-load bench: {}: {e}", b.label());
                failed = true;
            }
        }
    }
    if let Some(db) = pg_db {
        db.drop_db().await;
    }
    let md = readme::markdown(&result);
    print_out(&md);
    if let Some(path) = &a.json {
        let text = serde_json::to_string_pretty(&result)
            .map_err(|e| LoadError::protocol(e.to_string()))?;
        std::fs::write(path, text)
            .map_err(|e| LoadError::io(format!("write {}", path.display()), e))?;
    }
    if !a.no_readme && !result.backends.is_empty() {
        readme::replace_section(&a.readme, &md)?;
        eprintln!(
            "pratu-load bench: wrote the table into {}",
            a.readme.display()
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

#[expect(clippy::print_stdout, reason = "the table is the program's output")]
fn print_out(s: &str) {
    print!("{s}");
}

/// A running server.
struct Server {
    child: Child,
    pid: u32,
    issuer: String,
}

/// The environment and paths one backend's server runs with.
struct Setup<'a> {
    args: &'a BenchArgs,
    backend: &'a Backend,
    data: PathBuf,
    registry: PathBuf,
    port: u16,
}

impl Setup<'_> {
    fn command(&self) -> Result<Command, LoadError> {
        let config = std::fs::canonicalize(&self.args.config)
            .map_err(|e| LoadError::io(format!("config {}", self.args.config.display()), e))?;
        let mut cmd = Command::new(&self.args.pratu);
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PRATU_CONFIG", config)
            .env("PRATU_LISTEN", format!("127.0.0.1:{}", self.port))
            .env("PRATU_ISSUER", format!("http://127.0.0.1:{}", self.port))
            // Any free port: a server already on the default one must not
            // stop the bench.
            .env("PRATU_METRICS__LISTEN", "127.0.0.1:0")
            .env("PRATU_DATA_DIR", &self.data)
            .env("PRATU_PROOFING__REGISTRY_FILE", &self.registry)
            .env(
                "PRATU_PASSWORD__MEMORY_KIB",
                self.args.argon2_memory_kib.to_string(),
            )
            .env(
                "PRATU_PASSWORD__ITERATIONS",
                self.args.argon2_iterations.to_string(),
            )
            .env(
                "PRATU_PASSWORD__PARALLELISM",
                self.args.argon2_parallelism.to_string(),
            );
        for (key, value) in lifted_per_ip_limits() {
            cmd.env(key, value);
        }
        if let Backend::Postgres {
            database_url,
            redis_url,
            redis_prefix,
        } = self.backend
        {
            cmd.env("PRATU_DATABASE_URL", database_url)
                .env("PRATU_REDIS_URL", redis_url)
                .env("PRATU_REDIS_PREFIX", redis_prefix);
        }
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        Ok(cmd)
    }

    /// Starts the server and waits for `/readyz` to answer 200; returns the
    /// time from spawning the process to that answer.
    async fn start(&self) -> Result<(Server, Duration), LoadError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.join("pratu.log"))
            .map_err(|e| LoadError::io("open the server log", e))?;
        let log2 = log
            .try_clone()
            .map_err(|e| LoadError::io("open the server log", e))?;
        let mut cmd = self.command()?;
        cmd.arg("serve").stdout(log).stderr(log2);
        let issuer = format!("http://127.0.0.1:{}", self.port);
        let target = Arc::new(Target::resolve(&issuer).await?);
        let t0 = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| LoadError::io(format!("start {}", self.args.pratu.display()), e))?;
        let pid = child.id().unwrap_or(0);
        loop {
            let mut conn = Conn::new(target.clone());
            if let Ok(r) = conn.get("/readyz").await
                && r.status == 200
            {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(LoadError::setup(format!(
                    "pratu exited ({status}) before it was ready; see {}",
                    self.data.join("pratu.log").display()
                )));
            }
            if t0.elapsed() > Duration::from_secs(60) {
                return Err(LoadError::setup("pratu was not ready within 60 s"));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let took = t0.elapsed();
        Ok((Server { child, pid, issuer }, took))
    }

    /// Runs `pratu ARGS` against the same database and returns stdout.
    async fn cli(&self, args: &[&str], stdin: Option<&str>) -> Result<String, LoadError> {
        let mut cmd = self.command()?;
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .map_err(|e| LoadError::io(format!("run pratu {}", args.join(" ")), e))?;
        if let Some(mut input) = child.stdin.take() {
            if let Some(text) = stdin {
                tokio::io::AsyncWriteExt::write_all(&mut input, text.as_bytes())
                    .await
                    .map_err(|e| LoadError::io("write the CLI's stdin", e))?;
            }
            drop(input);
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| LoadError::io("wait for the CLI", e))?;
        if !out.status.success() {
            return Err(LoadError::setup(format!(
                "pratu {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Server {
    async fn stop(mut self) {
        let _sent = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            let _killed = self.child.start_kill();
            let _gone = self.child.wait().await;
        }
    }
}

#[derive(Deserialize)]
struct CreatedClient {
    client_id: String,
    client_secret: String,
}

/// Registers the load generator's client and `n` staff accounts through
/// the CLI (the server must have run once: migrations, keys).
async fn provision(
    setup: &Setup<'_>,
    n: usize,
) -> Result<(CreatedClient, Vec<(String, String)>), LoadError> {
    let client: CreatedClient = serde_json::from_str(
        &setup
            .cli(
                &[
                    "client",
                    "create",
                    "--name",
                    "pratu-load",
                    "--redirect-uri",
                    REDIRECT,
                    "--grant-type",
                    "authorization_code",
                    "--grant-type",
                    "refresh_token",
                    "--grant-type",
                    "client_credentials",
                    "--scope",
                    "openid",
                    "--scope",
                    "profile",
                    "--json",
                ],
                None,
            )
            .await?,
    )
    .map_err(|e| LoadError::setup(format!("client create --json: {e}")))?;
    let mut users = Vec::new();
    for i in 0..n {
        let name = format!("bench{i}");
        setup
            .cli(
                &[
                    "user",
                    "create",
                    "--username",
                    &name,
                    "--given-name",
                    "Bench",
                    "--family-name",
                    "User",
                    "--password-stdin",
                ],
                Some(PASSWORD),
            )
            .await?;
        users.push((name, PASSWORD.to_owned()));
    }
    Ok((client, users))
}

fn free_port() -> Result<u16, LoadError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| LoadError::io("find a free port", e))?;
    Ok(l.local_addr()
        .map_err(|e| LoadError::io("find a free port", e))?
        .port())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn bench_backend(
    a: &BenchArgs,
    backend: &Backend,
    scenarios: &[Scenario],
) -> Result<BackendResult, LoadError> {
    let label = backend.label();
    let load_before = procstat::load();
    let dir = tempfile::tempdir().map_err(|e| LoadError::io("temp dir", e))?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).map_err(|e| LoadError::io("data dir", e))?;
    let registry_path = dir.path().join("registry.csv");
    registry::write(&registry_path, &registry::generate(REGISTRY_ROWS))?;
    let setup = Setup {
        args: a,
        backend,
        data: data.clone(),
        registry: registry_path.clone(),
        port: free_port()?,
    };

    // First start: migrations, secrets, signing keys.
    let (server, first_start) = setup.start().await?;
    eprintln!("[{label}] first start (migrations, keys) took {first_start:?}");
    let (client, users) = provision(&setup, USERS.max(a.concurrency)).await?;
    server.stop().await;

    // The measured start: an initialised data directory, a new process.
    let (server, startup) = setup.start().await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = procstat::memory(server.pid)?;
    eprintln!(
        "[{label}] start-up to /readyz {startup:?}, idle RSS {:.1} MiB",
        mib(idle.rss_kib)
    );
    let mut argon2 = argon_limit(a, label).await?;

    let opts = CtxOptions {
        issuer: server.issuer.clone(),
        client_id: Some(client.client_id),
        client_secret: Some(client.client_secret),
        redirect_uri: REDIRECT.to_owned(),
        scope: "openid profile".to_owned(),
        users,
        registry: Some(registry_path),
        outbox: Some(data.join("sms-outbox.jsonl")),
        registry_skip: 0,
    };
    let ticks = procstat::ticks_per_second() as f64;
    let mut results = Vec::new();
    let mut opts = opts;
    for &s in scenarios {
        // The limit login-flow is judged by is measured right before it:
        // on a shared host the speed swings by a third within minutes, and
        // a limit measured before all the other scenarios once put
        // login-flow at "110 %" of it.
        if s == Scenario::LoginFlow && scenarios.first() != Some(&s) {
            argon2 = argon_limit(a, label).await?;
        }
        let r = bench_scenario(a, &server, &mut opts, s, ticks).await;
        if let Some(m) = &r.median {
            eprintln!(
                "[{label}] {s}: {:.0} ops/s (runs {:?}), p50 {:.2} ms, p99 {:.2} ms, server CPU {:.3} ms/op, max RSS {:.1} MiB, load {}",
                m.ops_per_s,
                r.ops_per_s_runs
                    .iter()
                    .map(|v| v.round())
                    .collect::<Vec<_>>(),
                m.p50_ms,
                m.p99_ms,
                r.server_cpu_ms_per_op,
                r.max_rss_mib,
                procstat::load()
            );
        } else {
            eprintln!("[{label}] {s}: not a result: {}", r.failures.join("; "));
        }
        results.push(r);
    }
    let soak = if a.soak.is_zero() {
        None
    } else {
        Some(soak_run(a, &server, &opts).await?)
    };
    let peak = procstat::memory(server.pid)?;
    server.stop().await;
    Ok(BackendResult {
        backend: label.to_owned(),
        first_start_ms: first_start.as_secs_f64() * 1000.0,
        startup_ms: startup.as_secs_f64() * 1000.0,
        idle_rss_mib: mib(idle.rss_kib),
        argon2,
        scenarios: results,
        peak_hwm_mib: mib(peak.hwm_kib),
        soak,
        login_cpu_cheap_argon_ms: None,
        cheap_argon_verify_ms: None,
        load_before,
        load_after: procstat::load(),
    })
}

/// This machine's Argon2id verifies per second at the bench's parameters.
async fn argon_limit(a: &BenchArgs, label: &str) -> Result<argon::Limit, LoadError> {
    let limit = argon::measure(
        a.argon2_memory_kib,
        a.argon2_iterations,
        a.argon2_parallelism,
        Duration::from_secs(3),
    )
    .await?;
    eprintln!(
        "[{label}] Argon2id limit {:.1} verifies/s on {} threads ({:.1} ms each on one core)",
        limit.verifies_per_s, limit.threads, limit.single_ms
    );
    Ok(limit)
}

/// The login flow's server CPU without the password hash's: the same flow
/// on a fresh server whose Argon2id parameters cost next to nothing
/// (subtracting one verify's CPU from the real flow's is lost in noise).
/// Returns the flow's CPU and that cheap verify's (~0.03 ms; the target
/// excludes it too).
async fn login_cpu_without_argon(a: &BenchArgs, backend: &Backend) -> Option<(f64, f64)> {
    let mut cheap = a.clone();
    cheap.argon2_memory_kib = 64;
    cheap.argon2_iterations = 1;
    cheap.argon2_parallelism = 1;
    cheap.soak = Duration::ZERO;
    // On SQLite only: a PostgreSQL database would need a second fresh one.
    if !matches!(backend, Backend::Sqlite) {
        return None;
    }
    match bench_backend(&cheap, backend, &[Scenario::LoginFlow]).await {
        Ok(r) => {
            let login = r.scenarios.first()?;
            login.median.as_ref()?;
            eprintln!(
                "[{}] login-flow with Argon2id at m=64 KiB, t=1: {:.3} ms server CPU per flow, \
                 of which the verify {:.3} ms",
                backend.label(),
                login.server_cpu_ms_per_op,
                r.argon2.single_ms
            );
            Some((login.server_cpu_ms_per_op, r.argon2.single_ms))
        }
        Err(e) => {
            eprintln!("pratu-load bench: login-flow without Argon2: {e}");
            None
        }
    }
}

/// Samples the server's RSS every 100 ms until stopped; returns the peak.
fn sample_rss(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<u64> {
    tokio::spawn(async move {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            if let Ok(m) = procstat::memory(pid) {
                peak = peak.max(m.rss_kib);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        peak
    })
}

async fn bench_scenario(
    a: &BenchArgs,
    server: &Server,
    opts: &mut CtxOptions,
    s: Scenario,
    ticks: f64,
) -> ScenarioResult {
    let mut runs: Vec<(Summary, f64)> = Vec::new();
    let mut failures = Vec::new();
    let mut max_rss = 0;
    for _ in 0..a.runs.max(1) {
        let ctx = match Ctx::prepare(opts, s).await {
            Ok(c) => c,
            Err(e) => {
                failures.push(e.to_string());
                continue;
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = sample_rss(server.pid, stop.clone());
        let pid = server.pid;
        let cpu_from = Arc::new(AtomicU64::new(0));
        let cpu_to = Arc::new(AtomicU64::new(0));
        let (f, t) = (cpu_from.clone(), cpu_to.clone());
        let hooks = Hooks {
            window_start: Some(Box::new(move || {
                f.store(procstat::cpu_ticks(pid).unwrap_or(0), Ordering::Relaxed);
            })),
            window_end: Some(Box::new(move || {
                t.store(procstat::cpu_ticks(pid).unwrap_or(0), Ordering::Relaxed);
            })),
        };
        let used = ctx.clone();
        let r = run_observed(
            s,
            ctx,
            RunOptions {
                concurrency: a.concurrency,
                duration: a.duration,
                warmup: a.warmup,
            },
            hooks,
        )
        .await;
        stop.store(true, Ordering::Relaxed);
        max_rss = max_rss.max(sampler.await.unwrap_or(0));
        if let Some(e) = &used.enroll {
            opts.registry_skip = e.next_unused();
        }
        let cpu_ticks = cpu_to
            .load(Ordering::Relaxed)
            .saturating_sub(cpu_from.load(Ordering::Relaxed));
        match r {
            Ok(sum) if sum.is_result() => {
                let cpu_s = cpu_ticks as f64 / ticks;
                let per_op = if sum.ops > 0 {
                    cpu_s * 1000.0 / sum.ops as f64
                } else {
                    0.0
                };
                runs.push((sum, per_op));
            }
            Ok(sum) => failures.push(report::not_a_result(&sum)),
            Err(e) => failures.push(e.to_string()),
        }
    }
    let ops_per_s_runs: Vec<f64> = runs.iter().map(|(s, _)| s.ops_per_s).collect();
    runs.sort_by(|x, y| x.0.ops_per_s.total_cmp(&y.0.ops_per_s));
    let median = if failures.is_empty() {
        runs.get(runs.len() / 2).cloned()
    } else {
        None
    };
    ScenarioResult {
        scenario: s,
        server_cpu_ms_per_op: median.as_ref().map_or(0.0, |m| m.1),
        median: median.map(|m| m.0),
        ops_per_s_runs,
        max_rss_mib: mib(max_rss),
        failures,
    }
}

async fn soak_run(a: &BenchArgs, server: &Server, opts: &CtxOptions) -> Result<Soak, LoadError> {
    let ctx = Ctx::prepare(opts, Scenario::LoginFlow).await?;
    let pid = server.pid;
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        while !st.load(Ordering::Relaxed) {
            if let Ok(m) = procstat::memory(pid) {
                samples.push(mib(m.rss_kib));
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        samples
    });
    let sum = run(
        Scenario::LoginFlow,
        ctx,
        RunOptions {
            concurrency: a.concurrency,
            duration: a.soak,
            warmup: Duration::ZERO,
        },
    )
    .await?;
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.await.unwrap_or_default();
    if !sum.is_result() {
        return Err(LoadError::protocol(report::not_a_result(&sum)));
    }
    Ok(Soak {
        seconds: a.soak.as_secs_f64(),
        rss_mib_samples: samples,
        flows_per_s: sum.ops_per_s,
    })
}

mod pg {
    //! A throw-away PostgreSQL database for one benchmark.

    use sqlx::Connection as _;

    use crate::error::LoadError;

    pub struct FreshDb {
        admin: String,
        name: String,
        pub url: String,
    }

    impl FreshDb {
        pub fn name(&self) -> &str {
            &self.name
        }
    }

    impl FreshDb {
        pub async fn create(url: &str) -> Result<Self, LoadError> {
            let name = format!("pratu_bench_{}", crate::random::u64() as u32);
            let mut conn = sqlx::PgConnection::connect(url)
                .await
                .map_err(|e| LoadError::setup(format!("PostgreSQL: {e}")))?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .map_err(|e| LoadError::setup(format!("create database {name}: {e}")))?;
            let mut u = url::Url::parse(url)
                .map_err(|e| LoadError::setup(format!("--postgres-url: {e}")))?;
            u.set_path(&format!("/{name}"));
            Ok(Self {
                admin: url.to_owned(),
                name,
                url: u.to_string(),
            })
        }

        pub async fn drop_db(self) {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin).await {
                let _dropped = sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn)
                .await;
            }
        }
    }
}

/// `15s`, `500ms`, `2m` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((s, ""), |i| s.split_at(i));
    let n: f64 = num.parse().map_err(|_| format!("not a duration: {s}"))?;
    let secs = match unit {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit in {s} (use ms, s or m)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15s").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("15").unwrap(), Duration::from_secs(15));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("2h").is_err());
    }
}

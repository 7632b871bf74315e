//! `pratu-load soak`: a mixed load for a long time against PostgreSQL and a
//! Redis of the soak's own, while faults are injected every few minutes —
//! Redis killed and started again, every PostgreSQL connection of the
//! database terminated. What it proves (issue 18): the errors are only the
//! requests in flight at each fault, the server's memory stays flat, and
//! nothing acknowledged is lost (users, refresh families and audit events
//! in the database agree with what the load generator was told).

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;
use sqlx::Connection as _;
use tokio::process::{Child, Command};

use super::{Backend, BenchArgs, Setup, free_port, mib, parse_duration, pg, provision};
use crate::error::LoadError;
use crate::run::{RunOptions, run};
use crate::scenario::Scenario;
use crate::stats::{Summary, unix_now};
use crate::{Ctx, CtxOptions, procstat, registry};

#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// The server binary (build it first: `cargo build --release`).
    #[arg(long, default_value = "target/release/pratu")]
    pub pratu: PathBuf,
    /// Pratu's configuration file.
    #[arg(long, default_value = "config/pratu.toml")]
    pub config: PathBuf,
    /// A PostgreSQL server where a fresh database is created (and dropped
    /// afterwards).
    #[arg(
        long,
        env = "PRATU_BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// The `redis-server` binary: the soak runs a Redis of its own on a free
    /// port, so restarting it disturbs nothing else.
    #[arg(long, default_value = "redis-server")]
    pub redis_server: PathBuf,
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub duration: Duration,
    /// Time between faults; they alternate between Redis and PostgreSQL.
    #[arg(long, default_value = "3m", value_parser = parse_duration)]
    pub fault_every: Duration,
    /// An error this close to a fault (either side) counts as in flight
    /// at it.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub fault_window: Duration,
    /// Virtual users per scenario (login-flow, refresh, userinfo; the
    /// enrollment gets half, at least one).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Write the result as JSON here too.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// One injected fault.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    pub what: &'static str,
    /// Unix seconds.
    pub at: u64,
}

/// What was acknowledged against what the database holds.
#[derive(Debug, Clone, Serialize)]
pub struct Agreement {
    pub what: &'static str,
    pub acknowledged: u64,
    pub stored: u64,
    /// Requests that failed and may have committed before their answer
    /// was lost: `stored` may exceed `acknowledged` by at most this.
    pub in_flight_allowance: u64,
    pub agrees: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SoakResult {
    pub seconds: f64,
    pub faults: Vec<Fault>,
    pub scenarios: Vec<Summary>,
    pub requests: u64,
    pub errors: u64,
    pub errors_at_faults: u64,
    pub errors_elsewhere: u64,
    /// Server RSS every 10 s, MiB.
    pub rss_mib_samples: Vec<f64>,
    pub data: Vec<Agreement>,
}

/// A Redis of the soak's own.
struct OwnRedis {
    binary: PathBuf,
    port: u16,
    child: Child,
}

impl OwnRedis {
    async fn start(binary: &PathBuf, port: u16) -> Result<Self, LoadError> {
        let child = Command::new(binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| LoadError::io(format!("start {}", binary.display()), e))?;
        let r = Self {
            binary: binary.clone(),
            port,
            child,
        };
        r.wait_up().await?;
        Ok(r)
    }

    async fn wait_up(&self) -> Result<(), LoadError> {
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(LoadError::setup("redis-server did not start"))
    }

    /// Kills it without warning and starts a new, empty one on the same
    /// port (what a Redis restart without persistence looks like).
    async fn restart(&mut self) -> Result<(), LoadError> {
        self.child
            .start_kill()
            .map_err(|e| LoadError::io("kill redis-server", e))?;
        self.child
            .wait()
            .await
            .map_err(|e| LoadError::io("wait for redis-server", e))?;
        *self = Self::start(&self.binary, self.port).await?;
        Ok(())
    }
}

/// Terminates every connection to `db` (what a PostgreSQL fail-over or
/// an operator's `pg_terminate_backend` does to a node).
async fn terminate_connections(admin_url: &str, db: &str) -> Result<i64, LoadError> {
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .map_err(|e| LoadError::setup(format!("PostgreSQL: {e}")))?;
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(db)
    .fetch_one(&mut conn)
    .await
    .map_err(|e| LoadError::setup(format!("terminate connections: {e}")))?;
    Ok(n)
}

async fn count(url: &str, sql: &str) -> Result<u64, LoadError> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| LoadError::setup(format!("PostgreSQL: {e}")))?;
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&mut conn)
        .await
        .map_err(|e| LoadError::setup(format!("{sql}: {e}")))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

async fn count_of_users(url: &str, sql: &str, usernames: &[String]) -> Result<u64, LoadError> {
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| LoadError::setup(format!("PostgreSQL: {e}")))?;
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(usernames)
        .fetch_one(&mut conn)
        .await
        .map_err(|e| LoadError::setup(format!("{sql}: {e}")))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Errors within `window` seconds of a fault, and the others.
pub fn split_errors(errors: &[u64], faults: &[u64], window: u64) -> (u64, u64) {
    let near = errors
        .iter()
        .filter(|&&t| faults.iter().any(|&f| t + window >= f && t <= f + window))
        .count() as u64;
    (near, errors.len() as u64 - near)
}

/// `acknowledged ≤ stored ≤ acknowledged + allowance`.
pub fn agreement(what: &'static str, acknowledged: u64, stored: u64, allowance: u64) -> Agreement {
    Agreement {
        what,
        acknowledged,
        stored,
        in_flight_allowance: allowance,
        agrees: acknowledged <= stored && stored <= acknowledged + allowance,
    }
}

const PASSWORD_ROWS: usize = 40_000;

pub async fn soak(a: SoakArgs) -> Result<ExitCode, LoadError> {
    if !a.pratu.exists() {
        return Err(LoadError::setup(format!(
            "{} not found: cargo build --release -p pratu first",
            a.pratu.display()
        )));
    }
    let db = pg::FreshDb::create(&a.postgres_url).await?;
    let result = soak_on(&a, &db).await;
    db.drop_db().await;
    let result = result?;
    let out =
        serde_json::to_string_pretty(&result).map_err(|e| LoadError::protocol(e.to_string()))?;
    if let Some(path) = &a.json {
        std::fs::write(path, &out).map_err(|e| LoadError::io("write the JSON", e))?;
    }
    eprintln!("{}", summary_text(&result));
    let lost = result.data.iter().any(|d| !d.agrees);
    Ok(if lost {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn summary_text(r: &SoakResult) -> String {
    let mut s = format!(
        "soak: {:.0} s, {} faults, {} requests, {} errors ({} at faults, {} elsewhere)\n",
        r.seconds,
        r.faults.len(),
        r.requests,
        r.errors,
        r.errors_at_faults,
        r.errors_elsewhere
    );
    for sc in &r.scenarios {
        s.push_str(&format!(
            "  {}: {} ok ({:.0}/s), {} errors\n",
            sc.scenario, sc.ops, sc.ops_per_s, sc.errors
        ));
    }
    let rss = &r.rss_mib_samples;
    if let (Some(first), Some(last)) = (rss.get(rss.len().min(6).saturating_sub(1)), rss.last()) {
        let max = rss.iter().copied().fold(0.0, f64::max);
        s.push_str(&format!(
            "  server RSS after warm-up {first:.1} MiB, at the end {last:.1} MiB, highest {max:.1} MiB\n"
        ));
    }
    for d in &r.data {
        s.push_str(&format!(
            "  {}: acknowledged {}, stored {} (allowance {}): {}\n",
            d.what,
            d.acknowledged,
            d.stored,
            d.in_flight_allowance,
            if d.agrees { "agrees" } else { "LOST OR EXTRA" }
        ));
    }
    s
}

async fn soak_on(a: &SoakArgs, db: &pg::FreshDb) -> Result<SoakResult, LoadError> {
    let redis_port = free_port()?;
    let mut redis = OwnRedis::start(&a.redis_server, redis_port).await?;
    let backend = Backend::Postgres {
        database_url: db.url.clone(),
        redis_url: format!("redis://127.0.0.1:{redis_port}"),
        redis_prefix: "soak:".to_owned(),
    };
    let bench_args = BenchArgs {
        pratu: a.pratu.clone(),
        config: a.config.clone(),
        postgres_url: None,
        redis_url: None,
        no_sqlite: true,
        runs: 1,
        duration: a.duration,
        warmup: Duration::ZERO,
        concurrency: a.concurrency,
        scenarios: Vec::new(),
        argon2_memory_kib: 19_456,
        argon2_iterations: 2,
        argon2_parallelism: 1,
        soak: Duration::ZERO,
        readme: PathBuf::from("README.md"),
        no_readme: true,
        json: None,
    };
    let dir = tempfile::tempdir().map_err(|e| LoadError::io("temp dir", e))?;
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).map_err(|e| LoadError::io("data dir", e))?;
    let registry_path = dir.path().join("registry.csv");
    registry::write(&registry_path, &registry::generate(PASSWORD_ROWS))?;
    let setup = Setup {
        args: &bench_args,
        backend: &backend,
        data: data.clone(),
        registry: registry_path.clone(),
        port: free_port()?,
    };
    let (server, _) = setup.start().await?;
    let c = a.concurrency.max(1);
    let (client, users) = provision(&setup, 3 * c).await?;
    let provisioned_users = count(&db.url, "SELECT count(*) FROM users").await?;
    let base = CtxOptions {
        issuer: server.issuer.clone(),
        client_id: Some(client.client_id),
        client_secret: Some(client.client_secret),
        redirect_uri: super::REDIRECT.to_owned(),
        scope: "openid profile".to_owned(),
        users: Vec::new(),
        registry: Some(registry_path),
        outbox: Some(data.join("sms-outbox.jsonl")),
        registry_skip: 0,
    };
    // Each scenario signs in as accounts of its own: one attempt per
    // account at a time.
    let plan = [
        (Scenario::LoginFlow, c, &users[..c]),
        (Scenario::Refresh, c, &users[c..2 * c]),
        (Scenario::Userinfo, c, &users[2 * c..]),
        (Scenario::Enrollment, c.div_ceil(2), &users[..0]),
    ];
    let mut runs = tokio::task::JoinSet::new();
    for (scenario, vus, pool) in plan {
        let opts = CtxOptions {
            users: pool.to_vec(),
            ..base.clone()
        };
        let ctx: Arc<Ctx> = Ctx::prepare(&opts, scenario).await?;
        let duration = a.duration;
        runs.spawn(async move {
            run(
                scenario,
                ctx,
                RunOptions {
                    concurrency: vus,
                    duration,
                    warmup: Duration::ZERO,
                },
            )
            .await
        });
    }

    let pid = server.pid;
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    let sampler = tokio::spawn(async move {
        let mut samples = Vec::new();
        while !st.load(Ordering::Relaxed) {
            if let Ok(m) = procstat::memory(pid) {
                samples.push(mib(m.rss_kib));
            }
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
        samples
    });

    let started = tokio::time::Instant::now();
    let end = started + a.duration;
    let mut faults = Vec::new();
    let mut next = started + a.fault_every;
    while next + a.fault_window < end {
        tokio::time::sleep_until(next).await;
        if faults.len() % 2 == 0 {
            redis.restart().await?;
            faults.push(Fault {
                what: "redis restarted",
                at: unix_now(),
            });
        } else {
            let n = terminate_connections(&a.postgres_url, db.name()).await?;
            eprintln!("soak: terminated {n} PostgreSQL connections");
            faults.push(Fault {
                what: "postgres connections terminated",
                at: unix_now(),
            });
        }
        eprintln!(
            "soak: {} at +{:.0} s",
            faults.last().map_or("", |f| f.what),
            started.elapsed().as_secs_f64()
        );
        next += a.fault_every;
    }

    let mut scenarios = Vec::new();
    while let Some(r) = runs.join_next().await {
        scenarios.push(r.map_err(|e| LoadError::setup(format!("a run panicked: {e}")))??);
    }
    scenarios.sort_by_key(|s| s.scenario.to_string());
    stop.store(true, Ordering::Relaxed);
    let rss_mib_samples = sampler.await.unwrap_or_default();
    // Let batched writes and the last requests settle.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let ops = |s: Scenario| {
        scenarios
            .iter()
            .find(|x| x.scenario == s)
            .map_or((0, 0), |x| (x.ops, x.errors))
    };
    let (enrolled, enroll_errors) = ops(Scenario::Enrollment);
    let (logins, login_errors) = ops(Scenario::LoginFlow);
    let users_now = count(&db.url, "SELECT count(*) FROM users").await?;
    let confirmed = count(
        &db.url,
        "SELECT count(*) FROM audit_events WHERE action = 'enrollment.confirmed'",
    )
    .await?;
    // The login-flow's own accounts: the other scenarios sign in too (at
    // their start, after an error, to renew a token), as other accounts.
    let flow_users: Vec<&str> = users[..c].iter().map(|(u, _)| u.as_str()).collect();
    let of_flow_users = |sql: &'static str| {
        let url = db.url.clone();
        let names: Vec<String> = flow_users.iter().map(|s| (*s).to_owned()).collect();
        async move { count_of_users(&url, sql, &names).await }
    };
    let signed_in = of_flow_users(
        "SELECT count(*) FROM audit_events WHERE action = 'login.succeeded' \
         AND actor IN (SELECT 'user:' || id::text FROM users WHERE username = ANY($1))",
    )
    .await?;
    let families = of_flow_users(
        "SELECT count(*) FROM refresh_families \
         WHERE user_id IN (SELECT id FROM users WHERE username = ANY($1))",
    )
    .await?;
    let data = vec![
        agreement(
            "users (enrollments confirmed)",
            enrolled,
            users_now.saturating_sub(provisioned_users),
            enroll_errors,
        ),
        agreement(
            "audit enrollment.confirmed",
            enrolled,
            confirmed,
            enroll_errors,
        ),
        agreement(
            "audit login.succeeded of the login-flow accounts",
            logins,
            signed_in,
            login_errors,
        ),
        agreement(
            "refresh families of the login-flow accounts (code exchanges)",
            logins,
            families,
            login_errors,
        ),
    ];
    server.stop().await;
    drop(redis);

    let all_errors: Vec<u64> = scenarios
        .iter()
        .flat_map(|s| s.error_times.iter().copied())
        .collect();
    let fault_times: Vec<u64> = faults.iter().map(|f| f.at).collect();
    let (at_faults, elsewhere) = split_errors(&all_errors, &fault_times, a.fault_window.as_secs());
    Ok(SoakResult {
        seconds: a.duration.as_secs_f64(),
        requests: scenarios.iter().map(|s| s.ops + s.errors).sum(),
        errors: all_errors.len() as u64,
        errors_at_faults: at_faults,
        errors_elsewhere: elsewhere,
        faults,
        scenarios,
        rss_mib_samples,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_near_a_fault_are_told_from_the_others() {
        let faults = [1000, 2000];
        let errors = [995, 1000, 1009, 1011, 1500, 1990, 2010];
        assert_eq!(split_errors(&errors, &faults, 10), (5, 2));
        assert_eq!(split_errors(&[], &faults, 10), (0, 0));
    }

    #[test]
    fn stored_may_exceed_acknowledged_only_by_the_requests_in_flight() {
        assert!(agreement("x", 10, 10, 0).agrees);
        assert!(agreement("x", 10, 12, 2).agrees);
        assert!(!agreement("x", 10, 13, 2).agrees, "extra beyond in flight");
        assert!(
            !agreement("x", 10, 9, 5).agrees,
            "an acknowledged write lost"
        );
    }
}

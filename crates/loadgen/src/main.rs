//! `pratu-load`: see the crate documentation and README "Performance".

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use pratu_loadgen::{CtxOptions, LoadError, RunOptions, Scenario, bench, registry, report};

#[derive(Debug, Parser)]
#[command(
    name = "pratu-load",
    version,
    about = "Load generator and benchmark driver for Pratu"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one scenario against a running Pratu and print ops/s and latency.
    Run(RunArgs),
    /// Start the release `pratu` (SQLite, and PostgreSQL + Redis when given),
    /// prepare it, run every scenario and write README's Performance table.
    Bench(bench::BenchArgs),
    /// Start the release `pratu` on a fresh PostgreSQL database and a Redis
    /// of its own, run a mixed load for a long time while restarting Redis
    /// and terminating PostgreSQL connections, and check that only requests
    /// in flight at a fault failed, memory stayed flat and nothing
    /// acknowledged was lost.
    Soak(bench::soak::SoakArgs),
    /// Write a registry CSV of fictional citizens for the enrollment scenario.
    Registry {
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
struct RunArgs {
    #[arg(value_enum)]
    scenario: Scenario,
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    load: LoadArgs,
    /// Print the summary as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct TargetArgs {
    /// The provider's issuer URL (plain http, the server's own listener).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    issuer: String,
    #[arg(long)]
    client_id: Option<String>,
    #[arg(long)]
    client_secret: Option<String>,
    /// A redirect URI registered for the client (never contacted).
    #[arg(long, default_value = "http://127.0.0.1:9/callback")]
    redirect_uri: String,
    #[arg(long, default_value = "openid profile")]
    scope: String,
    #[arg(long)]
    username: Option<String>,
    #[arg(long)]
    password: Option<String>,
    /// A user pool: one `username:password` per line.
    #[arg(long)]
    users: Option<PathBuf>,
    /// The registry CSV the server proofs against (enrollment).
    #[arg(long)]
    registry: Option<PathBuf>,
    /// The server's SMS outbox file (enrollment).
    #[arg(long)]
    outbox: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct LoadArgs {
    /// Virtual users, each with its own connection.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Measured time (`15s`, `500ms`, `2m`, or seconds).
    #[arg(long, default_value = "15s", value_parser = bench::parse_duration)]
    duration: Duration,
    /// Unmeasured time before it.
    #[arg(long, default_value = "2s", value_parser = bench::parse_duration)]
    warmup: Duration,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pratu-load: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pratu-load: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cmd: Command) -> Result<ExitCode, LoadError> {
    match cmd {
        Command::Run(a) => run(a).await,
        Command::Bench(a) => bench::bench(a).await,
        Command::Soak(a) => bench::soak::soak(a).await,
        Command::Registry { count, out } => {
            registry::write(&out, &registry::generate(count))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn run(a: RunArgs) -> Result<ExitCode, LoadError> {
    let t = a.target;
    let mut users = Vec::new();
    if let (Some(u), Some(p)) = (t.username, t.password) {
        users.push((u, p));
    }
    if let Some(path) = &t.users {
        let text = std::fs::read_to_string(path)
            .map_err(|e| LoadError::io(format!("read {}", path.display()), e))?;
        users.extend(
            text.lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(u, p)| (u.to_owned(), p.to_owned())),
        );
    }
    let opts = CtxOptions {
        issuer: t.issuer,
        client_id: t.client_id,
        client_secret: t.client_secret,
        redirect_uri: t.redirect_uri,
        scope: t.scope,
        users,
        registry: t.registry,
        outbox: t.outbox,
        registry_skip: 0,
    };
    let ctx = pratu_loadgen::Ctx::prepare(&opts, a.scenario).await?;
    let summary = pratu_loadgen::run(
        a.scenario,
        ctx,
        RunOptions {
            concurrency: a.load.concurrency,
            duration: a.load.duration,
            warmup: a.load.warmup,
        },
    )
    .await?;
    if !summary.is_result() {
        eprint!("{}", report::not_a_result(&summary));
        return Ok(ExitCode::FAILURE);
    }
    let out = if a.json {
        serde_json::to_string_pretty(&summary).map_err(|e| LoadError::protocol(e.to_string()))?
            + "\n"
    } else {
        report::table(std::slice::from_ref(&summary))
    };
    print_out(&out);
    Ok(ExitCode::SUCCESS)
}

#[expect(clippy::print_stdout, reason = "the result is the program's output")]
fn print_out(s: &str) {
    print!("{s}");
}

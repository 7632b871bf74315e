//! A run: set up every virtual user, let them warm up, then measure for the
//! duration. Only operations that start inside the measured window count.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::ctx::Ctx;
use crate::error::LoadError;
use crate::scenario::{Scenario, Vu};
use crate::stats::{Recorder, Summary};

/// Pause before a virtual user tries its failed set-up again.
const SETUP_RETRY: Duration = Duration::from_millis(500);

/// How hard and how long.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub concurrency: usize,
    pub duration: Duration,
    pub warmup: Duration,
}

/// Called when the measured window opens and when it closes (the bench
/// reads the server's CPU time there).
#[derive(Default)]
pub struct Hooks {
    pub window_start: Option<Box<dyn FnOnce() + Send>>,
    pub window_end: Option<Box<dyn FnOnce() + Send>>,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooks")
    }
}

/// Runs `scenario` against the prepared context.
pub async fn run(
    scenario: Scenario,
    ctx: Arc<Ctx>,
    opts: RunOptions,
) -> Result<Summary, LoadError> {
    run_observed(scenario, ctx, opts, Hooks::default()).await
}

/// [`run`], calling `hooks` at the edges of the measured window.
pub async fn run_observed(
    scenario: Scenario,
    ctx: Arc<Ctx>,
    opts: RunOptions,
    hooks: Hooks,
) -> Result<Summary, LoadError> {
    let concurrency = opts.concurrency.max(1);
    let mut setups = tokio::task::JoinSet::new();
    for i in 0..concurrency {
        let ctx = ctx.clone();
        setups.spawn(async move { Vu::setup(i, scenario, &ctx).await });
    }
    let mut vus = Vec::with_capacity(concurrency);
    while let Some(r) = setups.join_next().await {
        let vu =
            r.map_err(|e| LoadError::setup(format!("a virtual user's set-up panicked: {e}")))??;
        vus.push(vu);
    }

    let start = Instant::now();
    let measure_from = start + opts.warmup;
    let end = measure_from + opts.duration;
    let edges = tokio::spawn(async move {
        tokio::time::sleep_until(measure_from).await;
        if let Some(f) = hooks.window_start {
            f();
        }
        tokio::time::sleep_until(end).await;
        if let Some(f) = hooks.window_end {
            f();
        }
    });
    let mut tasks = tokio::task::JoinSet::new();
    for mut vu in vus {
        let ctx = ctx.clone();
        tasks.spawn(async move {
            let mut rec = Recorder::default();
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                let result = vu.op(scenario, &ctx).await;
                let counted = t0 >= measure_from;
                match result {
                    Ok(()) if counted => {
                        let us = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
                        rec.ok(us);
                    }
                    Ok(()) => {}
                    Err(e) => {
                        // Warm-up errors count too: a run that fails at all
                        // is not a result.
                        rec.error(&e);
                        // A chain or session may be broken: start over,
                        // and keep trying while the server cannot sign in
                        // (a store it needs is down, in the soak): the
                        // load resumes when it does.
                        loop {
                            match Vu::setup(vu.index, scenario, &ctx).await {
                                Ok(fresh) => {
                                    vu = fresh;
                                    break;
                                }
                                Err(e) => {
                                    rec.error(&e);
                                    if Instant::now() + SETUP_RETRY >= end {
                                        return rec;
                                    }
                                    tokio::time::sleep(SETUP_RETRY).await;
                                }
                            }
                        }
                    }
                }
            }
            rec
        });
    }
    let _edges_done = edges.await;
    let mut recs = Vec::with_capacity(concurrency);
    while let Some(r) = tasks.join_next().await {
        recs.push(r.map_err(|e| LoadError::setup(format!("a virtual user panicked: {e}")))?);
    }
    Ok(Summary::merge(
        scenario,
        concurrency,
        opts.duration.as_secs_f64(),
        recs,
    ))
}

//! Human-readable output of runs.

use std::fmt::Write as _;

use crate::stats::Summary;

/// The run table: one line per run.
pub fn table(runs: &[Summary]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<20} {:>5} {:>10} {:>12} {:>9} {:>9} {:>9} {:>7}",
        "scenario", "conc", "ops", "ops/s", "p50 ms", "p90 ms", "p99 ms", "errors"
    );
    for s in runs {
        let _ = writeln!(
            out,
            "{:<20} {:>5} {:>10} {:>12.1} {:>9.2} {:>9.2} {:>9.2} {:>7}",
            s.scenario.name(),
            s.concurrency,
            s.ops,
            s.ops_per_s,
            s.p50_ms,
            s.p90_ms,
            s.p99_ms,
            s.errors
        );
    }
    out
}

/// What is printed instead of a table when a run failed.
pub fn not_a_result(s: &Summary) -> String {
    let mut out = format!(
        "not a result: {} had {} error(s) in {} operation(s)\n",
        s.scenario.name(),
        s.errors,
        s.ops + s.errors
    );
    for e in &s.error_samples {
        let _ = writeln!(out, "  - {e}");
    }
    out
}

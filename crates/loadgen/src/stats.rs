//! Exact latencies per virtual user, merged into one summary per run.

use serde::Serialize;

use crate::error::LoadError;
use crate::scenario::Scenario;

/// Error samples kept per run.
const SAMPLES: usize = 5;

/// Unix seconds now: errors and faults are matched by wall-clock time.
#[expect(
    clippy::disallowed_methods,
    reason = "the load generator stamps its own events; it has no server Clock"
)]
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What one virtual user measured.
#[derive(Debug, Default)]
pub struct Recorder {
    latencies_us: Vec<u32>,
    errors: u64,
    samples: Vec<String>,
    /// When each error happened (unix seconds): the soak tells errors at
    /// a fault from errors anywhere else.
    error_times: Vec<u64>,
}

impl Recorder {
    pub fn ok(&mut self, us: u64) {
        self.latencies_us
            .push(u32::try_from(us).unwrap_or(u32::MAX));
    }

    pub fn error(&mut self, e: &LoadError) {
        self.errors += 1;
        self.error_times.push(unix_now());
        if self.samples.len() < SAMPLES {
            self.samples.push(e.to_string());
        }
    }
}

/// One run's result.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: Scenario,
    pub concurrency: usize,
    pub duration_s: f64,
    pub ops: u64,
    pub ops_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: u64,
    pub error_samples: Vec<String>,
    /// Unix seconds of every error, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_times: Vec<u64>,
}

impl Summary {
    pub fn merge(
        scenario: Scenario,
        concurrency: usize,
        duration_s: f64,
        recs: Vec<Recorder>,
    ) -> Self {
        let mut all: Vec<u32> = Vec::with_capacity(recs.iter().map(|r| r.latencies_us.len()).sum());
        let mut errors = 0;
        let mut error_samples = Vec::new();
        let mut error_times = Vec::new();
        for r in recs {
            all.extend_from_slice(&r.latencies_us);
            errors += r.errors;
            error_times.extend_from_slice(&r.error_times);
            for s in r.samples {
                if error_samples.len() < SAMPLES {
                    error_samples.push(s);
                }
            }
        }
        all.sort_unstable();
        let ops = all.len() as u64;
        Self {
            scenario,
            concurrency,
            duration_s,
            ops,
            ops_per_s: if duration_s > 0.0 {
                ops as f64 / duration_s
            } else {
                0.0
            },
            p50_ms: percentile(&all, 0.50),
            p90_ms: percentile(&all, 0.90),
            p99_ms: percentile(&all, 0.99),
            max_ms: all.last().map_or(0.0, |&m| f64::from(m) / 1000.0),
            errors,
            error_samples,
            error_times: {
                error_times.sort_unstable();
                error_times
            },
        }
    }

    /// A run counts only when nothing failed and something succeeded.
    pub fn is_result(&self) -> bool {
        self.errors == 0 && self.ops > 0
    }
}

/// Nearest-rank percentile of sorted microseconds, in milliseconds.
fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    let i = rank.clamp(1, sorted.len()) - 1;
    f64::from(sorted[i]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut r = Recorder::default();
        for us in 1..=100 {
            r.ok(us * 1000);
        }
        let s = Summary::merge(Scenario::Jwks, 1, 2.0, vec![r]);
        assert_eq!(s.ops, 100);
        assert!((s.ops_per_s - 50.0).abs() < 1e-9);
        assert!((s.p50_ms - 50.0).abs() < 1e-9);
        assert!((s.p90_ms - 90.0).abs() < 1e-9);
        assert!((s.p99_ms - 99.0).abs() < 1e-9);
        assert!(s.is_result());
    }

    #[test]
    fn one_error_makes_it_not_a_result() {
        let mut r = Recorder::default();
        r.ok(10);
        r.error(&LoadError::protocol("boom"));
        let s = Summary::merge(Scenario::Jwks, 1, 1.0, vec![r]);
        assert!(!s.is_result());
        assert_eq!(s.error_samples, vec!["boom".to_owned()]);
    }
}

//! (bench: being written)

use std::process::ExitCode;
use std::time::Duration;

use crate::error::LoadError;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

pub async fn bench(_a: BenchArgs) -> Result<ExitCode, LoadError> {
    Err(LoadError::setup("not yet"))
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

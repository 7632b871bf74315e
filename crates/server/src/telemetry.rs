//! Logging: human-readable by default, JSON for log shippers. `RUST_LOG`
//! overrides the configured filter. No personal data is ever a field.
//! Colours only when stderr is a terminal.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::config::{LogConfig, LogFormat};

pub fn init(config: &LogConfig, json_flag: bool) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.filter))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours())
        .with_span_events(FmtSpan::NONE);
    let result = if json_flag || config.format == LogFormat::Json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.with_target(false).try_init()
    };
    // A second initialisation (tests) keeps the first subscriber.
    drop(result);
}

/// Colour only for a person at a terminal: a log file, a pipe, journald or
/// a container log gets plain text (no `ESC[…m` sequences), and so does
/// anyone who sets `NO_COLOR` (no-color.org).
fn colours() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

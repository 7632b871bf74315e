//! The results as the README's Performance table, written between two
//! marker comments so the prose around it stays hand-written.

use std::fmt::Write as _;
use std::path::Path;

use super::{BackendResult, BenchResult, ScenarioResult};
use crate::error::LoadError;
use crate::scenario::Scenario;

pub const BEGIN: &str = "<!-- pratu-load bench: begin (generated, do not edit) -->";
pub const END: &str = "<!-- pratu-load bench: end -->";

fn target(s: Scenario) -> &'static str {
    match s {
        Scenario::Discovery | Scenario::Jwks => "≥ 50,000 req/s",
        Scenario::ClientCredentials => "≥ 20,000 tokens/s",
        Scenario::Refresh => "≥ 10,000/s SQLite, ≥ 6,000/s PostgreSQL + Redis",
        Scenario::SsoFlow => "≥ 3,000 flows/s",
        Scenario::LoginFlow => "≥ 85 % of the Argon2id limit",
        Scenario::Userinfo | Scenario::Introspect | Scenario::Enrollment => "—",
    }
}

fn thousands(v: f64) -> String {
    let n = v.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn cell(r: Option<&ScenarioResult>, b: &BackendResult) -> String {
    let Some(r) = r else {
        return "—".into();
    };
    let Some(m) = &r.median else {
        return "not a result (errors)".into();
    };
    let mut c = format!(
        "**{}/s** · p50 {:.2} ms · p99 {:.2} ms · {:.3} ms CPU/op · {:.0} MiB",
        thousands(m.ops_per_s),
        m.p50_ms,
        m.p99_ms,
        r.server_cpu_ms_per_op,
        r.max_rss_mib
    );
    if r.scenario == Scenario::LoginFlow && b.argon2.verifies_per_s > 0.0 {
        let _ = write!(
            c,
            " · **{:.0} %** of {:.1} verifies/s",
            100.0 * m.ops_per_s / b.argon2.verifies_per_s,
            b.argon2.verifies_per_s
        );
    }
    c
}

pub fn markdown(r: &BenchResult) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Measured by `pratu-load bench` on {}; median of {} runs of {:.0} s per scenario, {} virtual users, the load generator on the same machine. Each cell: operations per second · latency · server CPU per operation · highest server RSS during the runs.\n",
        r.machine, r.runs, r.duration_s, r.concurrency
    );
    let _ = write!(md, "| scenario | target |");
    for b in &r.backends {
        let _ = write!(md, " {} |", b.backend);
    }
    let _ = write!(md, "\n| --- | --- |");
    for _ in &r.backends {
        let _ = write!(md, " --- |");
    }
    md.push('\n');
    let mut order: Vec<Scenario> = Vec::new();
    for b in &r.backends {
        for s in &b.scenarios {
            if !order.contains(&s.scenario) {
                order.push(s.scenario);
            }
        }
    }
    for s in order {
        let _ = write!(md, "| {} | {} |", s.name(), target(s));
        for b in &r.backends {
            let res = b.scenarios.iter().find(|x| x.scenario == s);
            let _ = write!(md, " {} |", cell(res, b));
        }
        md.push('\n');
    }
    let row = |md: &mut String, name: &str, tgt: &str, f: &dyn Fn(&BackendResult) -> String| {
        let _ = write!(md, "| {name} | {tgt} |");
        for b in &r.backends {
            let _ = write!(md, " {} |", f(b));
        }
        md.push('\n');
    };
    row(
        &mut md,
        "login-flow server CPU per flow, without its one Argon2id verify",
        "≤ 0.5 ms",
        &|b| {
            let login = b
                .scenarios
                .iter()
                .find(|s| s.scenario == Scenario::LoginFlow && s.median.is_some());
            match (login, b.login_cpu_cheap_argon_ms) {
                (Some(l), Some(cheap)) => {
                    let verify = b.cheap_argon_verify_ms.unwrap_or(0.0);
                    format!(
                        "**{:.3} ms** ({cheap:.3} ms per flow with Argon2id at m=64 KiB, t=1, less that verify's {verify:.3} ms; {:.2} ms with the OWASP verify of {:.2} ms)",
                        cheap - verify,
                        l.server_cpu_ms_per_op,
                        b.argon2.single_ms
                    )
                }
                (Some(l), None) => format!(
                    "≈ {:.2} ms ({:.2} ms − {:.2} ms for the verify)",
                    l.server_cpu_ms_per_op - b.argon2.single_ms,
                    l.server_cpu_ms_per_op,
                    b.argon2.single_ms
                ),
                _ => "—".into(),
            }
        },
    );
    row(
        &mut md,
        "Argon2id limit of this machine",
        "(reference)",
        &|b| {
            format!(
                "{:.1} verifies/s on {} threads (m={} KiB, t={}, p={}; {:.1} ms per verify)",
                b.argon2.verifies_per_s,
                b.argon2.threads,
                b.argon2.memory_kib,
                b.argon2.iterations,
                b.argon2.parallelism,
                b.argon2.single_ms
            )
        },
    );
    row(&mut md, "RSS idle", "≤ 20 MiB", &|b| {
        format!("**{:.1} MiB**", b.idle_rss_mib)
    });
    row(
        &mut md,
        "RSS under load (highest of all scenarios)",
        "≤ 100 MiB",
        &|b| {
            let max = b
                .scenarios
                .iter()
                .map(|s| s.max_rss_mib)
                .fold(0.0, f64::max);
            format!("**{max:.1} MiB** (VmHWM {:.1} MiB)", b.peak_hwm_mib)
        },
    );
    if r.backends.iter().any(|b| b.soak.is_some()) {
        row(&mut md, "RSS over a long login-flow run", "flat", &|b| {
            b.soak.as_ref().map_or("—".into(), |s| {
                let v: Vec<String> = s
                    .rss_mib_samples
                    .iter()
                    .map(|m| format!("{m:.0}"))
                    .collect();
                format!(
                    "{:.0} s at {:.1} flows/s: {} MiB",
                    s.seconds,
                    s.flows_per_s,
                    v.join(" → ")
                )
            })
        });
    }
    row(
        &mut md,
        "start-up: process start to `/readyz` 200",
        "≤ 150 ms (SQLite)",
        &|b| {
            format!(
                "**{:.0} ms** (first start, with migrations and key generation: {:.0} ms)",
                b.startup_ms, b.first_start_ms
            )
        },
    );
    row(&mut md, "load average before → after", "", &|b| {
        format!("{} → {}", b.load_before, b.load_after)
    });
    md
}

/// Replaces what lies between the markers in `path`.
pub fn replace_section(path: &Path, md: &str) -> Result<(), LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::io(format!("read {}", path.display()), e))?;
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        return Err(LoadError::setup(format!(
            "{} has no Performance markers ({BEGIN} … {END})",
            path.display()
        )));
    };
    if e < b {
        return Err(LoadError::setup("the Performance markers are out of order"));
    }
    let new = format!("{}{BEGIN}\n{md}{}", &text[..b], &text[e..]);
    std::fs::write(path, new).map_err(|e| LoadError::io(format!("write {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(1000.0), "1,000");
    }

    #[test]
    fn section_is_replaced_between_markers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("R.md");
        std::fs::write(&p, format!("a\n{BEGIN}\nold\n{END}\nb\n")).unwrap();
        replace_section(&p, "new\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            format!("a\n{BEGIN}\nnew\n{END}\nb\n")
        );
    }
}

//! Secrets the tests hand to a server — citizen IDs, laser codes, OTPs,
//! passwords, enrollment tokens, session handles — and the check, run when
//! each test server goes away, that none of them reached its log at any
//! level (issue 16: a log line is read by more people than the database).
//!
//! Secrets are watched where the shared helpers touch them (the registry a
//! test writes, the outbox it reads, the sign-in and enrollment helpers,
//! every cookie a test browser receives), so every black-box suite checks
//! its own servers' logs without asking.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};

/// Shorter values (a 4-letter OTP reference, a `1`) would match by chance.
const MIN_LEN: usize = 6;

/// Secrets any server could have seen, and those only the server with a
/// given data directory saw (its OTPs: six digits match by chance across
/// hundreds of servers' logs, but not within one).
#[derive(Default)]
struct Watched {
    everywhere: HashSet<(&'static str, String)>,
    by_server: HashMap<PathBuf, HashSet<(&'static str, String)>>,
}

static WATCHED: LazyLock<Mutex<Watched>> = LazyLock::new(Mutex::default);

/// Watches `value` (of kind `kind`, for the failure message) in every
/// server's log.
pub fn watch(kind: &'static str, value: &str) {
    if value.len() >= MIN_LEN {
        WATCHED
            .lock()
            .unwrap()
            .everywhere
            .insert((kind, value.to_owned()));
    }
}

/// Watches `value` in the log of the server whose data directory is `dir`.
pub fn watch_on(dir: &Path, kind: &'static str, value: &str) {
    if value.len() >= MIN_LEN {
        WATCHED
            .lock()
            .unwrap()
            .by_server
            .entry(dir.to_path_buf())
            .or_default()
            .insert((kind, value.to_owned()));
    }
}

/// Stops watching what was watched for the server at `dir` (the canary
/// test below plants a secret on purpose).
fn forget(dir: &Path) {
    WATCHED.lock().unwrap().by_server.remove(dir);
}

/// Whether `secret` occurs in `line` as a token of its own: not inside a
/// longer run of letters and digits (a 13-digit citizen ID inside a
/// nanosecond timestamp is not a leak, `citizen_id=1234567890121` is).
fn occurs(line: &str, secret: &str) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.');
    line.match_indices(secret).any(|(i, _)| {
        !glued(line[..i].chars().next_back()) && !glued(line[i + secret.len()..].chars().next())
    })
}

/// The secrets found in `log` (kind and line number; never the value, so
/// the failure report does not repeat the leak).
pub fn find(dir: &Path, log: &[String]) -> Vec<String> {
    let watched = WATCHED.lock().unwrap();
    let own = watched.by_server.get(dir);
    let all = watched.everywhere.iter().chain(own.into_iter().flatten());
    let mut found = Vec::new();
    for (kind, secret) in all {
        for (n, line) in log.iter().enumerate() {
            if occurs(line, secret) {
                found.push(format!("a {kind} on log line {}", n + 1));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn a_secret_counts_only_as_a_token_of_its_own() {
    assert!(occurs("citizen_id=1234567890121 x", "1234567890121"));
    assert!(occurs("\"code\":\"482913\"", "482913"));
    assert!(!occurs("at 2026-12-06T08:30:12.482913Z", "482913"));
    assert!(!occurs("id 91234567890121", "1234567890121"));
    assert!(!occurs("nothing here", "482913"));
}

/// Watches the citizen IDs and laser codes of the shipped dev registry,
/// which tests that write no registry of their own enroll from.
pub fn watch_dev_registry() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/dev-registry.csv");
        let text = std::fs::read_to_string(path).unwrap();
        for row in text.lines().filter(|l| !l.starts_with('#')).skip(1) {
            let cols: Vec<&str> = row.split(',').collect();
            watch_citizen(cols[0], cols[4]);
        }
    });
}

/// A card's citizen ID and laser code, in the forms a log could hold them.
pub fn watch_citizen(citizen_id: &str, laser_code: &str) {
    watch("citizen ID", citizen_id);
    let bare = laser_code.replace('-', "");
    watch("laser code", &bare);
    if bare.len() == 12 && bare.is_ascii() {
        watch(
            "laser code",
            &format!("{}-{}-{}", &bare[..3], &bare[3..10], &bare[10..]),
        );
    }
}

/// The check sees what a server logs: its own listening address, watched
/// as if it were a secret, is found (so a real secret would be too).
#[tokio::test]
async fn the_check_finds_a_watched_value_in_a_server_log() {
    let p = crate::harness::Pratu::start().await;
    let address = p.url.trim_start_matches("http://").to_owned();
    watch_on(&p.data_dir, "canary", &address);
    let lines: Vec<String> = p.log().lines().map(str::to_owned).collect();
    let found = find(&p.data_dir, &lines);
    forget(&p.data_dir);
    assert!(
        found.iter().any(|f| f.starts_with("a canary")),
        "the planted value was not found: {found:?}"
    );
}

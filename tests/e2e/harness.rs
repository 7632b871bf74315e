//! Starts `pratu` as a child process with a fresh data directory, reads the
//! address it logs, and keeps its log for inspection.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

pub const BIN: &str = env!("CARGO_BIN_EXE_pratu");

/// A running server.
pub struct Pratu {
    child: Child,
    pub url: String,
    /// The metrics listener's `/metrics` (`metrics.listen`, a free port).
    pub metrics_url: Option<String>,
    pub data_dir: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    _tmp: Option<tempfile::TempDir>,
}

#[derive(Default)]
pub struct Options {
    pub envs: Vec<(String, String)>,
    /// Reuse a data directory (restart tests); default a fresh temp dir.
    pub data_dir: Option<PathBuf>,
}

impl Options {
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.envs.push((k.to_owned(), v.to_owned()));
        self
    }
}

/// The environment every test server gets: port 0, cheap Argon2 (tests
/// measure behaviour, not cost), every level of our own crates' logs (the
/// leak check in `leaks.rs` reads them all).
pub fn base_command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PRATU_LISTEN", "127.0.0.1:0")
        .env("PRATU_METRICS__LISTEN", "127.0.0.1:0")
        .env("PRATU_DATA_DIR", data_dir)
        .env(
            "PRATU_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/pratu.toml"),
        )
        .env("PRATU_PASSWORD__MEMORY_KIB", "64")
        .env("PRATU_PASSWORD__ITERATIONS", "1")
        .env("RUST_LOG", "info,pratu=trace")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    cmd
}

impl Pratu {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(opts: Options) -> Self {
        let (tmp, data_dir) = match opts.data_dir {
            Some(d) => (None, d),
            None => {
                let t = tempfile::tempdir().unwrap();
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        crate::leaks::watch_dev_registry();
        let mut cmd = base_command(&data_dir);
        for (k, v) in &opts.envs {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("spawn pratu");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        for stream in [
            Box::new(child.stderr.take().unwrap()) as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stdout.take().unwrap()),
        ] {
            let log = log.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    log.lock().unwrap().push(line.clone());
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let mut metrics_url = None;
        let url = tokio::time::timeout(Duration::from_secs(60), async {
            let after = |line: &str, i: usize| -> String {
                line[i..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect()
            };
            while let Some(line) = rx.recv().await {
                // Logged just before the "listening on" line.
                if let Some(i) = line.find("metrics at http://") {
                    metrics_url = Some(after(&line, i + "metrics at ".len()));
                }
                if let Some(i) = line.find("listening on http://") {
                    return Some(after(&line, i + "listening on ".len()));
                }
            }
            None
        })
        .await
        .ok()
        .flatten();
        let Some(url) = url else {
            let _ = child.start_kill();
            panic!(
                "pratu did not start; log:\n{}",
                log.lock().unwrap().join("\n")
            );
        };
        Self {
            child,
            url,
            metrics_url,
            data_dir,
            log,
            _tmp: tmp,
        }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("pratu stops within 30 s of SIGTERM")
            .unwrap()
    }

    /// Keeps the temp data dir alive past this server (restart tests).
    pub fn into_data_dir(mut self) -> (PathBuf, Option<tempfile::TempDir>) {
        let _ = self.child.start_kill();
        (self.data_dir.clone(), self._tmp.take())
    }

    /// `kill -9`, waited for: the process is gone when this returns. Keeps
    /// the temp data dir, as [`Self::into_data_dir`] does.
    pub async fn sigkill(mut self) -> (PathBuf, Option<tempfile::TempDir>) {
        self.child.start_kill().expect("SIGKILL sent");
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("a killed process exits")
            .unwrap();
        assert!(!status.success(), "killed, not exited: {status}");
        (self.data_dir.clone(), self._tmp.take())
    }

    /// `GET /metrics` on the metrics listener.
    pub fn metrics(&self) -> reqwest::RequestBuilder {
        client().get(
            self.metrics_url
                .as_deref()
                .expect("the metrics address is logged"),
        )
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        client().get(format!("{}{path}", self.url))
    }
}

/// Every test server's log is checked for the secrets the tests watched
/// (`leaks.rs`) when the server goes away, whatever the test asserted.
impl Drop for Pratu {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let leaks = crate::leaks::find(&self.data_dir, &self.log.lock().unwrap());
        assert!(
            leaks.is_empty(),
            "secrets reached the server's log: {}",
            leaks.join(", ")
        );
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Runs `pratu ARGS` to completion (CLI tests).
pub async fn run_cli(
    data_dir: &Path,
    envs: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    let mut cmd = base_command(data_dir);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        // `--password-stdin` is how tests hand the CLI a password.
        crate::leaks::watch("password given on stdin", text.trim());
        tokio::io::AsyncWriteExt::write_all(&mut input, text.as_bytes())
            .await
            .unwrap();
    }
    drop(input);
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("cli finishes")
        .unwrap()
}

/// Runs `pratu ARGS`, fails the test with the command's stderr unless it
/// succeeds, and returns its stdout as JSON (`Null` when it printed none).
pub async fn cli_json(
    data_dir: &Path,
    envs: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&str>,
) -> serde_json::Value {
    let out = run_cli(data_dir, envs, args, stdin).await;
    assert!(
        out.status.success(),
        "pratu {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Polls `/readyz` until it answers `want` (dependencies come and go).
pub async fn wait_ready(p: &Pratu, want: u16) -> u16 {
    let mut last = 0;
    for _ in 0..100 {
        last = match p.get("/readyz").send().await {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        };
        if last == want {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

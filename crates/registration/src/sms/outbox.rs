//! The outbox sender: one JSON object per line,
//! `{"to": "+66812345678", "text": "...", "sent_at": "RFC 3339"}` (DESIGN.md),
//! so developers and tests read the code that would have gone by SMS.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use pratu_core::sms::{SmsError, SmsMessage, SmsSender};
use pratu_storage::Clock;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;

/// One line of the outbox file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxLine {
    pub to: String,
    pub text: String,
    pub sent_at: String,
}

#[derive(Debug)]
pub struct OutboxSender {
    path: PathBuf,
    clock: Arc<dyn Clock>,
    /// One writer at a time, so concurrent lines never interleave.
    lock: tokio::sync::Mutex<()>,
}

impl OutboxSender {
    pub fn new(path: PathBuf, clock: Arc<dyn Clock>) -> Self {
        Self {
            path,
            clock,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads every message of an outbox file (tests, the dev helper page).
pub fn read_outbox(path: &Path) -> std::io::Result<Vec<OutboxLine>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}

#[async_trait]
impl SmsSender for OutboxSender {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError> {
        let sent_at = self
            .clock
            .now()
            .format(&Rfc3339)
            .map_err(|e| SmsError::Unavailable(Box::new(e)))?;
        let line = OutboxLine {
            to: message.to.clone(),
            text: message.text.clone(),
            sent_at,
        };
        let mut bytes =
            serde_json::to_vec(&line).map_err(|e| SmsError::Unavailable(Box::new(e)))?;
        bytes.push(b'\n');
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)?;
            // One write of the whole line: appends of this size are atomic.
            file.write_all(&bytes)?;
            file.flush()
        })
        .await
        .map_err(|e| SmsError::Unavailable(Box::new(e)))?
        .map_err(|e| SmsError::Unavailable(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_storage::MockClock;

    fn message(n: usize) -> SmsMessage {
        SmsMessage {
            to: "+66812345678".into(),
            text: format!("Pratu OTP {n:06} (Ref: ABCD) valid 5 min"),
        }
    }

    #[tokio::test]
    async fn messages_are_appended_as_json_lines_in_a_created_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/outbox.jsonl");
        let sender = OutboxSender::new(path.clone(), Arc::new(MockClock::default()));
        sender.send(&message(1)).await.unwrap();
        sender.send(&message(2)).await.unwrap();
        let lines = read_outbox(&path).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].to, "+66812345678");
        assert_eq!(lines[1].text, "Pratu OTP 000002 (Ref: ABCD) valid 5 min");
        assert_eq!(lines[0].sent_at, "2026-01-01T00:00:00Z");
    }

    #[tokio::test]
    async fn concurrent_sends_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outbox.jsonl");
        let sender = Arc::new(OutboxSender::new(
            path.clone(),
            Arc::new(MockClock::default()),
        ));
        let tasks: Vec<_> = (0..50)
            .map(|n| {
                let s = sender.clone();
                tokio::spawn(async move { s.send(&message(n)).await.unwrap() })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let mut texts: Vec<_> = read_outbox(&path)
            .unwrap()
            .into_iter()
            .map(|l| l.text)
            .collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 50);
    }

    #[tokio::test]
    async fn an_unwritable_path_is_unavailable_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let sender = OutboxSender::new(
            file.join("below-a-file.jsonl"),
            Arc::new(MockClock::default()),
        );
        assert!(matches!(
            sender.send(&message(1)).await,
            Err(SmsError::Unavailable(_))
        ));
    }

    #[test]
    fn a_missing_outbox_reads_as_empty() {
        assert!(
            read_outbox(Path::new("/nonexistent/outbox.jsonl"))
                .unwrap()
                .is_empty()
        );
    }
}

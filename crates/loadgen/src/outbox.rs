//! Reads OTPs from the server's SMS outbox file (one JSON object per line)
//! as it grows: a tail shared by every virtual user, so each new line is
//! parsed once however many users wait.

use std::collections::HashMap;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::LoadError;

/// How long a virtual user waits for its SMS.
const WAIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Outbox {
    inner: tokio::sync::Mutex<Tail>,
}

#[derive(Debug)]
struct Tail {
    path: PathBuf,
    offset: u64,
    partial: Vec<u8>,
    codes: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Sms {
    to: String,
    text: String,
}

impl Outbox {
    /// Starts at the current end of the file: older messages are ignored.
    pub fn open(path: &Path) -> Self {
        let offset = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        Self {
            inner: tokio::sync::Mutex::new(Tail {
                path: path.to_owned(),
                offset,
                partial: Vec::new(),
                codes: HashMap::new(),
            }),
        }
    }

    /// The newest code sent to `to` (E.164) after this call's user asked for
    /// it, waiting for the line to appear.
    pub async fn code_for(&self, to: &str) -> Result<String, LoadError> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            {
                let mut t = self.inner.lock().await;
                t.read_new()?;
                if let Some(code) = t.codes.remove(to) {
                    return Ok(code);
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(LoadError::protocol(
                    "no OTP arrived in the SMS outbox within 10 s",
                ));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

impl Tail {
    fn read_new(&mut self) -> Result<(), LoadError> {
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(LoadError::io("open the SMS outbox", e)),
        };
        f.seek(SeekFrom::Start(self.offset))
            .map_err(|e| LoadError::io("seek the SMS outbox", e))?;
        let mut buf = Vec::new();
        let n = f
            .read_to_end(&mut buf)
            .map_err(|e| LoadError::io("read the SMS outbox", e))?;
        self.offset += n as u64;
        self.partial.extend_from_slice(&buf);
        let Some(last_nl) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(());
        };
        let rest = self.partial.split_off(last_nl + 1);
        let complete = std::mem::replace(&mut self.partial, rest);
        for line in complete.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            if let Ok(sms) = serde_json::from_slice::<Sms>(line)
                && let Some(code) = otp_in(&sms.text)
            {
                self.codes.insert(sms.to, code);
            }
        }
        Ok(())
    }
}

/// The first word of exactly six digits (`Pratu OTP 123456 (Ref: KXQF) …`).
pub fn otp_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_code() {
        assert_eq!(
            otp_in("Pratu OTP 123456 (Ref: KXQF) valid 5 min").as_deref(),
            Some("123456")
        );
        assert_eq!(otp_in("no code 12345"), None);
    }

    #[tokio::test]
    async fn tails_lines_appended_after_opening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        std::fs::write(
            &path,
            "{\"to\":\"+66900000001\",\"text\":\"Pratu OTP 111111 (Ref: A)\"}\n",
        )
        .unwrap();
        let o = Outbox::open(&path);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(
            &mut f,
            b"{\"to\":\"+66900000001\",\"text\":\"Pratu OTP 222222 (Ref: B)\"}\n{\"to\":\"+6690",
        )
        .unwrap();
        assert_eq!(o.code_for("+66900000001").await.unwrap(), "222222");
        std::io::Write::write_all(
            &mut f,
            b"0000002\",\"text\":\"Pratu OTP 333333 (Ref: C)\"}\n",
        )
        .unwrap();
        assert_eq!(o.code_for("+66900000002").await.unwrap(), "333333");
    }
}

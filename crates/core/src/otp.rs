//! One-time codes sent by SMS (enrollment phone check, sign-in step-up,
//! and later the account's phone change and recovery): where the SMS code
//! is generated, stored and checked.
//!
//! A challenge is six CSPRNG digits plus a four-letter reference shown beside
//! them (the Thai convention, DOMAIN.md §6). Only a salted SHA-256 of
//! reference and code is kept, in the [`EphemeralStore`] under
//! `otp:<subject>`; the caller picks the subject (`enroll:<id>`,
//! `stepup:<user>`). Expiry is judged by the [`Clock`] against the times
//! stored in the value, so the store's own TTL is only a clean-up.
//!
//! Limits: `max_attempts` guesses per challenge, then it is locked; a new
//! challenge (a resend, which voids the old code) only after
//! `resend_cooldown`, and at most `max_sends` per `send_window`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use pratu_storage::clock::Clock;
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::error::StorageError;

use crate::random::SharedRandom;

/// Capital letters without the look-alikes `I` and `O`.
const REF_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const REF_LEN: usize = 4;
const SALT_LEN: usize = 16;
/// Kept in the store a little past expiry so a late guess reads "expired"
/// rather than "no challenge".
const GRACE: Duration = Duration::from_secs(600);

/// The limits of one kind of OTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    pub ttl: Duration,
    pub max_attempts: u32,
    pub resend_cooldown: Duration,
    pub max_sends: u32,
    pub send_window: Duration,
}

impl Default for OtpPolicy {
    /// DOMAIN.md §6: 300 s, 5 guesses, 60 s between sends, a few sends a day.
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            max_attempts: 5,
            resend_cooldown: Duration::from_secs(60),
            max_sends: 5,
            send_window: Duration::from_secs(24 * 3600),
        }
    }
}

/// A freshly issued challenge. The code is for the SMS only.
#[derive(Clone)]
pub struct IssuedOtp {
    reference: String,
    code: Zeroizing<String>,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Earliest time of the next send.
    pub resend_at: OffsetDateTime,
}

impl IssuedOtp {
    /// The four-letter reference shown beside the code.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The six digits in clear, for the SMS text only.
    pub fn expose_code(&self) -> &str {
        &self.code
    }

    /// `Pratu OTP 123456 (Ref: KXQF) valid 5 min` (DESIGN.md).
    pub fn sms_text(&self) -> String {
        let secs = (self.expires_at - self.issued_at).whole_seconds().max(0);
        let minutes = (secs + 59) / 60;
        format!(
            "Pratu OTP {} (Ref: {}) valid {minutes} min",
            self.code.as_str(),
            self.reference
        )
    }
}

impl fmt::Debug for IssuedOtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedOtp")
            .field("reference", &self.reference)
            .field("code", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a page needs to show about the live challenge (after a reload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOtp {
    pub reference: String,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub resend_at: OffsetDateTime,
}

/// The result of checking a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpOutcome {
    /// Right code, in time: the challenge is used up.
    Verified,
    /// Wrong code; this many guesses remain.
    Invalid { attempts_left: u32 },
    /// The challenge is past its expiry; request a new code.
    Expired,
    /// Too many wrong guesses; request a new code (if sends remain).
    Locked,
    /// Nothing was sent to this subject and binding, or the code was used.
    NoChallenge,
}

#[derive(Debug, thiserror::Error)]
pub enum OtpError {
    /// The last code was sent less than the cooldown ago.
    #[error("a code was sent recently; wait before asking again")]
    Cooldown { retry_after: Duration },
    /// The send cap for the window is reached.
    #[error("too many codes sent; try again later")]
    TooManySends,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The stored challenge: no code, only its salted hash.
#[derive(Serialize, Deserialize)]
struct Stored {
    reference: String,
    salt: String,
    hash: String,
    /// SHA-256 of the caller's binding (e.g. the phone number the code was
    /// sent to), so a code only confirms what it was sent for.
    binding: String,
    issued_at: i64,
    expires_at: i64,
}

/// Issues and checks one-time codes. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OtpService {
    store: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
    random: SharedRandom,
    policy: OtpPolicy,
}

impl OtpService {
    pub fn new(
        store: Arc<dyn EphemeralStore>,
        clock: Arc<dyn Clock>,
        random: SharedRandom,
        policy: OtpPolicy,
    ) -> Self {
        Self {
            store,
            clock,
            random,
            policy,
        }
    }

    pub fn policy(&self) -> &OtpPolicy {
        &self.policy
    }

    /// Makes a new challenge for `subject`, voiding any earlier one. The
    /// caller sends [`IssuedOtp::sms_text`] and, if sending fails, calls
    /// [`OtpService::cancel`].
    pub async fn issue(&self, subject: &str, binding: &str) -> Result<IssuedOtp, OtpError> {
        let now = self.clock.now();
        if let Some(old) = self.load(subject).await? {
            let resend_at = from_unix(old.issued_at) + self.policy.resend_cooldown;
            if now < resend_at {
                let wait = (resend_at - now).whole_seconds().max(1);
                return Err(OtpError::Cooldown {
                    retry_after: Duration::from_secs(wait.unsigned_abs()),
                });
            }
        }
        let sends = self
            .store
            .incr(&sends_key(subject), self.policy.send_window)
            .await?;
        if sends > u64::from(self.policy.max_sends) {
            return Err(OtpError::TooManySends);
        }

        let rng = &*self.random;
        let code = Zeroizing::new(format!("{:06}", rng.below(1_000_000)));
        let reference: String = (0..REF_LEN)
            .map(|_| {
                // The alphabet has 24 letters: the index always fits.
                let i = rng.below(REF_ALPHABET.len() as u32) as usize;
                char::from(REF_ALPHABET[i])
            })
            .collect();
        let salt: [u8; SALT_LEN] = rng.array();
        let expires_at = now + self.policy.ttl;
        let stored = Stored {
            hash: URL_SAFE_NO_PAD.encode(digest(&salt, &reference, &code)),
            salt: URL_SAFE_NO_PAD.encode(salt),
            binding: URL_SAFE_NO_PAD.encode(Sha256::digest(binding.as_bytes())),
            reference: reference.clone(),
            issued_at: now.unix_timestamp(),
            expires_at: expires_at.unix_timestamp(),
        };
        let value = serde_json::to_vec(&stored).map_err(StorageError::unhandled)?;
        self.store
            .put(&challenge_key(subject), &value, self.policy.ttl + GRACE)
            .await?;
        Ok(IssuedOtp {
            reference,
            code,
            issued_at: now,
            expires_at,
            resend_at: now + self.policy.resend_cooldown,
        })
    }

    /// Checks `code` against the live challenge of `subject` sent for
    /// `binding`. A right code works once.
    pub async fn verify(
        &self,
        subject: &str,
        binding: &str,
        code: &str,
    ) -> Result<OtpOutcome, StorageError> {
        let Some(stored) = self.load(subject).await? else {
            return Ok(OtpOutcome::NoChallenge);
        };
        let want_binding = URL_SAFE_NO_PAD.encode(Sha256::digest(binding.as_bytes()));
        if !bool::from(want_binding.as_bytes().ct_eq(stored.binding.as_bytes())) {
            return Ok(OtpOutcome::NoChallenge);
        }
        if self.clock.now() >= from_unix(stored.expires_at) {
            return Ok(OtpOutcome::Expired);
        }
        // Count the guess before judging it, so concurrent guesses cannot
        // exceed the limit.
        let tries = self
            .store
            .incr(
                &tries_key(subject, &stored.reference),
                self.policy.ttl + GRACE,
            )
            .await?;
        let max = u64::from(self.policy.max_attempts);
        if tries > max {
            return Ok(OtpOutcome::Locked);
        }
        let salt = URL_SAFE_NO_PAD
            .decode(&stored.salt)
            .map_err(StorageError::unhandled)?;
        let want = URL_SAFE_NO_PAD
            .decode(&stored.hash)
            .map_err(StorageError::unhandled)?;
        let got = digest(&salt, &stored.reference, code);
        if bool::from(got.as_slice().ct_eq(&want)) {
            // Single use: of two right guesses at once, one takes it.
            return Ok(match self.store.take(&challenge_key(subject)).await? {
                Some(taken) if taken_reference(&taken).as_deref() == Some(&stored.reference) => {
                    OtpOutcome::Verified
                }
                _ => OtpOutcome::NoChallenge,
            });
        }
        let left = max - tries;
        Ok(if left == 0 {
            OtpOutcome::Locked
        } else {
            OtpOutcome::Invalid {
                attempts_left: u32::try_from(left).unwrap_or(u32::MAX),
            }
        })
    }

    /// The live challenge of `subject`, if any (expired ones included).
    pub async fn pending(&self, subject: &str) -> Result<Option<PendingOtp>, StorageError> {
        Ok(self.load(subject).await?.map(|s| PendingOtp {
            issued_at: from_unix(s.issued_at),
            expires_at: from_unix(s.expires_at),
            resend_at: from_unix(s.issued_at) + self.policy.resend_cooldown,
            reference: s.reference,
        }))
    }

    /// Voids the challenge of `subject` (e.g. the SMS could not be sent).
    pub async fn cancel(&self, subject: &str) -> Result<(), StorageError> {
        self.store.delete(&challenge_key(subject)).await.map(|_| ())
    }

    async fn load(&self, subject: &str) -> Result<Option<Stored>, StorageError> {
        let Some(raw) = self.store.get(&challenge_key(subject)).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&raw)
            .map(Some)
            .map_err(|_| StorageError::InconsistentRow {
                table: "ephemeral",
                column: "otp",
            })
    }
}

fn taken_reference(raw: &[u8]) -> Option<String> {
    serde_json::from_slice::<Stored>(raw)
        .ok()
        .map(|s| s.reference)
}

fn digest(salt: &[u8], reference: &str, code: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(reference.as_bytes());
    h.update([0]);
    h.update(code.as_bytes());
    h.finalize().into()
}

fn from_unix(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn challenge_key(subject: &str) -> String {
    format!("otp:{subject}")
}

fn sends_key(subject: &str) -> String {
    format!("otp:{subject}:sends")
}

fn tries_key(subject: &str, reference: &str) -> String {
    format!("otp:{subject}:tries:{reference}")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use async_trait::async_trait;

    use super::*;
    use pratu_storage::clock::MockClock;

    /// A minimal ephemeral store whose TTLs follow the mock clock, so these
    /// tests do not depend on a backend.
    #[derive(Debug)]
    struct FakeStore {
        clock: Arc<MockClock>,
        map: Mutex<HashMap<String, (Vec<u8>, OffsetDateTime)>>,
    }

    impl FakeStore {
        fn live(&self, key: &str) -> Option<Vec<u8>> {
            let map = self.map.lock().unwrap();
            map.get(key)
                .filter(|(_, exp)| *exp > self.clock.now())
                .map(|(v, _)| v.clone())
        }
    }

    #[async_trait]
    impl EphemeralStore for FakeStore {
        async fn put(
            &self,
            key: &str,
            value: &[u8],
            ttl: Duration,
        ) -> pratu_storage::error::Result<()> {
            let exp = self.clock.now() + ttl;
            self.map
                .lock()
                .unwrap()
                .insert(key.into(), (value.to_vec(), exp));
            Ok(())
        }
        async fn put_if_absent(
            &self,
            key: &str,
            value: &[u8],
            ttl: Duration,
        ) -> pratu_storage::error::Result<bool> {
            if self.live(key).is_some() {
                return Ok(false);
            }
            self.put(key, value, ttl).await.map(|()| true)
        }
        async fn get(&self, key: &str) -> pratu_storage::error::Result<Option<Vec<u8>>> {
            Ok(self.live(key))
        }
        async fn take(&self, key: &str) -> pratu_storage::error::Result<Option<Vec<u8>>> {
            let v = self.live(key);
            self.map.lock().unwrap().remove(key);
            Ok(v)
        }
        async fn delete(&self, key: &str) -> pratu_storage::error::Result<bool> {
            let v = self.live(key);
            self.map.lock().unwrap().remove(key);
            Ok(v.is_some())
        }
        async fn incr(&self, key: &str, window: Duration) -> pratu_storage::error::Result<u64> {
            let n = self
                .live(key)
                .map_or(0, |v| u64::from_le_bytes(v.try_into().unwrap()))
                + 1;
            let mut map = self.map.lock().unwrap();
            let exp = match map.get(key) {
                Some((_, exp)) if *exp > self.clock.now() => *exp,
                _ => self.clock.now() + window,
            };
            map.insert(key.into(), (n.to_le_bytes().to_vec(), exp));
            Ok(n)
        }
        async fn incr_sliding(&self, _: &str, _: Duration) -> pratu_storage::error::Result<u64> {
            unimplemented!()
        }
        async fn set_add(&self, _: &str, _: &str, _: Duration) -> pratu_storage::error::Result<()> {
            unimplemented!()
        }
        async fn set_members(&self, _: &str) -> pratu_storage::error::Result<Vec<String>> {
            unimplemented!()
        }
        async fn ping(&self) -> pratu_storage::error::Result<()> {
            Ok(())
        }
        async fn publish(&self, _: &str) -> pratu_storage::error::Result<()> {
            unimplemented!()
        }
        fn subscribe(&self, _: &str) -> Option<Arc<pratu_storage::ephemeral::Notices>> {
            unimplemented!()
        }
        fn backend(&self) -> &'static str {
            "fake"
        }
    }

    fn setup() -> (OtpService, Arc<MockClock>, Arc<FakeStore>) {
        let clock = Arc::new(MockClock::default());
        let store = Arc::new(FakeStore {
            clock: clock.clone(),
            map: Mutex::new(HashMap::new()),
        });
        let otp = OtpService::new(
            store.clone(),
            clock.clone(),
            crate::random::OsRandom::shared(),
            OtpPolicy::default(),
        );
        (otp, clock, store)
    }

    fn wrong(code: &str) -> String {
        let n: u32 = code.parse().unwrap();
        format!("{:06}", (n + 1) % 1_000_000)
    }

    #[tokio::test]
    async fn an_issued_code_verifies_once() {
        let (otp, _, _) = setup();
        let issued = otp.issue("enroll:1", "+66812345678").await.unwrap();
        assert_eq!(issued.expose_code().len(), 6);
        assert!(issued.expose_code().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(issued.reference().len(), 4);
        assert!(
            issued
                .reference()
                .bytes()
                .all(|b| REF_ALPHABET.contains(&b))
        );
        let code = issued.expose_code().to_owned();
        assert_eq!(
            otp.verify("enroll:1", "+66812345678", &code).await.unwrap(),
            OtpOutcome::Verified
        );
        assert_eq!(
            otp.verify("enroll:1", "+66812345678", &code).await.unwrap(),
            OtpOutcome::NoChallenge
        );
    }

    #[tokio::test]
    async fn only_a_hash_of_the_code_is_stored() {
        let (otp, _, store) = setup();
        let issued = otp.issue("enroll:1", "+66812345678").await.unwrap();
        let raw = store.live("otp:enroll:1").unwrap();
        let text = String::from_utf8(raw).unwrap();
        assert!(!text.contains(issued.expose_code()));
        assert!(!text.contains("+66812345678"));
        assert!(!format!("{issued:?}").contains(issued.expose_code()));
    }

    #[tokio::test]
    async fn the_sms_text_carries_code_reference_and_validity() {
        let (otp, _, _) = setup();
        let issued = otp.issue("s", "b").await.unwrap();
        assert_eq!(
            issued.sms_text(),
            format!(
                "Pratu OTP {} (Ref: {}) valid 5 min",
                issued.expose_code(),
                issued.reference()
            )
        );
    }

    #[tokio::test]
    async fn a_wrong_code_counts_down_then_locks_even_the_right_one() {
        let (otp, _, _) = setup();
        let issued = otp.issue("s", "b").await.unwrap();
        let bad = wrong(issued.expose_code());
        for left in (1..=4).rev() {
            assert_eq!(
                otp.verify("s", "b", &bad).await.unwrap(),
                OtpOutcome::Invalid {
                    attempts_left: left
                }
            );
        }
        assert_eq!(
            otp.verify("s", "b", &bad).await.unwrap(),
            OtpOutcome::Locked
        );
        assert_eq!(
            otp.verify("s", "b", issued.expose_code()).await.unwrap(),
            OtpOutcome::Locked
        );
    }

    #[tokio::test]
    async fn the_right_code_on_the_last_attempt_still_verifies() {
        let (otp, _, _) = setup();
        let issued = otp.issue("s", "b").await.unwrap();
        let bad = wrong(issued.expose_code());
        for _ in 0..4 {
            otp.verify("s", "b", &bad).await.unwrap();
        }
        assert_eq!(
            otp.verify("s", "b", issued.expose_code()).await.unwrap(),
            OtpOutcome::Verified
        );
    }

    #[tokio::test]
    async fn a_code_expires_by_the_clock() {
        let (otp, clock, _) = setup();
        let issued = otp.issue("s", "b").await.unwrap();
        clock.advance(time::Duration::seconds(299));
        let pending = otp.pending("s").await.unwrap().unwrap();
        assert_eq!(pending.reference, issued.reference());
        clock.advance(time::Duration::seconds(1));
        assert_eq!(
            otp.verify("s", "b", issued.expose_code()).await.unwrap(),
            OtpOutcome::Expired
        );
    }

    #[tokio::test]
    async fn a_code_only_confirms_what_it_was_sent_for() {
        let (otp, _, _) = setup();
        let issued = otp.issue("s", "+66812345678").await.unwrap();
        assert_eq!(
            otp.verify("s", "+66899999999", issued.expose_code())
                .await
                .unwrap(),
            OtpOutcome::NoChallenge
        );
        assert_eq!(
            otp.verify("other", "+66812345678", issued.expose_code())
                .await
                .unwrap(),
            OtpOutcome::NoChallenge
        );
    }

    #[tokio::test]
    async fn a_resend_waits_for_the_cooldown_and_voids_the_old_code() {
        let (otp, clock, _) = setup();
        let first = otp.issue("s", "b").await.unwrap();
        clock.advance(time::Duration::seconds(30));
        match otp.issue("s", "b").await {
            Err(OtpError::Cooldown { retry_after }) => {
                assert_eq!(retry_after, Duration::from_secs(30))
            }
            other => panic!("expected cooldown, got {other:?}"),
        }
        clock.advance(time::Duration::seconds(30));
        let second = otp.issue("s", "b").await.unwrap();
        if first.expose_code() != second.expose_code() {
            assert_eq!(
                otp.verify("s", "b", first.expose_code()).await.unwrap(),
                OtpOutcome::Invalid { attempts_left: 4 }
            );
        }
        assert_eq!(
            otp.verify("s", "b", second.expose_code()).await.unwrap(),
            OtpOutcome::Verified
        );
    }

    #[tokio::test]
    async fn a_resend_gives_fresh_attempts_after_a_lock() {
        let (otp, clock, _) = setup();
        let first = otp.issue("s", "b").await.unwrap();
        let bad = wrong(first.expose_code());
        for _ in 0..5 {
            otp.verify("s", "b", &bad).await.unwrap();
        }
        clock.advance(time::Duration::seconds(60));
        let second = otp.issue("s", "b").await.unwrap();
        assert_eq!(
            otp.verify("s", "b", second.expose_code()).await.unwrap(),
            OtpOutcome::Verified
        );
    }

    #[tokio::test]
    async fn sends_are_capped_per_window() {
        let (otp, clock, _) = setup();
        for _ in 0..5 {
            otp.issue("s", "b").await.unwrap();
            clock.advance(time::Duration::seconds(60));
        }
        assert!(matches!(
            otp.issue("s", "b").await,
            Err(OtpError::TooManySends)
        ));
        clock.advance(time::Duration::hours(24));
        assert!(otp.issue("s", "b").await.is_ok());
    }

    #[tokio::test]
    async fn cancel_voids_the_challenge_and_nothing_pending_is_none() {
        let (otp, _, _) = setup();
        assert_eq!(otp.pending("s").await.unwrap(), None);
        let issued = otp.issue("s", "b").await.unwrap();
        otp.cancel("s").await.unwrap();
        assert_eq!(
            otp.verify("s", "b", issued.expose_code()).await.unwrap(),
            OtpOutcome::NoChallenge
        );
        assert_eq!(
            otp.verify("s", "b", "000000").await.unwrap(),
            OtpOutcome::NoChallenge
        );
    }

    #[tokio::test]
    async fn of_two_concurrent_right_guesses_exactly_one_verifies() {
        let (otp, _, _) = setup();
        let issued = otp.issue("s", "b").await.unwrap();
        let (a, b) = tokio::join!(
            otp.verify("s", "b", issued.expose_code()),
            otp.verify("s", "b", issued.expose_code())
        );
        let verified = [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|o| **o == OtpOutcome::Verified)
            .count();
        assert_eq!(verified, 1);
    }
}

//! Time-based one-time passwords (RFC 6238) for authenticator apps: HMAC-
//! SHA-1, 6 digits, 30-second steps — the only parameters every app reads
//! from an `otpauth://` URI alike — with one step of clock skew either
//! way. A code is accepted once: the caller keeps the last step used and
//! passes it back, and a code of that step or an earlier one is refused,
//! so a code seen over a shoulder or replayed from a phishing page within
//! its window gets nothing.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::random::Random;

/// Seconds per step.
pub const PERIOD: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps of clock skew accepted on either side of now.
pub const SKEW_STEPS: i64 = 1;
/// 160 bits: RFC 4226 §4 recommends it, and it is HMAC-SHA-1's block.
pub const SECRET_BYTES: usize = 20;

/// A shared secret, kept from the log and wiped on drop.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        random.fill_bytes(&mut bytes);
        Self(Zeroizing::new(bytes))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 base32 without padding: what authenticator apps take for
    /// manual entry and in the URI.
    pub fn base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The `otpauth://totp/…` URI an app scans from the QR code (Key Uri
    /// Format: issuer both as the label's prefix and as a parameter).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let enc = url_encode;
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
            enc(issuer),
            enc(account),
            self.base32(),
            enc(issuer)
        )
    }

    /// The code of `step` (HOTP of the step counter, RFC 4226 §5.3).
    pub fn code_at_step(&self, step: i64) -> String {
        let value = hotp(&self.0, step as u64);
        format!(
            "{:0width$}",
            value % 10u32.pow(DIGITS),
            width = DIGITS as usize
        )
    }

    /// The step of `unix` seconds.
    pub fn step_of(unix: i64) -> i64 {
        unix.div_euclid(PERIOD)
    }

    /// The step `code` belongs to, if it is a code of now (± the skew)
    /// newer than `last_used` — the caller stores the step and passes it
    /// back next time, which is what makes a code single-use. Every
    /// candidate is compared in constant time.
    pub fn verify(&self, code: &str, unix: i64, last_used: Option<i64>) -> Option<i64> {
        if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let now = Self::step_of(unix);
        let mut found = None;
        for step in (now - SKEW_STEPS)..=(now + SKEW_STEPS) {
            let expected = self.code_at_step(step);
            let matches: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            if matches && last_used.is_none_or(|last| step > last) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

/// HOTP's dynamic truncation of HMAC-SHA-1 over the counter (RFC 4226
/// §5.3), before the modulus.
fn hotp(key: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(key) else {
        // HMAC takes keys of any length; this cannot fail.
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ])
}

/// Percent-encodes everything but RFC 3986 unreserved characters (a label
/// may hold a colon or spaces).
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B's SHA-1 key.
    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    /// RFC 6238 Appendix B, SHA-1: the 8-digit values, of which a 6-digit
    /// code is the last six digits (the same truncated number, modulo
    /// 10^6).
    #[test]
    fn the_rfc_6238_sha1_test_vectors() {
        let vectors = [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ];
        let s = rfc_secret();
        for (time, eight) in vectors {
            let step = TotpSecret::step_of(time);
            assert_eq!(
                hotp(s.as_bytes(), step as u64) % 100_000_000,
                eight.parse::<u32>().unwrap(),
                "T = {time}"
            );
            assert_eq!(s.code_at_step(step), eight[2..], "T = {time}");
        }
    }

    #[test]
    fn one_step_of_skew_either_way_and_no_more() {
        let s = rfc_secret();
        let now = 1_234_567_890;
        let step = TotpSecret::step_of(now);
        for d in -1..=1 {
            let code = s.code_at_step(step + d);
            assert_eq!(s.verify(&code, now, None), Some(step + d), "skew {d}");
        }
        for d in [-2, 2] {
            let code = s.code_at_step(step + d);
            assert_eq!(s.verify(&code, now, None), None, "skew {d}");
        }
    }

    #[test]
    fn a_code_is_accepted_once() {
        let s = rfc_secret();
        let now = 1_234_567_890;
        let code = s.code_at_step(TotpSecret::step_of(now));
        let used = s.verify(&code, now, None).unwrap();
        assert_eq!(s.verify(&code, now, Some(used)), None, "replayed");
        assert_eq!(s.verify(&code, now + 15, Some(used)), None, "same window");
        // An older code after a newer one was used: refused too.
        let older = s.code_at_step(used - 1);
        assert_eq!(s.verify(&older, now, Some(used)), None);
        // The next step's code is fine.
        let next = s.code_at_step(used + 1);
        assert_eq!(s.verify(&next, now + PERIOD, Some(used)), Some(used + 1));
    }

    #[test]
    fn malformed_codes_are_refused() {
        let s = rfc_secret();
        for code in ["", "12345", "1234567", "12345a", " 123456", "１２３４５６"] {
            assert_eq!(s.verify(code, 59, None), None, "{code:?}");
        }
    }

    #[test]
    fn the_uri_names_issuer_account_and_parameters() {
        let s = rfc_secret();
        assert_eq!(s.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            s.otpauth_uri("Pratu Digital ID", "somchai87"),
            "otpauth://totp/Pratu%20Digital%20ID:somchai87?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=Pratu%20Digital%20ID&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(format!("{s:?}"), "TotpSecret(..)");
    }

    #[test]
    fn generated_secrets_are_160_random_bits() {
        let a = TotpSecret::generate(&crate::random::OsRandom);
        let b = TotpSecret::generate(&crate::random::OsRandom);
        assert_eq!(a.as_bytes().len(), SECRET_BYTES);
        assert_ne!(a.as_bytes(), b.as_bytes());
    }
}

//! Authenticator-app codes (TOTP, RFC 6238) and the recovery codes that
//! stand in for a lost device.
//!
//! The parameters are the ones every authenticator app understands without
//! asking: HMAC-SHA-1, six digits, 30-second steps. A code is accepted for
//! the step before and after the current one (phone clocks drift), and only
//! for a step later than the last one accepted for the account, so a code
//! seen over a shoulder or phished cannot be played again within its window.
//! The caller stores that step with compare-and-set so two parallel uses of
//! one code cannot both pass.

use std::fmt;

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::random::Random;

/// The additional authenticated data TOTP secrets are sealed with (by the
/// PII cipher, like the citizen ID): a sealed citizen ID cannot be passed
/// off as a secret, or the reverse. The account service seals, the sign-in
/// opens.
pub const SECRET_AAD: &[u8] = b"totp_secret";

/// Seconds per step.
pub const PERIOD: u64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of the current one.
pub const SKEW: u64 = 1;
/// 160 bits: the HMAC-SHA-1 block-size-friendly length RFC 4226 §4
/// recommends.
pub const SECRET_LEN: usize = 20;
/// Recovery codes made at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Characters of a recovery code (without the hyphens).
const RECOVERY_CODE_LEN: usize = 16;
/// 32 lower-case letters and digits without the look-alikes `0 o 1 l`: five
/// bits a character, so a code carries 80 bits.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";

/// The shared secret of one authenticator app. Never logged.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// A fresh secret from the CSPRNG.
    pub fn generate(random: &dyn Random) -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; SECRET_LEN]);
        random.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// A secret read back from storage (after decryption).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Self(Zeroizing::new(bytes.to_vec()))
    }

    /// A secret as an app reads it from the QR code or the typed text
    /// (RFC 4648 base32, padding and case as they come); `None` if it is
    /// not base32.
    pub fn from_base32(text: &str) -> Option<Self> {
        let clean: String = text
            .chars()
            .filter(|c| !matches!(c, '=' | ' '))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = BASE32_NOPAD.decode(clean.as_bytes()).ok()?;
        Some(Self(Zeroizing::new(bytes)))
    }

    /// The raw secret, to be sealed for storage.
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The secret as authenticator apps take it for manual entry: RFC 4648
    /// base32 without padding.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.0))
    }

    /// The `otpauth://` URI the QR code carries (the Key Uri Format that
    /// Google Authenticator defined and the others follow). `issuer` names
    /// the service in the app's list, `account` the account under it.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        let issuer = percent_encode(issuer);
        Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}\
             &algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
            account = percent_encode(account),
            secret = self.base32().as_str(),
        ))
    }

    /// The six-digit code of `step`.
    pub fn code_at(&self, step: u64) -> Zeroizing<String> {
        let value = hotp(&self.0, step) % 10u32.pow(DIGITS);
        Zeroizing::new(format!("{value:0width$}", width = DIGITS as usize))
    }

    /// The step whose code `code` is, if it is one of the steps around `now`
    /// (±[`SKEW`]) and later than `last_used_step` (replay refused). The
    /// comparison is constant-time; every candidate step is computed and
    /// compared whatever the outcome.
    pub fn verify(
        &self,
        code: &str,
        now: OffsetDateTime,
        last_used_step: Option<u64>,
    ) -> Option<u64> {
        let code = normalize_code(code)?;
        let current = step_of(now);
        let mut found = None;
        for step in current.saturating_sub(SKEW)..=current.saturating_add(SKEW) {
            let expected = self.code_at(step);
            let matches: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
            let fresh = last_used_step.is_none_or(|last| step > last);
            if matches && fresh && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

/// The step `now` falls in (Unix time / [`PERIOD`]); 0 before 1970.
pub fn step_of(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0) / PERIOD
}

/// RFC 4226 HOTP before the final modulo: the 31-bit dynamically truncated
/// HMAC-SHA-1 of the counter.
fn hotp(key: &[u8], counter: u64) -> u32 {
    // HMAC takes keys of any length; `new_from_slice` fails for none.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(key) else {
        return 0;
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let word = [
        digest[offset],
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ];
    u32::from_be_bytes(word) & 0x7fff_ffff
}

/// Six ASCII digits, spaces (apps show `123 456`) removed; `None` otherwise.
fn normalize_code(code: &str) -> Option<Zeroizing<String>> {
    let code: Zeroizing<String> = Zeroizing::new(code.chars().filter(|c| *c != ' ').collect());
    (code.len() == DIGITS as usize && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// RFC 3986 percent-encoding of everything but the unreserved characters,
/// for the URI's label and issuer.
fn percent_encode(s: &str) -> String {
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

/// A fresh set of [`RECOVERY_CODE_COUNT`] recovery codes, each 16
/// characters in groups of four (`abcd-efgh-jkmn-pqrs`), shown once.
pub fn generate_recovery_codes(random: &dyn Random) -> Vec<Zeroizing<String>> {
    (0..RECOVERY_CODE_COUNT)
        .map(|_| {
            let mut code = Zeroizing::new(String::with_capacity(RECOVERY_CODE_LEN + 3));
            for i in 0..RECOVERY_CODE_LEN {
                if i > 0 && i % 4 == 0 {
                    code.push('-');
                }
                let idx = random.below(RECOVERY_ALPHABET.len() as u32) as usize;
                code.push(char::from(RECOVERY_ALPHABET[idx]));
            }
            code
        })
        .collect()
}

/// What is stored of a recovery code: SHA-256 of its normalized form
/// (lower case, without hyphens or spaces), or `None` for input that cannot
/// be a recovery code.
///
/// A fast unsalted hash is enough here, unlike for passwords: each code
/// carries 80 bits from the CSPRNG, so a stolen table cannot be reversed by
/// guessing (2⁸⁰ hashes), and equal digests can only mean equal codes,
/// which lets storage find and consume a code by its digest in one
/// statement.
pub fn recovery_code_digest(code: &str) -> Option<[u8; 32]> {
    let normalized: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| !matches!(c, '-' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
    let ok = normalized.len() == RECOVERY_CODE_LEN
        && normalized.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
    ok.then(|| Sha256::digest(normalized.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SeededRandom;

    /// RFC 6238 Appendix B: the SHA-1 seed is the ASCII "12345678901234567890".
    const RFC_SEED: &[u8] = b"12345678901234567890";

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).unwrap()
    }

    /// (time, 8-digit TOTP) of RFC 6238 Appendix B, SHA-1 rows.
    const RFC_VECTORS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];

    #[test]
    fn rfc_6238_sha1_vectors_eight_digits() {
        for (t, expected) in RFC_VECTORS {
            let value = hotp(RFC_SEED, step_of(at(t))) % 100_000_000;
            assert_eq!(format!("{value:08}"), expected, "t = {t}");
        }
    }

    #[test]
    fn rfc_6238_sha1_vectors_truncated_to_six_digits() {
        let secret = TotpSecret::from_bytes(RFC_SEED);
        for (t, expected) in RFC_VECTORS {
            assert_eq!(secret.code_at(step_of(at(t))).as_str(), &expected[2..]);
            assert_eq!(
                secret.verify(&expected[2..], at(t), None),
                Some(step_of(at(t)))
            );
        }
    }

    #[test]
    fn the_steps_either_side_are_accepted_and_no_further() {
        let secret = TotpSecret::from_bytes(RFC_SEED);
        let now = at(1_234_567_890);
        let step = step_of(now);
        for delta in [-1i64, 0, 1] {
            let s = step.checked_add_signed(delta).unwrap();
            assert_eq!(secret.verify(&secret.code_at(s), now, None), Some(s));
        }
        for delta in [-3i64, -2, 2, 3] {
            let s = step.checked_add_signed(delta).unwrap();
            assert_eq!(secret.verify(&secret.code_at(s), now, None), None);
        }
    }

    #[test]
    fn a_code_of_the_last_used_step_or_before_is_refused() {
        let secret = TotpSecret::from_bytes(RFC_SEED);
        let now = at(1_234_567_890);
        let step = step_of(now);
        let code = secret.code_at(step);
        assert_eq!(secret.verify(&code, now, None), Some(step));
        assert_eq!(secret.verify(&code, now, Some(step)), None);
        assert_eq!(secret.verify(&code, now, Some(step + 1)), None);
        // The step before the last used one is refused even inside the window,
        let previous = secret.code_at(step - 1);
        assert_eq!(secret.verify(&previous, now, Some(step - 1)), None);
        // the next one still passes.
        let next = secret.code_at(step + 1);
        assert_eq!(secret.verify(&next, now, Some(step)), Some(step + 1));
    }

    #[test]
    fn malformed_codes_are_refused_and_spaces_are_ignored() {
        let secret = TotpSecret::from_bytes(RFC_SEED);
        let now = at(59);
        assert_eq!(secret.verify("287 082", now, None), Some(1));
        for bad in ["", "28708", "2870822", "28708a", "94287082", "２８７０８２"] {
            assert_eq!(secret.verify(bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn generated_secrets_are_160_bits_and_their_uri_names_issuer_and_account() {
        let random = SeededRandom::new(1);
        let a = TotpSecret::generate(&random);
        let b = TotpSecret::generate(&random);
        assert_eq!(a.expose_bytes().len(), 20);
        assert_ne!(a.expose_bytes(), b.expose_bytes());
        assert_eq!(a.base32().len(), 32);
        let typed = a.base32().to_lowercase();
        let back = TotpSecret::from_base32(&typed).unwrap();
        assert_eq!(back.expose_bytes(), a.expose_bytes());
        assert!(TotpSecret::from_base32("not base32!").is_none());
        assert!(!a.base32().contains('='));
        let uri = a.otpauth_uri("Pratu", "somchai.j");
        assert_eq!(
            uri.as_str(),
            format!(
                "otpauth://totp/Pratu:somchai.j?secret={}&issuer=Pratu&algorithm=SHA1&digits=6&period=30",
                a.base32().as_str()
            )
        );
        assert!(
            a.otpauth_uri("My IdP", "a b")
                .starts_with("otpauth://totp/My%20IdP:a%20b?")
        );
        assert_eq!(format!("{a:?}"), "TotpSecret([redacted])");
    }

    #[test]
    fn recovery_codes_are_ten_distinct_grouped_and_match_their_digest_only() {
        let random = SeededRandom::new(2);
        let codes = generate_recovery_codes(&random);
        assert_eq!(codes.len(), 10);
        let digests: std::collections::HashSet<_> = codes
            .iter()
            .map(|c| recovery_code_digest(c).unwrap())
            .collect();
        assert_eq!(digests.len(), 10);
        let first = codes[0].as_str();
        assert_eq!(first.len(), 19);
        assert_eq!(first.matches('-').count(), 3);
        // What a person types back: upper case, spaces, no hyphens.
        let typed = first.replace('-', " ").to_uppercase();
        assert_eq!(recovery_code_digest(&typed), recovery_code_digest(first));
        assert_eq!(recovery_code_digest("123456"), None);
        assert_eq!(recovery_code_digest("0000-0000-0000-0000"), None);
    }
}

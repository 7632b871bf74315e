//! What an authorization code is on the wire: 16 random bytes, its expiry
//! (Unix seconds) and a tag over both (HMAC-SHA-256 under the server key,
//! first 16 bytes), base64url: 54 characters.
//!
//! The tag lets the token endpoint recognise a code it issued after the
//! code's entry is gone. A code presented again within its lifetime is a
//! replay (RFC 6749 §4.1.2), and what its redemption issued is revoked: the
//! access token's `jti` and the refresh family's id are derived from the
//! code under the same key, so nothing is kept per redeemed code. (A marker
//! per redemption was kept for the code's lifetime before: under a burst of
//! sign-ins, most of a node's memory.) A made-up code fails the tag and
//! costs nothing more.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use pratu_core::Random;
use pratu_core::pii::SecretKey;
use sha2::Sha256;
use uuid::Uuid;

const RANDOM_LEN: usize = 16;
const TAG_LEN: usize = 16;
const RAW_LEN: usize = RANDOM_LEN + 8 + TAG_LEN;

fn mac(key: &SecretKey, label: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(label);
    mac
}

/// A new code that expires at `expires_at` (Unix seconds).
pub(crate) fn issue(random: &dyn Random, key: &SecretKey, expires_at: i64) -> String {
    let mut raw = [0u8; RAW_LEN];
    random.fill_bytes(&mut raw[..RANDOM_LEN]);
    raw[RANDOM_LEN..RANDOM_LEN + 8].copy_from_slice(&expires_at.to_be_bytes());
    let mut tag = mac(key, b"pratu.code.tag");
    tag.update(&raw[..RANDOM_LEN + 8]);
    let tag = tag.finalize().into_bytes();
    raw[RANDOM_LEN + 8..].copy_from_slice(&tag[..TAG_LEN]);
    B64.encode(raw)
}

/// The code's bytes and the expiry written in them, unverified; `None` for
/// anything not of this format.
fn decode(code: &str) -> Option<([u8; RAW_LEN], i64)> {
    let raw: [u8; RAW_LEN] = B64.decode(code).ok()?.try_into().ok()?;
    let exp: [u8; 8] = raw[RANDOM_LEN..RANDOM_LEN + 8].try_into().ok()?;
    Some((raw, i64::from_be_bytes(exp)))
}

/// If `code` is one this server issued, when it expires (Unix seconds).
/// `None` for anything else, including codes of the previous format
/// (random bytes alone).
pub(crate) fn issued_expiry(key: &SecretKey, code: &str) -> Option<i64> {
    let (raw, exp) = decode(code)?;
    let (signed, tag) = raw.split_at(RANDOM_LEN + 8);
    let mut expected = mac(key, b"pratu.code.tag");
    expected.update(signed);
    expected.verify_truncated_left(tag).ok()?;
    Some(exp)
}

/// What redeeming `code` issues, derived from it: the access token's `jti`
/// and the id of the refresh family (if one is issued).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    pub jti: String,
    pub family_id: Uuid,
}

/// The family id is a UUIDv7 whose time is the code's expiry: families
/// created together sort together, so a new family's row lands where the
/// last ones did (random ids made every sign-in write a random leaf of the
/// families' table, ~15 % more server CPU per sign-in on SQLite). The
/// expiry is read without checking the tag: it only places the row, and
/// callers have the code from the store or have checked it. A code of the
/// previous format (no expiry in it, and no replay detection) takes the
/// time of `now`.
pub(crate) fn issued_by(key: &SecretKey, code: &str, now: i64) -> Issued {
    let mut d = mac(key, b"pratu.code.issued");
    d.update(code.as_bytes());
    let d = d.finalize().into_bytes();
    let mut random = [0u8; 10];
    random.copy_from_slice(&d[16..26]);
    let seconds = decode(code).map_or(now, |(_, exp)| exp);
    let millis = u64::try_from(seconds).unwrap_or(0).saturating_mul(1000);
    Issued {
        jti: B64.encode(&d[..16]),
        family_id: uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_core::OsRandom;

    fn key() -> SecretKey {
        SecretKey::generate("oidc")
    }

    #[test]
    fn an_issued_code_carries_its_expiry_under_a_tag() {
        let key = key();
        let code = issue(&OsRandom, &key, 1_767_225_660);
        assert_eq!(code.len(), 54);
        assert_eq!(issued_expiry(&key, &code), Some(1_767_225_660));
        assert_ne!(
            code,
            issue(&OsRandom, &key, 1_767_225_660),
            "the rest is random"
        );
    }

    #[test]
    fn other_keys_tampered_codes_and_old_codes_are_not_ours() {
        let key = key();
        let code = issue(&OsRandom, &key, 1_767_225_660);
        assert_eq!(issued_expiry(&SecretKey::generate("other"), &code), None);
        let mut raw = B64.decode(&code).unwrap();
        raw[RANDOM_LEN + 7] ^= 1; // a later expiry
        assert_eq!(issued_expiry(&key, &B64.encode(&raw)), None);
        let old = crate::clients::random_token(&OsRandom, 32);
        assert_eq!(issued_expiry(&key, &old), None);
        assert_eq!(issued_expiry(&key, "not a code"), None);
    }

    #[test]
    fn what_a_code_issues_is_fixed_by_the_code_and_the_key() {
        let key = key();
        let code = issue(&OsRandom, &key, 1_767_225_660);
        let issued = issued_by(&key, &code, 1);
        assert_eq!(issued, issued_by(&key, &code, 2), "now is not used");
        assert_eq!(issued.jti.len(), 22);
        assert_eq!(issued.family_id.get_version_num(), 7);
        let (seconds, _) = issued.family_id.get_timestamp().unwrap().to_unix();
        assert_eq!(seconds, 1_767_225_660);
        assert_ne!(
            issued,
            issued_by(&key, &issue(&OsRandom, &key, 1_767_225_660), 1)
        );
        assert_ne!(issued, issued_by(&SecretKey::generate("other"), &code, 1));
        let old = crate::clients::random_token(&OsRandom, 32);
        let (seconds, _) = issued_by(&key, &old, 42)
            .family_id
            .get_timestamp()
            .unwrap()
            .to_unix();
        assert_eq!(seconds, 42);
    }
}

//! CSRF protection for Pratu's own forms (login, consent, logout, OTP): a
//! random per-browser cookie, and in each form an HMAC binding that cookie
//! to the form's purpose (e.g. the pending authorization request). A forged
//! cross-site post has neither the cookie value nor the server key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use pratu_storage::pii::SecretKey;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

pub(crate) const COOKIE: &str = "pratu_csrf";

pub(crate) fn token(key: &SecretKey, browser: &str, purpose: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_bytes()) else {
        return String::new();
    };
    mac.update(b"pratu.csrf\0");
    mac.update(browser.as_bytes());
    mac.update(b"\0");
    mac.update(purpose.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

pub(crate) fn verify(
    key: &SecretKey,
    browser: Option<&str>,
    purpose: &str,
    presented: Option<&str>,
) -> bool {
    match (browser, presented) {
        (Some(b), Some(p)) if !b.is_empty() => {
            let expected = token(key, b, purpose);
            !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(p.as_bytes()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_browser_and_purpose() {
        let k = SecretKey::generate("k");
        let t = token(&k, "browser1", "req1");
        assert!(verify(&k, Some("browser1"), "req1", Some(&t)));
        assert!(!verify(&k, Some("browser2"), "req1", Some(&t)));
        assert!(!verify(&k, Some("browser1"), "req2", Some(&t)));
        assert!(!verify(&k, None, "req1", Some(&t)));
        assert!(!verify(&k, Some("browser1"), "req1", None));
    }
}

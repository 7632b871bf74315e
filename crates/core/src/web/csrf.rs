//! The one CSRF scheme of every Pratu form (wizard, sign-in, consent,
//! step-up, logout, console).
//!
//! A form carries `HMAC(key, binding ‖ purpose)`: the binding is a value
//! only this browser holds in an HttpOnly cookie (a random CSRF cookie, or
//! the console's session handle) and the purpose names what the form does
//! (the pending authorization request, `enrollment`, `revoke-consent:…`). A
//! cross-site post has neither the cookie's value nor the key, so it cannot
//! make a token; a token taken from one form does not fit another. No
//! server-side state: any node checks it. Each surface uses a key of its
//! own, derived from the server key.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::cookies::CookieDef;
use crate::pii::SecretKey;
use crate::random::Random;

/// Bytes of a fresh browser binding (the CSRF cookie's value).
const BINDING_BYTES: usize = 32;
/// Longest binding read back from a cookie; longer is not ours.
const MAX_BINDING_LEN: usize = 64;

/// Makes and checks CSRF tokens under one key.
#[derive(Debug, Clone)]
pub struct Csrf {
    key: SecretKey,
}

impl Csrf {
    pub fn new(key: SecretKey) -> Self {
        Self { key }
    }

    /// A fresh value for a browser's CSRF cookie.
    pub fn new_binding(random: &dyn Random) -> String {
        random.token(BINDING_BYTES)
    }

    /// Whether a cookie value can be a binding (bounded, not empty).
    pub fn is_binding(value: &str) -> bool {
        !value.is_empty() && value.len() <= MAX_BINDING_LEN
    }

    /// The token for forms of `purpose` in the browser holding `binding`.
    pub fn token(&self, binding: &str, purpose: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(b"pratu.csrf\0");
        mac.update(binding.as_bytes());
        mac.update(b"\0");
        mac.update(purpose.as_bytes());
        B64.encode(mac.finalize().into_bytes())
    }

    /// Whether `presented` is the token for `purpose` in the browser holding
    /// `binding`; compared in constant time. No binding, no token: false.
    pub fn verify(&self, binding: Option<&str>, purpose: &str, presented: Option<&str>) -> bool {
        match (binding, presented) {
            (Some(b), Some(p)) if Self::is_binding(b) => {
                bool::from(self.token(b, purpose).as_bytes().ct_eq(p.as_bytes()))
            }
            _ => false,
        }
    }
}

/// The CSRF cookie of the provider's pages: a binding for the whole origin.
pub const COOKIE: CookieDef = CookieDef::host("pratu_csrf");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::OsRandom;

    #[test]
    fn a_token_verifies_only_for_its_binding_purpose_and_key() {
        let csrf = Csrf::new(SecretKey::generate("k"));
        let b = Csrf::new_binding(&OsRandom);
        let t = csrf.token(&b, "req1");
        assert!(csrf.verify(Some(&b), "req1", Some(&t)));
        assert!(!csrf.verify(Some(&Csrf::new_binding(&OsRandom)), "req1", Some(&t)));
        assert!(!csrf.verify(Some(&b), "req2", Some(&t)));
        assert!(!csrf.verify(None, "req1", Some(&t)));
        assert!(!csrf.verify(Some(&b), "req1", None));
        assert!(!csrf.verify(Some(""), "req1", Some(&csrf.token("", "req1"))));
        let other = Csrf::new(SecretKey::generate("k2"));
        assert!(!other.verify(Some(&b), "req1", Some(&t)));
    }

    #[test]
    fn an_overlong_binding_is_refused() {
        let csrf = Csrf::new(SecretKey::generate("k"));
        let long = "a".repeat(MAX_BINDING_LEN + 1);
        let t = csrf.token(&long, "p");
        assert!(!csrf.verify(Some(&long), "p", Some(&t)));
    }
}

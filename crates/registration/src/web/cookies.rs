//! The wizard's cookies and CSRF tokens.
//!
//! - `pratu_enrollment`: the enrollment id (the citizen's handle on it),
//!   `HttpOnly; SameSite=Lax; Path=/register`, `Secure` unless the issuer is
//!   loopback http.
//! - `pratu_csrf`: a random value; every form carries HMAC(server key,
//!   value) and a POST is accepted only when the two agree (a signed
//!   double-submit token, so no server-side session is needed and any node
//!   can check it).
//! - `pratu_lang`: `th` or `en`.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const ENROLLMENT: &str = "pratu_enrollment";
pub const CSRF: &str = "pratu_csrf";
pub const LANG: &str = "pratu_lang";

/// The value of cookie `name` in the request.
pub fn get(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value.
pub fn set(
    name: &str,
    value: &str,
    path: &str,
    max_age: Option<u64>,
    secure: bool,
) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).ok()
}

pub fn clear(name: &str, path: &str, secure: bool) -> Option<HeaderValue> {
    set(name, "", path, Some(0), secure)
}

/// A fresh random cookie value for [`CSRF`].
pub fn new_csrf_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The form token for a cookie value.
pub fn csrf_token(key: &[u8], secret: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(b"pratu-register-csrf\0");
    mac.update(secret.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether a form's token matches the cookie (constant time).
pub fn csrf_ok(key: &[u8], secret: Option<&str>, token: &str) -> bool {
    let Some(secret) = secret else {
        return false;
    };
    let want = csrf_token(key, secret);
    !want.is_empty() && bool::from(want.as_bytes().ct_eq(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_their_cookie_and_key() {
        let key = [1u8; 32];
        let secret = new_csrf_secret();
        let token = csrf_token(&key, &secret);
        assert!(csrf_ok(&key, Some(&secret), &token));
        assert!(!csrf_ok(&key, Some(&new_csrf_secret()), &token));
        assert!(!csrf_ok(&[2u8; 32], Some(&secret), &token));
        assert!(!csrf_ok(&key, None, &token));
        assert!(!csrf_ok(&key, Some(&secret), ""));
    }

    #[test]
    fn cookies_are_read_and_written_with_their_flags() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; pratu_lang=en; b=2"),
        );
        assert_eq!(get(&h, LANG).as_deref(), Some("en"));
        assert_eq!(get(&h, "missing"), None);
        let c = set(ENROLLMENT, "x", "/register", Some(60), true).unwrap();
        assert_eq!(
            c,
            "pratu_enrollment=x; Path=/register; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        let c = set(ENROLLMENT, "x", "/register", None, false).unwrap();
        assert!(!c.to_str().unwrap().contains("Secure"));
    }
}

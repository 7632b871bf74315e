//! Cookies, by hand: the session and CSRF cookies are all Pratu sets.
//!
//! On an https issuer they carry the `__Host-` prefix (Secure, Path=/, no
//! Domain: bound to this exact origin); on an `http://` loopback issuer
//! (development) the prefix and `Secure` are dropped, since browsers refuse
//! both over plain http.

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};

/// How cookies are written for this issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    /// The cookie name for `base` (e.g. `pratu_session`).
    pub fn name(self, base: &str) -> String {
        if self.secure {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/; `max_age`
    /// `None` makes a browser-session cookie, `Some(0)` deletes it.
    pub fn set(self, base: &str, value: &str, max_age: Option<u64>) -> Option<HeaderValue> {
        let mut s = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax",
            self.name(base)
        );
        if self.secure {
            s.push_str("; Secure");
        }
        if let Some(age) = max_age {
            s.push_str(&format!("; Max-Age={age}"));
        }
        HeaderValue::from_str(&s).ok()
    }

    pub fn clear(self, base: &str) -> Option<HeaderValue> {
        self.set(base, "", Some(0))
    }

    /// The value of cookie `base` in the request.
    pub fn get<'a>(self, headers: &'a HeaderMap, base: &str) -> Option<&'a str> {
        let name = self.name(base);
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches('"'))
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_issuers_get_host_prefixed_secure_cookies() {
        let p = CookiePolicy { secure: true };
        let v = p.set("pratu_session", "abc", None).unwrap();
        assert_eq!(
            v,
            "__Host-pratu_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        let p = CookiePolicy { secure: false };
        let v = p.set("pratu_session", "abc", Some(0)).unwrap();
        assert_eq!(
            v,
            "pratu_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn a_cookie_is_found_among_several() {
        let p = CookiePolicy { secure: true };
        let mut h = HeaderMap::new();
        h.append(COOKIE, "a=1; __Host-pratu_session=xyz".parse().unwrap());
        h.append(COOKIE, "pratu_session=plain".parse().unwrap());
        assert_eq!(p.get(&h, "pratu_session"), Some("xyz"));
        assert_eq!(
            CookiePolicy { secure: false }.get(&h, "pratu_session"),
            Some("plain")
        );
        assert_eq!(p.get(&h, "other"), None);
    }
}

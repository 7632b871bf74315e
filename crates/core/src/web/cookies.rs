//! How Pratu writes and reads its cookies, for every surface.
//!
//! Every cookie is `HttpOnly; SameSite=Lax` (the OIDC callback and the
//! console's return arrive by top-level redirects, which `Strict` would
//! strip) and `Secure` unless the issuer is a loopback `http://` one
//! (development: browsers refuse `Secure` over plain http). Cookies of the
//! whole origin carry the `__Host-` prefix on https (Secure, `Path=/`, no
//! `Domain`: a sibling subdomain cannot plant them); cookies scoped to one
//! surface's path cannot, and are defined with [`CookieDef::scoped`].

use std::borrow::Cow;

use axum::http::header::COOKIE;
use axum::http::{HeaderMap, HeaderValue};

/// One cookie Pratu sets: its base name, path and whether it is bound to
/// the exact origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieDef {
    name: &'static str,
    path: &'static str,
    host_prefix: bool,
}

impl CookieDef {
    /// A cookie of the whole origin: `Path=/`, `__Host-` on https.
    pub const fn host(name: &'static str) -> Self {
        Self {
            name,
            path: "/",
            host_prefix: true,
        }
    }

    /// A cookie under `path`, without a prefix (a `__Host-` cookie must
    /// have `Path=/`).
    pub const fn scoped(name: &'static str, path: &'static str) -> Self {
        Self {
            name,
            path,
            host_prefix: false,
        }
    }
}

/// How cookies are written for this issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    pub secure: bool,
}

impl CookiePolicy {
    /// The name `cookie` has on the wire.
    pub fn name(self, cookie: CookieDef) -> Cow<'static, str> {
        if self.secure && cookie.host_prefix {
            Cow::Owned(format!("__Host-{}", cookie.name))
        } else {
            Cow::Borrowed(cookie.name)
        }
    }

    /// A `Set-Cookie` value; `max_age` `None` makes a browser-session
    /// cookie, `Some(0)` deletes it. `None` only for a value that is not a
    /// valid header (never for the base64url values Pratu makes).
    pub fn set(self, cookie: CookieDef, value: &str, max_age: Option<u64>) -> Option<HeaderValue> {
        let mut s = format!(
            "{}={value}; Path={}; HttpOnly; SameSite=Lax",
            self.name(cookie),
            cookie.path
        );
        if self.secure {
            s.push_str("; Secure");
        }
        if let Some(age) = max_age {
            s.push_str(&format!("; Max-Age={age}"));
        }
        HeaderValue::from_str(&s).ok()
    }

    /// A `Set-Cookie` value that deletes `cookie`.
    pub fn clear(self, cookie: CookieDef) -> Option<HeaderValue> {
        self.set(cookie, "", Some(0))
    }

    /// The value of `cookie` in the request, if present and not empty.
    pub fn get(self, headers: &HeaderMap, cookie: CookieDef) -> Option<&str> {
        let name = self.name(cookie);
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim().trim_matches('"'))
            .filter(|v| !v.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: CookieDef = CookieDef::host("pratu_session");
    const WIZARD: CookieDef = CookieDef::scoped("pratu_enrollment", "/register");

    #[test]
    fn https_origin_cookies_get_the_host_prefix_and_secure() {
        let p = CookiePolicy { secure: true };
        assert_eq!(
            p.set(SESSION, "abc", None).unwrap(),
            "__Host-pratu_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            p.set(WIZARD, "x", Some(60)).unwrap(),
            "pratu_enrollment=x; Path=/register; HttpOnly; SameSite=Lax; Secure; Max-Age=60"
        );
    }

    #[test]
    fn a_loopback_http_issuer_drops_prefix_and_secure() {
        let p = CookiePolicy { secure: false };
        assert_eq!(
            p.clear(SESSION).unwrap(),
            "pratu_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn a_cookie_is_found_among_several_by_its_wire_name() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, "a=1; __Host-pratu_session=xyz".parse().unwrap());
        h.append(
            COOKIE,
            "pratu_session=plain; pratu_enrollment= ".parse().unwrap(),
        );
        assert_eq!(CookiePolicy { secure: true }.get(&h, SESSION), Some("xyz"));
        assert_eq!(
            CookiePolicy { secure: false }.get(&h, SESSION),
            Some("plain")
        );
        assert_eq!(CookiePolicy { secure: false }.get(&h, WIZARD), None);
    }
}

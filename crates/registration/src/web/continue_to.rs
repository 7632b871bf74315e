//! Back to the app after enrolling. The provider's sign-in page links to
//! `/register?continue=/authorize/continue?req=<id>`: the pending
//! authorization request the citizen was signing in to. The wizard keeps
//! that request's id in a cookie and, once the enrollment is confirmed,
//! offers to continue that sign-in instead of a dead end.
//!
//! The parameter is parsed strictly: exactly the provider's continue path
//! and a request id of base64url characters, nothing else (no other path,
//! no scheme or host, no further parameters). The link the result page
//! shows is rebuilt from the id, never echoed, so the parameter cannot
//! make the wizard send a citizen anywhere else (no open redirect).

use pratu_core::web::CookieDef;

/// The provider's continue step (`pratu-oidc`'s `/authorize/continue`;
/// features do not import each other, so the shape is written here).
const CONTINUE_PATH: &str = "/authorize/continue";
/// The provider's pending request ids are 16 random bytes in base64url;
/// anything longer is not one.
const MAX_ID: usize = 64;

/// The pending authorization's id, kept for the length of an enrollment.
pub const COOKIE: CookieDef = CookieDef::scoped("pratu_enroll_continue", "/register");

/// A pending sign-in to return to after enrolling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContinueTo {
    request_id: String,
}

fn is_request_id(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

impl ContinueTo {
    /// `/authorize/continue?req=<id>` (the `continue` query parameter,
    /// already percent-decoded), and nothing else.
    pub fn parse(value: &str) -> Option<Self> {
        let id = value.strip_prefix(CONTINUE_PATH)?.strip_prefix("?req=")?;
        is_request_id(id).then(|| Self {
            request_id: id.to_owned(),
        })
    }

    /// The id alone, as kept in the cookie.
    pub fn from_cookie(value: &str) -> Option<Self> {
        is_request_id(value).then(|| Self {
            request_id: value.to_owned(),
        })
    }

    pub fn cookie_value(&self) -> &str {
        &self.request_id
    }

    /// The same-origin link that continues the sign-in, in the wizard's
    /// language, the new username filled in on the sign-in page.
    pub fn url(&self, username: &str, lang: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("req", &self.request_id);
        if !username.is_empty() {
            q.append_pair("login_hint", username);
        }
        q.append_pair("lang", lang);
        format!("{CONTINUE_PATH}?{}", q.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_providers_continue_step_is_accepted() {
        let c = ContinueTo::parse("/authorize/continue?req=AbC_d-09").unwrap();
        assert_eq!(c.cookie_value(), "AbC_d-09");
        assert_eq!(
            c.url("somchai", "th"),
            "/authorize/continue?req=AbC_d-09&login_hint=somchai&lang=th"
        );
        for bad in [
            "https://evil.example/authorize/continue?req=abc",
            "//evil.example/authorize/continue?req=abc",
            "/authorize/continue?req=abc&redirect_uri=https://evil.example",
            "/authorize/continue?req=abc#x",
            "/authorize/continue?req=",
            "/authorize/continue?req=a/b",
            "/authorize/continue?req=a%2Fb",
            "/authorize/continue/../../x?req=abc",
            "/authorize?req=abc",
            "/login?req=abc",
            "javascript:alert(1)",
            "",
        ] {
            assert!(ContinueTo::parse(bad).is_none(), "{bad}");
        }
        let long = format!("/authorize/continue?req={}", "a".repeat(MAX_ID + 1));
        assert!(ContinueTo::parse(&long).is_none());
    }

    #[test]
    fn a_cookie_value_is_held_to_the_same_shape() {
        assert!(ContinueTo::from_cookie("abc_DEF-1").is_some());
        assert!(ContinueTo::from_cookie("a b").is_none());
        assert!(ContinueTo::from_cookie("https://x").is_none());
    }
}

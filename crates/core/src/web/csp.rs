//! The Content-Security-Policy of every HTML page, defined once. Pages that
//! set their own header used to drop `form-action 'self'` from the global
//! policy, so an injected form could post credentials anywhere.

/// Every page but the form_post one: same-origin forms, styles and images,
/// no scripts, never framed.
pub const PAGE: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                        form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// [`PAGE`] for a page that runs a passkey (WebAuthn) ceremony: the
/// browser's passkey dialog is only reachable from JavaScript, so such a
/// page may load same-origin scripts (files served by Pratu, never inline)
/// and fetch the ceremony's options from its own origin. Every other page
/// keeps `PAGE`.
pub const PASSKEY_PAGE: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
                                style-src 'self'; img-src 'self' data:; form-action 'self'; \
                                frame-ancestors 'none'; base-uri 'none'";

/// [`page_to`] for the sign-in page when it offers a passkey (see
/// [`PASSKEY_PAGE`]).
pub fn passkey_page_to(target_origin: &str) -> String {
    format!(
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; \
         img-src 'self' data:; form-action 'self' {target_origin}; frame-ancestors 'none'; \
         base-uri 'none'"
    )
}

/// A page whose form may end, through redirects, at a client's redirect
/// URI (sign-in, consent, step-up, logout confirmation). Chromium applies
/// `form-action` to every redirect that follows a submission, so `'self'`
/// alone would stop the citizen on the way back to the agency app; the
/// client's registered origin is allowed besides this one, and nothing else.
pub fn page_to(target_origin: &str) -> String {
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; \
         form-action 'self' {target_origin}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The form_post response mode's page (OAuth 2.0 Form Post Response Mode):
/// its one script (by `nonce`) submits the form to the client's redirect
/// URI, so `form-action` allows that one origin (`target_origin`, e.g.
/// `https://app.example.go.th`, or `com.example.app:` for a custom scheme)
/// and nothing else.
pub fn form_post(nonce: &str, target_origin: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; form-action {target_origin}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_keeps_forms_and_framing_locked_down() {
        for policy in [
            PAGE.to_owned(),
            page_to("https://app.example.go.th"),
            form_post("n0nce", "https://app.example.go.th"),
            PASSKEY_PAGE.to_owned(),
            passkey_page_to("https://app.example.go.th"),
        ] {
            assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
            assert!(policy.contains("base-uri 'none'"), "{policy}");
        }
        assert!(PAGE.contains("form-action 'self';"));
        assert!(!PAGE.contains("script-src"));
        assert!(PASSKEY_PAGE.contains("script-src 'self';"));
        assert!(!PASSKEY_PAGE.contains("unsafe-inline"));
        assert!(
            passkey_page_to("https://app.example.go.th")
                .contains("form-action 'self' https://app.example.go.th;")
        );
        assert!(
            page_to("https://app.example.go.th")
                .contains("form-action 'self' https://app.example.go.th;")
        );
        let post = form_post("n0nce", "https://app.example.go.th");
        assert!(post.contains("form-action https://app.example.go.th;"));
        assert!(post.contains("script-src 'nonce-n0nce'"));
    }
}

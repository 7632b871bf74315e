//! Redirect-URI rules, applied when a client is registered and when a
//! request names a URI.
//!
//! Registration accepts (OAuth 2.0 Security BCP, RFC 8252 for native apps):
//! - `https` URIs;
//! - `http` only on a loopback host (`127.0.0.1`, `[::1]`, `localhost`),
//!   for native apps and development;
//! - private-use schemes in reverse-domain form (`th.go.agency.app:/cb`,
//!   RFC 8252 §7.1), for native apps;
//!
//! always absolute and without a fragment; `javascript:`, `data:`, `file:`
//! and other non-reverse-domain schemes are refused.
//!
//! Matching is exact string comparison, with one exception RFC 8252 §7.3
//! requires: for a registered `http` loopback IP URI, any port matches
//! (native apps get an ephemeral port from the OS).

use url::Url;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("not an absolute URI")]
    NotAbsolute,
    #[error("must not contain a fragment")]
    Fragment,
    #[error("http is allowed only on a loopback host")]
    InsecureHttp,
    #[error("scheme is not allowed")]
    Scheme,
    #[error("must not contain user information")]
    UserInfo,
}

/// Checks a redirect (or post-logout redirect) URI for registration.
pub fn validate_redirect_uri(uri: &str) -> Result<(), RedirectUriError> {
    let url = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute)?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err(RedirectUriError::Fragment);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RedirectUriError::UserInfo);
    }
    match url.scheme() {
        "https" => {
            if url.host().is_none() {
                return Err(RedirectUriError::NotAbsolute);
            }
            Ok(())
        }
        "http" => {
            if is_loopback(&url) {
                Ok(())
            } else {
                Err(RedirectUriError::InsecureHttp)
            }
        }
        scheme => {
            // RFC 8252 §7.1: a private-use scheme is a reverse domain name
            // the app controls, so it has at least one dot.
            if scheme.contains('.') {
                Ok(())
            } else {
                Err(RedirectUriError::Scheme)
            }
        }
    }
}

/// Checks a back-channel logout URI: `https`, or `http` on loopback; no
/// fragment (Back-Channel Logout 1.0 §2.2).
pub fn validate_backchannel_uri(uri: &str) -> Result<(), RedirectUriError> {
    let url = Url::parse(uri).map_err(|_| RedirectUriError::NotAbsolute)?;
    if url.fragment().is_some() {
        return Err(RedirectUriError::Fragment);
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(RedirectUriError::InsecureHttp),
        _ => Err(RedirectUriError::Scheme),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether `requested` matches one of `registered` (see the module doc).
pub fn redirect_uri_matches(registered: &[String], requested: &str) -> bool {
    if registered.iter().any(|r| r == requested) {
        return true;
    }
    let Ok(req) = Url::parse(requested) else {
        return false;
    };
    if req.scheme() != "http"
        || !matches!(req.host(), Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)))
        || !is_loopback(&req)
    {
        return false;
    }
    registered.iter().any(|r| {
        Url::parse(r).is_ok_and(|mut reg| {
            if reg.scheme() != "http" || reg.host() != req.host() {
                return false;
            }
            let mut req = req.clone();
            if reg.set_port(None).is_err() || req.set_port(None).is_err() {
                return false;
            }
            reg == req
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_loopback_http_and_reverse_domain_schemes_are_accepted() {
        for ok in [
            "https://app.example.go.th/callback",
            "https://app.example.go.th/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
            "th.go.agency.app:/oauth2redirect",
        ] {
            assert_eq!(validate_redirect_uri(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn fragments_plain_http_relative_and_dangerous_schemes_are_refused() {
        assert_eq!(
            validate_redirect_uri("https://a.example/cb#x"),
            Err(RedirectUriError::Fragment)
        );
        assert_eq!(
            validate_redirect_uri("http://a.example/cb"),
            Err(RedirectUriError::InsecureHttp)
        );
        assert_eq!(
            validate_redirect_uri("/cb"),
            Err(RedirectUriError::NotAbsolute)
        );
        assert_eq!(
            validate_redirect_uri("javascript:alert(1)"),
            Err(RedirectUriError::Scheme)
        );
        assert_eq!(
            validate_redirect_uri("data:text/html,x"),
            Err(RedirectUriError::Scheme)
        );
        assert_eq!(
            validate_redirect_uri("https://u:p@a.example/cb"),
            Err(RedirectUriError::UserInfo)
        );
        assert_eq!(
            validate_backchannel_uri("myapp.x:/bc"),
            Err(RedirectUriError::Scheme)
        );
        assert_eq!(validate_backchannel_uri("https://rp.example/bc"), Ok(()));
    }

    #[test]
    fn matching_is_exact_except_the_port_of_loopback_ip_uris() {
        let reg = vec![
            "https://rp.example/cb".to_owned(),
            "http://127.0.0.1/native".to_owned(),
        ];
        assert!(redirect_uri_matches(&reg, "https://rp.example/cb"));
        assert!(!redirect_uri_matches(&reg, "https://rp.example/cb/"));
        assert!(!redirect_uri_matches(&reg, "https://rp.example/cb?x=1"));
        assert!(!redirect_uri_matches(&reg, "https://RP.example/cb"));
        assert!(!redirect_uri_matches(&reg, "https://rp.example:443/cb "));
        assert!(redirect_uri_matches(&reg, "http://127.0.0.1:51234/native"));
        assert!(!redirect_uri_matches(&reg, "http://127.0.0.1:51234/other"));
        assert!(!redirect_uri_matches(&reg, "http://localhost:51234/native"));
    }
}

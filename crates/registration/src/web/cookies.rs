//! The wizard's cookies (written and read through `pratu_core::web`):
//!
//! - `pratu_enrollment`: the enrollment id and its token, the citizen's one
//!   credential for continuing it. A cookie of the whole origin, so on an
//!   https issuer it is `__Host-pratu_enrollment` (Secure, `Path=/`, no
//!   `Domain`): a sibling subdomain can neither plant nor read it;
//! - `pratu_csrf`: the browser's CSRF binding before an enrollment exists,
//!   scoped to `/register`; once one exists, its forms are bound to the
//!   enrollment's token instead (see `Web::csrf_binding`);
//! - `pratu_lang`: `th` or `en`, for the whole site.

use pratu_core::web::CookieDef;
use uuid::Uuid;

use crate::service::{EnrollmentAccess, EnrollmentToken};

pub const ENROLLMENT: CookieDef = CookieDef::host("pratu_enrollment");
pub const CSRF: CookieDef = CookieDef::scoped("pratu_csrf", "/register");
pub const LANG: CookieDef = pratu_core::web::locale::COOKIE;

/// Purpose of the CSRF tokens of forms sent before an enrollment exists
/// (the terms, starting over).
pub const CSRF_START_PURPOSE: &str = "enrollment.start";

/// The enrollment cookie's value: `<id>.<token>` (neither contains a dot).
pub fn enrollment_value(access: &EnrollmentAccess) -> String {
    format!("{}.{}", access.id, access.token.expose())
}

/// Reads [`enrollment_value`] back; anything else is no enrollment.
pub fn parse_enrollment(value: &str) -> Option<EnrollmentAccess> {
    let (id, token) = value.split_once('.')?;
    Some(EnrollmentAccess::new(
        Uuid::parse_str(id).ok()?,
        EnrollmentToken::parse(token)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_core::web::CookiePolicy;

    #[test]
    fn the_enrollment_cookie_round_trips_and_is_host_bound_on_https() {
        let access = EnrollmentAccess::new(
            Uuid::new_v4(),
            EnrollmentToken::parse("c2VjcmV0LXRva2Vu").unwrap(),
        );
        let value = enrollment_value(&access);
        let back = parse_enrollment(&value).unwrap();
        assert_eq!((back.id, back.token), (access.id, access.token));
        assert!(parse_enrollment("not-a-uuid.c2VjcmV0").is_none());
        assert!(parse_enrollment(&access.id.to_string()).is_none());

        let set = CookiePolicy { secure: true }
            .set(ENROLLMENT, &value, Some(60))
            .unwrap();
        let set = set.to_str().unwrap();
        assert!(set.starts_with("__Host-pratu_enrollment="), "{set}");
        for attr in ["; Path=/;", "; HttpOnly", "; SameSite=Lax", "; Secure"] {
            assert!(set.contains(attr), "{attr}: {set}");
        }
    }
}

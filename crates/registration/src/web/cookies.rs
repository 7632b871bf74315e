//! The wizard's cookies (written and read through `pratu_core::web`):
//!
//! - `pratu_enrollment`: the enrollment id (the citizen's handle on it),
//!   scoped to `/register`;
//! - `pratu_csrf`: the browser's CSRF binding, scoped to `/register`; every
//!   form carries the token `pratu_core::web::Csrf` makes from it;
//! - `pratu_lang`: `th` or `en`, for the whole site.

use pratu_core::web::CookieDef;

pub const ENROLLMENT: CookieDef = CookieDef::scoped("pratu_enrollment", "/register");
pub const CSRF: CookieDef = CookieDef::scoped("pratu_csrf", "/register");
pub const LANG: CookieDef = CookieDef::scoped("pratu_lang", "/");

/// What the wizard's forms do, for their CSRF tokens.
pub const CSRF_PURPOSE: &str = "enrollment";

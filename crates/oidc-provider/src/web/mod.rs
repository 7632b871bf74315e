//! HTTP plumbing of the provider's endpoints: parameters, OAuth error
//! responses, pages and their texts. Cookies and CSRF are
//! `pratu_core::web`'s, shared with every surface.

pub(crate) mod cors;
pub mod i18n;
pub(crate) mod oauth_error;
pub(crate) mod pages;
pub mod params;
pub(crate) mod stylesheet;

//! HTTP plumbing shared by the endpoints: parameters, cookies, CSRF,
//! OAuth error responses, pages and their texts.

pub mod cookies;
pub(crate) mod cors;
pub(crate) mod csrf;
pub mod i18n;
pub(crate) mod oauth_error;
pub(crate) mod pages;
pub mod params;
pub(crate) mod stylesheet;

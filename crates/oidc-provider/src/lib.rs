//! The OAuth 2.0 / OpenID Connect provider through which agency applications
//! sign citizens and staff in with one account and one SSO session.
#![forbid(unsafe_code)]

pub mod config;
pub mod keys;

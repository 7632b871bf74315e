//! Digital ID enrollment: a citizen proves who they are once (citizen ID,
//! laser code checked against the card registry, phone by SMS OTP) and gets
//! an account that signs in everywhere through `pratu-oidc`.
#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod proofing;
pub mod service;
pub mod sms;

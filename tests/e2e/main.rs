//! Black-box tests: the real `pratu` binary on a port it picks, driven over
//! HTTP as a browser and a relying party would. One test binary (see
//! `crates/server/Cargo.toml`), one module per area.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support code fails loudly on purpose"
)]

mod account_api;
mod account_pages;
mod account_portal;
mod admin;
mod admin_console;
mod admin_factors;
mod agency_sso;
mod backup;
mod browser;
mod browser_flows;
mod cli;
mod crash;
mod default_acr;
mod deploy_files;
mod durability;
mod enrollment;
mod faults;
mod foundation;
mod hardening_enrollment;
mod hardening_login;
mod hardening_passwords;
mod hardening_server;
mod hardening_store;
mod harness;
mod languages;
mod leaks;
mod loadgen;
mod multinode;
mod passkeys;
mod protocol;
mod recovery;
mod registration;
mod services;
mod sso;
mod totp;
mod totp_portal;

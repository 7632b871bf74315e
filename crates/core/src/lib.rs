//! What Pratu's features share that is not persistence.
//!
//! `pratu-registration`, `pratu-oidc` (and the account portal to come) never
//! import each other; the services they all need live here, above
//! `pratu-storage` (records and repositories) and below them. `pratu-core`
//! knows no feature.
//!
//! # Where things are
//! - [`random`]: injected randomness ([`Random`], [`OsRandom`] in
//!   production, [`SeededRandom`] in tests). The clock ([`Clock`]) is defined
//!   in storage, whose writes stamp time, and re-exported here.
//! - [`access`]: the port through which features verify the provider's
//!   access tokens and end its sessions ([`access::ProviderAccess`]).
//! - [`assurance`]: the trust-framework names the enrollment records and
//!   discovery advertises (one constant).
//! - [`audit`]: every audit action as a type ([`audit::AuditAction`]),
//!   the closed set of outcomes, and the one write policy ([`audit::Auditor`]).
//! - [`limits`]: abuse-limit keys and counters features share (a client's
//!   address, IPv6 by /64; SMS codes sent per phone number).
//! - [`otp`]: SMS one-time codes — generated, stored (salted digest) and
//!   checked, with attempt, resend and send-window limits.
//! - [`password`]: Argon2id password hashing on a bounded worker pool
//!   (a full queue refuses at once), and [`password::blocklist`], the
//!   passwords nobody may choose.
//! - [`pii`]: envelope encryption of personal data (citizen IDs) and the
//!   blind index that finds them.
//! - [`sms`]: the SMS port ([`sms::SmsSender`]).
//! - [`totp`]: authenticator-app codes (RFC 6238) and the recovery codes
//!   that stand in for a lost device.
//! - [`web`]: the plumbing every HTTP surface shares — request context
//!   (client IP, request id), cookies, the one CSRF scheme, problem+json,
//!   and internal errors logged once with the request id.
#![forbid(unsafe_code)]

pub mod access;
pub mod assurance;
pub mod audit;
pub mod domain;
pub mod limits;
pub mod otp;
pub mod passkey;
pub mod password;
pub mod pii;
pub mod proofing;
pub mod random;
pub mod sms;
pub mod totp;
pub mod web;

pub use pratu_storage::clock::{Clock, MockClock, SystemClock};
pub use random::{OsRandom, Random, SeededRandom, SharedRandom};

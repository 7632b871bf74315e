//! Signing keys: ES256 (default), RS256 (required by OIDC Discovery) and
//! EdDSA, generated on first start, stored sealed under the key-encryption
//! key, parsed once per load, rotated without breaking tokens in flight.
//!
//! Inbound JWTs from others (client assertions) are verified by
//! `jsonwebtoken` ([`inbound`]); tokens we signed and get back (access
//! tokens, `id_token_hint`) by `ring` against our published keys (`own`).
//! Outbound tokens are signed by [`jws`] with keys parsed once into `ring`:
//! `jsonwebtoken` 11 re-parses the private key on every signature, and its
//! pure-Rust P-256 was most of the cost of a token grant.

mod alg;
pub mod inbound;
pub mod jws;
mod manager;
pub mod material;
mod own;
mod ring;

pub use alg::SigningAlg;
pub use manager::{KeyError, KeyInfo, KeyManager};
pub use ring::{KeyRing, KeyRingError, LoadedKey};

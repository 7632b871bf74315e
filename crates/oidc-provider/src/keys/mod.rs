//! Signing keys: ES256 (default), RS256 (required by OIDC Discovery) and
//! EdDSA, generated on first start, stored sealed under the key-encryption
//! key, parsed once per load, rotated without breaking tokens in flight.
//!
//! Inbound JWTs (client assertions, `id_token_hint`, our access tokens
//! presented back) are verified by `jsonwebtoken` ([`inbound`]). Outbound
//! tokens are signed by [`jws`] with pre-parsed RustCrypto keys, because
//! `jsonwebtoken` 11 re-parses the private key on every signature (and for
//! RSA rebuilds it), the bulk of the cost on the token hot path.

mod alg;
pub mod inbound;
pub mod jws;
mod manager;
pub mod material;
mod ring;

pub use alg::SigningAlg;
pub use manager::{KeyError, KeyInfo, KeyManager};
pub use ring::{KeyRing, KeyRingError, LoadedKey};

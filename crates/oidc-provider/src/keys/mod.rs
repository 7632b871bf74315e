//! Signing keys: ES256 (default), RS256 (required by OIDC Discovery) and
//! EdDSA, generated on first start, stored sealed under the key-encryption
//! key, parsed once per load, rotated without breaking tokens in flight.

mod alg;
pub mod jws;
mod manager;
pub mod material;
mod ring;

pub use alg::SigningAlg;
pub use manager::{KeyError, KeyInfo, KeyManager};
pub use ring::{KeyRing, KeyRingError, LoadedKey};

//! `ring` as `jsonwebtoken`'s signature verifier. The load generator checks
//! the ID token of every flow it counts; with the pure-Rust P-256 backend
//! that check cost the shared cores more than a third of what the server
//! spends on a whole SSO flow, so the measurement measured itself. Token
//! parsing and every claim check stay `jsonwebtoken`'s; only the signature
//! primitive changes (the server verifies its own tokens with ring too).

use std::sync::OnceLock;

use jsonwebtoken::crypto::{CryptoProvider, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};
use ring::signature::{self as ring_sig, RsaPublicKeyComponents, UnparsedPublicKey};

/// Installs the provider for this process (once; later calls do nothing).
pub fn install() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let provider = CryptoProvider {
            verifier_factory: verifier,
            ..jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.clone()
        };
        // Another provider installed first keeps its place.
        let _first = Box::leak(Box::new(provider)).install_default();
    });
}

enum Key {
    Ecdsa(Vec<u8>),
    Ed(Vec<u8>),
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

struct RingVerifier {
    alg: Algorithm,
    key: Key,
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    let key = match (alg, key.kind()) {
        (Algorithm::ES256, DecodingKeyKind::SecretOrDer(point)) => Key::Ecdsa(point.clone()),
        (Algorithm::EdDSA, DecodingKeyKind::SecretOrDer(x)) => Key::Ed(x.clone()),
        (Algorithm::RS256, DecodingKeyKind::RsaModulusExponent { n, e }) => Key::Rsa {
            n: n.clone(),
            e: e.clone(),
        },
        _ => return Err(ErrorKind::InvalidAlgorithm.into()),
    };
    Ok(Box::new(RingVerifier { alg: *alg, key }))
}

impl ::signature::Verifier<Vec<u8>> for RingVerifier {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), ::signature::Error> {
        let checked = match &self.key {
            Key::Ecdsa(point) => {
                UnparsedPublicKey::new(&ring_sig::ECDSA_P256_SHA256_FIXED, point).verify(msg, sig)
            }
            Key::Ed(x) => UnparsedPublicKey::new(&ring_sig::ED25519, x).verify(msg, sig),
            Key::Rsa { n, e } => RsaPublicKeyComponents { n, e }.verify(
                &ring_sig::RSA_PKCS1_2048_8192_SHA256,
                msg,
                sig,
            ),
        };
        checked.map_err(|_| ::signature::Error::new())
    }
}

impl JwtVerifier for RingVerifier {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }
}

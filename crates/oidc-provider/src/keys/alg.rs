//! The JWS algorithms Pratu signs with.

use sha2::{Digest, Sha256, Sha512};

/// A signing algorithm Pratu holds keys for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256: the default (fast, small signatures).
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256: required by OIDC Discovery.
    Rs256,
    /// Ed25519.
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::Rs256 => "RS256",
            Self::EdDsa => "EdDSA",
        }
    }

    /// The same algorithm as `jsonwebtoken` names it.
    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            Self::Es256 => jsonwebtoken::Algorithm::ES256,
            Self::Rs256 => jsonwebtoken::Algorithm::RS256,
            Self::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// The algorithm of an inbound token if it is one we accept: never
    /// `none` (which `jsonwebtoken` cannot even name), never HMAC.
    pub fn from_jwt(alg: jsonwebtoken::Algorithm) -> Option<Self> {
        match alg {
            jsonwebtoken::Algorithm::ES256 => Some(Self::Es256),
            jsonwebtoken::Algorithm::RS256 => Some(Self::Rs256),
            jsonwebtoken::Algorithm::EdDSA => Some(Self::EdDsa),
            _ => None,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ES256" => Some(Self::Es256),
            "RS256" => Some(Self::Rs256),
            "EdDSA" => Some(Self::EdDsa),
            _ => None,
        }
    }

    /// The left half of the hash that `at_hash` / `c_hash` use (OIDC Core
    /// §3.1.3.6): SHA-256 for ES256 and RS256, SHA-512 for Ed25519.
    pub fn half_hash(self, input: &[u8]) -> Vec<u8> {
        match self {
            Self::Es256 | Self::Rs256 => {
                let d = Sha256::digest(input);
                d[..16].to_vec()
            }
            Self::EdDsa => {
                let d = Sha512::digest(input);
                d[..32].to_vec()
            }
        }
    }
}

impl std::fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for a in SigningAlg::ALL {
            assert_eq!(SigningAlg::parse(a.as_str()), Some(a));
        }
        assert_eq!(SigningAlg::parse("HS256"), None);
        assert_eq!(SigningAlg::parse("none"), None);
        assert_eq!(SigningAlg::parse("es256"), None);
    }

    #[test]
    fn half_hash_matches_the_oidc_core_example() {
        // OIDC Core A.3: access token "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
        // has at_hash "77QmUPtjPfzWtF2AnpK9RQ" under RS256.
        use base64::Engine as _;
        let h = SigningAlg::Rs256.half_hash(b"jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y");
        assert_eq!(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(h),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(SigningAlg::EdDsa.half_hash(b"x").len(), 32);
    }
}

//! The OAuth 2.0 / OpenID Connect protocol values a client registers or a
//! request names, as closed sets: only what Pratu implements has a variant,
//! so a value that got past the edge of the system is one Pratu supports,
//! and a `match` on it is checked for every case.
//!
//! Each is spelled as its RFC spells it — in JSON (serde), in the database
//! columns and in [`Display`](std::fmt::Display) — through one `as_str`;
//! parsing ([`FromStr`]) refuses anything else with [`UnsupportedValue`],
//! which the edges turn into their protocol's error (RFC 7591
//! `invalid_client_metadata`, RFC 6749 `unsupported_grant_type`, …).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value outside the closed set of `what` (e.g. `"grant type"`). Holds
/// the value as given, for an error description; it came from the caller,
/// so it is quoted, never interpreted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported {what} {value:?}")]
pub struct UnsupportedValue {
    pub what: &'static str,
    pub value: String,
}

/// One closed set of protocol names: the enum, its spelling both ways, and
/// serde through that spelling (so JSON, the database and error messages
/// cannot disagree).
macro_rules! protocol_values {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $spelling:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The RFC spelling.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $spelling, )+
                }
            }
        }

        impl FromStr for $name {
            type Err = UnsupportedValue;

            fn from_str(s: &str) -> Result<Self, UnsupportedValue> {
                match s {
                    $( $spelling => Ok(Self::$variant), )+
                    _ => Err(UnsupportedValue {
                        what: $what,
                        value: s.to_owned(),
                    }),
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = UnsupportedValue;

            fn try_from(s: &str) -> Result<Self, UnsupportedValue> {
                s.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

protocol_values! {
    /// A grant a client may use at the token endpoint (RFC 6749 §4, §6;
    /// RFC 7591 `grant_types`). Implicit and password grants are not
    /// implemented, deliberately.
    GrantType, "grant type" {
        /// RFC 6749 §4.1 (with PKCE, RFC 7636).
        AuthorizationCode => "authorization_code",
        /// RFC 6749 §6; only together with the code flow.
        RefreshToken => "refresh_token",
        /// RFC 6749 §4.4; confidential clients only.
        ClientCredentials => "client_credentials",
    }
}

protocol_values! {
    /// How a client authenticates at the token, introspection and
    /// revocation endpoints (RFC 7591 §2, OIDC Core §9). `client_secret_jwt`
    /// and the mTLS methods are not implemented.
    TokenEndpointAuthMethod, "token endpoint auth method" {
        /// HTTP Basic with the server-generated secret.
        ClientSecretBasic => "client_secret_basic",
        /// The secret in the form body.
        ClientSecretPost => "client_secret_post",
        /// A JWT signed with a key of the client's registered JWK Set
        /// (RFC 7523).
        PrivateKeyJwt => "private_key_jwt",
        /// A public client: no authentication (PKCE is required instead).
        None => "none",
    }
}

impl TokenEndpointAuthMethod {
    /// Whether the client authenticates with a shared secret (either way
    /// of presenting it).
    #[must_use]
    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

protocol_values! {
    /// How a client's `sub` values are formed (OIDC Core §8).
    SubjectType, "subject type" {
        /// The same `sub` for every client.
        Public => "public",
        /// A `sub` per sector, so clients of different sectors cannot
        /// correlate users.
        Pairwise => "pairwise",
    }
}

protocol_values! {
    /// How the authorization response reaches the client (OAuth 2.0
    /// Multiple Response Type Encoding Practices, Form Post Response
    /// Mode). `fragment` is only for response types Pratu does not issue.
    ResponseMode, "response mode" {
        /// Parameters in the redirect URI's query (the default for `code`).
        Query => "query",
        /// An auto-submitted HTML form POSTed to the redirect URI.
        FormPost => "form_post",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value of `T` reads back as itself from its spelling, from
    /// `Display` and from JSON, and serialises as the JSON string of that
    /// spelling.
    fn round_trips<T>(all: &[T], as_str: impl Fn(T) -> &'static str)
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + Serialize,
        T: FromStr<Err = UnsupportedValue> + serde::de::DeserializeOwned,
    {
        for &v in all {
            let s = as_str(v);
            assert_eq!(s.parse::<T>().unwrap(), v);
            assert_eq!(v.to_string(), s);
            let json = serde_json::to_value(v).unwrap();
            assert_eq!(json, serde_json::Value::String(s.to_owned()));
            assert_eq!(serde_json::from_value::<T>(json).unwrap(), v);
        }
    }

    #[test]
    fn grant_types_are_spelled_as_rfc_6749_spells_them() {
        round_trips(GrantType::ALL, GrantType::as_str);
        assert_eq!(
            GrantType::try_from("client_credentials"),
            Ok(GrantType::ClientCredentials)
        );
        let spelled: Vec<_> = GrantType::ALL.iter().map(|g| g.as_str()).collect();
        assert_eq!(
            spelled,
            ["authorization_code", "refresh_token", "client_credentials"]
        );
    }

    #[test]
    fn auth_methods_are_spelled_as_rfc_7591_spells_them() {
        round_trips(
            TokenEndpointAuthMethod::ALL,
            TokenEndpointAuthMethod::as_str,
        );
        let spelled: Vec<_> = TokenEndpointAuthMethod::ALL
            .iter()
            .map(|m| m.as_str())
            .collect();
        assert_eq!(
            spelled,
            [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
                "none"
            ]
        );
        let secret: Vec<_> = TokenEndpointAuthMethod::ALL
            .iter()
            .filter(|m| m.uses_secret())
            .collect();
        assert_eq!(
            secret,
            [
                &TokenEndpointAuthMethod::ClientSecretBasic,
                &TokenEndpointAuthMethod::ClientSecretPost
            ]
        );
    }

    #[test]
    fn subject_types_and_response_modes_are_spelled_as_their_specs_spell_them() {
        round_trips(SubjectType::ALL, SubjectType::as_str);
        round_trips(ResponseMode::ALL, ResponseMode::as_str);
        assert_eq!(SubjectType::try_from("public"), Ok(SubjectType::Public));
        assert_eq!(ResponseMode::try_from("query"), Ok(ResponseMode::Query));
        assert_eq!(
            TokenEndpointAuthMethod::try_from("none"),
            Ok(TokenEndpointAuthMethod::None)
        );
        assert_eq!(SubjectType::Pairwise.as_str(), "pairwise");
        assert_eq!(ResponseMode::FormPost.as_str(), "form_post");
    }

    #[test]
    fn unsupported_values_are_refused_naming_the_kind_and_quoting_the_value() {
        for s in [
            "implicit",
            "password",
            "",
            "Authorization_Code",
            " refresh_token",
        ] {
            let e = s.parse::<GrantType>().unwrap_err();
            assert_eq!(
                e,
                UnsupportedValue {
                    what: "grant type",
                    value: s.to_owned()
                }
            );
        }
        assert_eq!(
            "client_secret_jwt"
                .parse::<TokenEndpointAuthMethod>()
                .unwrap_err()
                .to_string(),
            "unsupported token endpoint auth method \"client_secret_jwt\""
        );
        assert!(
            "tls_client_auth"
                .parse::<TokenEndpointAuthMethod>()
                .is_err()
        );
        assert!("secret".parse::<SubjectType>().is_err());
        assert!("fragment".parse::<ResponseMode>().is_err());
        let e = serde_json::from_str::<Vec<GrantType>>(r#"["authorization_code","implicit"]"#)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("unsupported grant type \"implicit\""),
            "{e}"
        );
        assert!(serde_json::from_str::<SubjectType>("7").is_err());
    }
}

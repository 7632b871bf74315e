//! Client authentication at the token, introspection and revocation
//! endpoints (RFC 6749 §2.3, OIDC Core §9): `client_secret_basic`,
//! `client_secret_post`, `private_key_jwt`, and `none` for public clients.
//!
//! A client registered for either secret method may use the other: both
//! prove the same secret, and refusing one only breaks integrations.
//! Unknown clients and wrong secrets get the same `invalid_client`.

use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use pratu_storage::records::Client;
use serde::Deserialize;

use crate::clients::{AUTH_NONE, AUTH_PRIVATE_KEY_JWT, uses_secret, verify_secret};
use crate::keys::inbound::{self, LEEWAY_SECONDS, VerifyError};
use crate::state::ClientAuth;
use crate::web::oauth_error::{Challenge, OAuthError, internal};
use crate::web::params::Params;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest accepted lifetime of a client assertion.
const MAX_ASSERTION_LIFETIME: i64 = 600;

enum Presented {
    Basic { id: String, secret: String },
    Post { id: String, secret: String },
    Jwt { assertion: String },
    None { id: String },
}

/// Authenticates the calling client. `endpoint` is the absolute URL of the
/// endpoint called (a valid assertion audience besides the issuer and the
/// token endpoint).
pub(crate) async fn authenticate(
    auth: &ClientAuth,
    headers: &HeaderMap,
    p: &Params,
    endpoint: &str,
) -> Result<Arc<Client>, OAuthError> {
    let presented = presented(headers, p)?;
    let challenge = if matches!(presented, Presented::Basic { .. }) {
        Challenge::Basic
    } else {
        Challenge::None
    };
    let fail = |d: &'static str| OAuthError::invalid_client(d, challenge);
    let client_id = match &presented {
        Presented::Basic { id, .. } | Presented::Post { id, .. } | Presented::None { id } => {
            id.clone()
        }
        Presented::Jwt { assertion } => {
            assertion_issuer(assertion).ok_or_else(|| fail("client assertion is malformed"))?
        }
    };
    if let Some(param) = p.get("client_id")
        && param != client_id
    {
        return Err(OAuthError::invalid_request(
            "client_id does not match the authenticated client",
        ));
    }
    let client = auth
        .clients
        .active(&client_id)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(|| fail("client authentication failed"))?;
    match presented {
        Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
            let ok = uses_secret(&client)
                && client
                    .secret_hash
                    .as_deref()
                    .is_some_and(|h| verify_secret(&secret, h));
            if !ok {
                return Err(fail("client authentication failed"));
            }
        }
        Presented::None { .. } => {
            if client.token_endpoint_auth_method != AUTH_NONE {
                return Err(fail("client authentication failed"));
            }
        }
        Presented::Jwt { assertion } => {
            if client.token_endpoint_auth_method != AUTH_PRIVATE_KEY_JWT {
                return Err(fail("client authentication failed"));
            }
            verify_assertion(auth, &client, &assertion, endpoint).await?;
        }
    }
    Ok(client)
}

fn presented(headers: &HeaderMap, p: &Params) -> Result<Presented, OAuthError> {
    let basic = match headers.get(AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v.to_str().unwrap_or_default();
            match v.split_once(' ') {
                Some((scheme, creds)) if scheme.eq_ignore_ascii_case("basic") => {
                    Some(parse_basic(creds.trim()).ok_or_else(|| {
                        OAuthError::invalid_client("malformed Basic credentials", Challenge::Basic)
                    })?)
                }
                _ => None,
            }
        }
    };
    let post = p.get("client_secret");
    let jwt = match (p.get("client_assertion_type"), p.get("client_assertion")) {
        (None, None) => None,
        (Some(JWT_BEARER), Some(a)) => Some(a.to_owned()),
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "unsupported client_assertion_type",
            ));
        }
        _ => {
            return Err(OAuthError::invalid_request(
                "client_assertion and client_assertion_type go together",
            ));
        }
    };
    let used =
        usize::from(basic.is_some()) + usize::from(post.is_some()) + usize::from(jwt.is_some());
    if used > 1 {
        return Err(OAuthError::invalid_request(
            "more than one client authentication method used",
        ));
    }
    Ok(match (basic, post, jwt) {
        (Some((id, secret)), _, _) => Presented::Basic { id, secret },
        (_, Some(secret), _) => Presented::Post {
            id: p
                .get("client_id")
                .ok_or_else(|| OAuthError::invalid_client("client_id is missing", Challenge::None))?
                .to_owned(),
            secret: secret.to_owned(),
        },
        (_, _, Some(assertion)) => Presented::Jwt { assertion },
        _ => Presented::None {
            id: p
                .get("client_id")
                .ok_or_else(|| {
                    OAuthError::invalid_client("client authentication is missing", Challenge::Basic)
                })?
                .to_owned(),
        },
    })
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
fn parse_basic(creds: &str) -> Option<(String, String)> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(creds)
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let id = dec(id)?;
    let secret = dec(secret)?;
    (!id.is_empty()).then_some((id, secret))
}

/// The claims read after `jsonwebtoken` has checked the signature, `iss`,
/// `sub` and `aud`; typed as strings so an array `iss` or `sub` is refused.
#[derive(Deserialize)]
struct AssertionClaims {
    #[serde(rename = "iss")]
    _iss: String,
    #[serde(rename = "sub")]
    _sub: String,
    exp: i64,
    jti: String,
}

/// The `iss` of an assertion, read before verification only to find the
/// client whose keys verify it.
fn assertion_issuer(assertion: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Iss {
        iss: String,
    }
    inbound::header(assertion).ok()?;
    jsonwebtoken::dangerous::insecure_decode_claims::<Iss>(assertion)
        .ok()
        .map(|c| c.iss)
}

/// Verifies a `private_key_jwt` assertion (RFC 7523 §3) with `jsonwebtoken`
/// against the client's registered keys: `iss` = `sub` = client_id, `aud`
/// the issuer, the token endpoint or the endpoint called; then lifetime
/// against our clock and single use of `jti`.
async fn verify_assertion(
    auth: &ClientAuth,
    client: &Client,
    assertion: &str,
    endpoint: &str,
) -> Result<(), OAuthError> {
    let fail = |d: &'static str| OAuthError::invalid_client(d, Challenge::None);
    let (header, alg) =
        inbound::header(assertion).map_err(|_| fail("client assertion is malformed"))?;
    let jwks = client
        .jwks
        .as_ref()
        .and_then(|j| j.get("keys"))
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| fail("client has no registered keys"))?;
    let kid = header.kid.as_deref();
    let keys: Vec<_> = jwks
        .iter()
        .filter(|k| kid.is_none() || k.get("kid").and_then(|v| v.as_str()) == kid)
        .filter_map(|k| inbound::decoding_key(alg, k))
        .collect();
    if keys.is_empty() {
        return Err(fail("no registered key matches the client assertion"));
    }
    let issuer = &auth.issuer;
    let token_endpoint = issuer.endpoint(crate::discovery::TOKEN_PATH);
    let mut validation = inbound::validation(&["iss", "sub", "aud", "exp"]);
    validation.set_issuer(&[&client.client_id]);
    validation.sub = Some(client.client_id.clone());
    validation.set_audience(&[issuer.url.as_str(), token_endpoint.as_str(), endpoint]);
    let claims = inbound::decode_with::<AssertionClaims>(assertion, alg, &keys, &validation)
        .map_err(|e| {
            fail(match e {
                VerifyError::Malformed => "client assertion is malformed",
                VerifyError::Algorithm | VerifyError::UnknownKey | VerifyError::Signature => {
                    "client assertion signature is invalid"
                }
                VerifyError::Issuer | VerifyError::Subject => {
                    "client assertion iss and sub must be the client_id"
                }
                VerifyError::Audience => "client assertion audience is not this server",
                VerifyError::Claims => "client assertion claims are malformed",
            })
        })?
        .claims;
    let now = auth.clock.now().unix_timestamp();
    if claims.exp <= now - LEEWAY_SECONDS {
        return Err(fail("client assertion has expired"));
    }
    if claims.exp > now + MAX_ASSERTION_LIFETIME {
        return Err(fail("client assertion lives too long"));
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err(fail("client assertion needs a jti"));
    }
    let ttl = Duration::from_secs(u64::try_from(claims.exp - now + 60).unwrap_or(60));
    let key = format!("assertion:{}:{}", client.client_id, claims.jti);
    let fresh = auth
        .ephemeral
        .put_if_absent(&key, b"1", ttl)
        .await
        .map_err(|e| internal(&e))?;
    if !fresh {
        return Err(fail("client assertion was already used"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let enc = base64::engine::general_purpose::STANDARD.encode("my%20client:s%3Acret+x");
        assert_eq!(
            parse_basic(&enc),
            Some(("my client".to_owned(), "s:cret x".to_owned()))
        );
        assert_eq!(parse_basic("!!!"), None);
        let no_colon = base64::engine::general_purpose::STANDARD.encode("abc");
        assert_eq!(parse_basic(&no_colon), None);
    }
}

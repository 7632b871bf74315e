//! Validation of back-channel logout tokens (OpenID Connect Back-Channel
//! Logout 1.0 §2.6). When a citizen signs out of Pratu — from any app —
//! Pratu POSTs one of these to every app of that SSO session; the app must
//! check it as carefully as an ID token before ending anyone's session,
//! since the endpoint is reachable by anyone who can reach the app.
//!
//! `openidconnect` has no type for logout tokens, so the signature and the
//! registered claims are checked with `jsonwebtoken` against the keys from
//! the issuer's JWKS (the same set discovery fetched for ID tokens).
//! The current time is a parameter so the checks are testable.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The event member a logout token must carry (§2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Tolerated clock difference between Pratu and the app, in seconds.
pub const LEEWAY_SECONDS: i64 = 60;

/// Logout tokens older than this are refused even before `exp` (they are
/// delivered within seconds; an old one is a replay).
pub const MAX_AGE_SECONDS: i64 = 10 * 60;

/// Asymmetric algorithms only: Pratu signs with ES256 by default, RS256 or
/// EdDSA per client. `none` and HMAC are never accepted.
const ACCEPTED: [Algorithm; 3] = [Algorithm::ES256, Algorithm::RS256, Algorithm::EdDSA];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogoutTokenError {
    #[error("not a signed JWT")]
    Malformed,
    #[error("algorithm not accepted")]
    Algorithm,
    #[error("no issuer key matches the token")]
    UnknownKey,
    #[error("signature invalid")]
    Signature,
    #[error("wrong issuer")]
    Issuer,
    #[error("wrong audience")]
    Audience,
    #[error("claim {0} missing or malformed")]
    Claim(&'static str),
    #[error("expired or issued at an implausible time")]
    Time,
    #[error("events claim lacks the back-channel logout event")]
    Events,
    #[error("neither sid nor sub present")]
    NoSubject,
    #[error("a logout token must not contain a nonce")]
    Nonce,
    #[error("wrong token type")]
    Type,
}

/// What the issuer asked the app to end: the sessions of `sid`, or, without
/// `sid`, every session of `sub`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutClaims {
    pub sid: Option<String>,
    pub sub: Option<String>,
    pub jti: Option<String>,
    pub exp: i64,
}

/// What the token must have been issued for.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
}

#[derive(Deserialize)]
struct RawClaims {
    iat: Option<Value>,
    exp: Option<Value>,
    sid: Option<Value>,
    sub: Option<Value>,
    jti: Option<Value>,
    nonce: Option<Value>,
    events: Option<Value>,
}

/// Checks `token` per §2.6 and returns the session it ends. `now` is Unix
/// seconds.
pub fn validate(
    token: &str,
    expected: Expected<'_>,
    keys: &JwkSet,
    now: i64,
) -> Result<LogoutClaims, LogoutTokenError> {
    // 2. The signature, with an algorithm we expect and a key of the issuer.
    let header = jsonwebtoken::decode_header(token).map_err(|_| LogoutTokenError::Malformed)?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(LogoutTokenError::Algorithm);
    }
    // Explicit typing (§2.4) keeps other JWTs of the issuer from passing as
    // logout tokens; untyped tokens are still accepted, as the spec allows.
    if let Some(typ) = &header.typ {
        let typ = typ.to_ascii_lowercase();
        if typ != "logout+jwt" && typ != "application/logout+jwt" {
            return Err(LogoutTokenError::Type);
        }
    }
    let candidates: Vec<DecodingKey> = keys
        .keys
        .iter()
        .filter(|k| header.kid.is_none() || k.common.key_id == header.kid)
        .filter_map(|k| DecodingKey::from_jwk(k).ok())
        .collect();
    if candidates.is_empty() {
        return Err(LogoutTokenError::UnknownKey);
    }

    // 3. iss and aud as for an ID token; iat and exp checked below against
    // our clock.
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["iss", "aud"]);
    validation.validate_exp = false;
    validation.validate_nbf = false;

    let mut last = LogoutTokenError::Signature;
    let mut claims = None;
    for key in &candidates {
        match jsonwebtoken::decode::<RawClaims>(token, key, &validation) {
            Ok(data) => {
                claims = Some(data.claims);
                break;
            }
            Err(e) => {
                use jsonwebtoken::errors::ErrorKind;
                last = match e.kind() {
                    ErrorKind::InvalidIssuer => return Err(LogoutTokenError::Issuer),
                    ErrorKind::InvalidAudience => return Err(LogoutTokenError::Audience),
                    ErrorKind::MissingRequiredClaim(c) if c == "iss" => {
                        return Err(LogoutTokenError::Issuer);
                    }
                    ErrorKind::MissingRequiredClaim(_) => return Err(LogoutTokenError::Audience),
                    ErrorKind::Json(_) => return Err(LogoutTokenError::Malformed),
                    // Another key of the set may be the one.
                    _ => LogoutTokenError::Signature,
                };
            }
        }
    }
    let claims = claims.ok_or(last)?;

    let iat = int_claim(claims.iat.as_ref(), "iat")?;
    let exp = int_claim(claims.exp.as_ref(), "exp")?;
    if iat > now + LEEWAY_SECONDS || iat < now - MAX_AGE_SECONDS || exp + LEEWAY_SECONDS < now {
        return Err(LogoutTokenError::Time);
    }

    // 4. sub or sid.
    let sid = string_claim(claims.sid, "sid")?;
    let sub = string_claim(claims.sub, "sub")?;
    if sid.is_none() && sub.is_none() {
        return Err(LogoutTokenError::NoSubject);
    }

    // 5. events holds the back-channel logout member, a JSON object.
    let events = claims.events.as_ref().and_then(Value::as_object);
    if !events
        .and_then(|e: &Map<String, Value>| e.get(BACKCHANNEL_LOGOUT_EVENT))
        .is_some_and(Value::is_object)
    {
        return Err(LogoutTokenError::Events);
    }

    // 6. No nonce: an ID token (which may carry one) is not a logout token.
    if claims.nonce.is_some() {
        return Err(LogoutTokenError::Nonce);
    }

    Ok(LogoutClaims {
        sid,
        sub,
        jti: string_claim(claims.jti, "jti")?,
        exp,
    })
}

fn int_claim(v: Option<&Value>, name: &'static str) -> Result<i64, LogoutTokenError> {
    v.and_then(Value::as_i64)
        .ok_or(LogoutTokenError::Claim(name))
}

fn string_claim(v: Option<Value>, name: &'static str) -> Result<Option<String>, LogoutTokenError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
        Some(_) => Err(LogoutTokenError::Claim(name)),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use p256::pkcs8::EncodePrivateKey as _;
    use serde_json::json;

    use super::*;

    const ISS: &str = "https://id.example.go.th";
    const CLIENT: &str = "info-client";
    const NOW: i64 = 1_800_000_000;

    struct Issuer {
        key: EncodingKey,
        jwks: JwkSet,
    }

    #[expect(
        clippy::disallowed_types,
        reason = "a test of the demo relying party: its issuer's key"
    )]
    fn issuer(kid: &str) -> Issuer {
        use rand::rngs::OsRng;
        let secret = p256::SecretKey::random(&mut OsRng);
        let pem = secret.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap();
        let mut jwk: Value = serde_json::from_str(&secret.public_key().to_jwk_string()).unwrap();
        jwk["kid"] = json!(kid);
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        Issuer {
            key: EncodingKey::from_ec_pem(pem.as_bytes()).unwrap(),
            jwks: serde_json::from_value(json!({ "keys": [jwk] })).unwrap(),
        }
    }

    fn good_claims() -> Value {
        json!({
            "iss": ISS,
            "aud": CLIENT,
            "iat": NOW - 5,
            "exp": NOW + 115,
            "jti": "j1",
            "sub": "user-1",
            "sid": "sid-1",
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        })
    }

    fn sign(issuer: &Issuer, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        header.typ = Some("logout+jwt".into());
        jsonwebtoken::encode(&header, claims, &issuer.key).unwrap()
    }

    fn check(issuer: &Issuer, token: &str) -> Result<LogoutClaims, LogoutTokenError> {
        validate(
            token,
            Expected {
                issuer: ISS,
                client_id: CLIENT,
            },
            &issuer.jwks,
            NOW,
        )
    }

    #[test]
    fn a_good_token_names_the_session_to_end() {
        let i = issuer("k1");
        let claims = check(&i, &sign(&i, "k1", &good_claims())).unwrap();
        assert_eq!(claims.sid.as_deref(), Some("sid-1"));
        assert_eq!(claims.sub.as_deref(), Some("user-1"));
        assert_eq!(claims.jti.as_deref(), Some("j1"));
    }

    #[test]
    fn a_token_for_another_app_is_refused() {
        let i = issuer("k1");
        let mut c = good_claims();
        c["aud"] = json!("back-office");
        assert_eq!(
            check(&i, &sign(&i, "k1", &c)),
            Err(LogoutTokenError::Audience)
        );
    }

    #[test]
    fn a_token_from_another_issuer_is_refused() {
        let i = issuer("k1");
        let mut c = good_claims();
        c["iss"] = json!("https://evil.example");
        assert_eq!(
            check(&i, &sign(&i, "k1", &c)),
            Err(LogoutTokenError::Issuer)
        );
    }

    #[test]
    fn a_token_without_the_logout_event_is_refused() {
        let i = issuer("k1");
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove("events");
        assert_eq!(
            check(&i, &sign(&i, "k1", &c)),
            Err(LogoutTokenError::Events)
        );
        c["events"] = json!({ "http://schemas.openid.net/event/other": {} });
        assert_eq!(
            check(&i, &sign(&i, "k1", &c)),
            Err(LogoutTokenError::Events)
        );
        c["events"] = json!({ BACKCHANNEL_LOGOUT_EVENT: "yes" });
        assert_eq!(
            check(&i, &sign(&i, "k1", &c)),
            Err(LogoutTokenError::Events)
        );
    }

    #[test]
    fn a_token_with_a_nonce_is_refused() {
        let i = issuer("k1");
        let mut c = good_claims();
        c["nonce"] = json!("n");
        assert_eq!(check(&i, &sign(&i, "k1", &c)), Err(LogoutTokenError::Nonce));
    }

    #[test]
    fn an_expired_or_stale_token_is_refused() {
        let i = issuer("k1");
        let mut c = good_claims();
        c["iat"] = json!(NOW - 200);
        c["exp"] = json!(NOW - 80);
        assert_eq!(check(&i, &sign(&i, "k1", &c)), Err(LogoutTokenError::Time));
        // Within the leeway it still counts.
        c["exp"] = json!(NOW - 30);
        assert!(check(&i, &sign(&i, "k1", &c)).is_ok());
        // Issued long ago with a far expiry: a replay.
        c["iat"] = json!(NOW - MAX_AGE_SECONDS - 1);
        c["exp"] = json!(NOW + 3600);
        assert_eq!(check(&i, &sign(&i, "k1", &c)), Err(LogoutTokenError::Time));
        // Issued in the future.
        c["iat"] = json!(NOW + 600);
        assert_eq!(check(&i, &sign(&i, "k1", &c)), Err(LogoutTokenError::Time));
        c.as_object_mut().unwrap().remove("iat");
        assert_eq!(
            check(&i, &sign(&i, "k1", &c)),
            Err(LogoutTokenError::Claim("iat"))
        );
    }

    #[test]
    fn a_token_naming_nobody_is_refused() {
        let i = issuer("k1");
        let mut c = good_claims();
        c.as_object_mut().unwrap().remove("sid");
        assert!(check(&i, &sign(&i, "k1", &c)).is_ok(), "sub alone suffices");
        c.as_object_mut().unwrap().remove("sub");
        assert_eq!(
            check(&i, &sign(&i, "k1", &c)),
            Err(LogoutTokenError::NoSubject)
        );
    }

    #[test]
    fn a_token_signed_by_another_key_is_refused() {
        let published = issuer("k1");
        let forger = issuer("k1");
        assert_eq!(
            check(&published, &sign(&forger, "k1", &good_claims())),
            Err(LogoutTokenError::Signature)
        );
        assert_eq!(
            check(&published, &sign(&forger, "k2", &good_claims())),
            Err(LogoutTokenError::UnknownKey)
        );
    }

    #[test]
    fn unsigned_hmac_and_mistyped_tokens_are_refused() {
        let i = issuer("k1");
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &good_claims(),
            &EncodingKey::from_secret(b"client-secret"),
        )
        .unwrap();
        assert_eq!(check(&i, &hs), Err(LogoutTokenError::Algorithm));
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        header.typ = Some("JWT".into());
        let id_token_like = jsonwebtoken::encode(&header, &good_claims(), &i.key).unwrap();
        assert_eq!(check(&i, &id_token_like), Err(LogoutTokenError::Type));
        assert_eq!(check(&i, "not.a.jwt"), Err(LogoutTokenError::Malformed));
    }
}

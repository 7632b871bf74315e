//! Minting tokens: JWT access tokens (RFC 9068) signed with the ES256 key,
//! ID tokens signed with the client's algorithm. Minting writes nothing:
//! an access token exists only as its signature, and revocation records
//! just the revoked `jti` until it would have expired.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_storage::records::{Client, User};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::claims::{ClaimsRequest, Source};
use crate::clients::claims_in_id_token;
use crate::keys::SigningAlg;
use crate::state::Tokens;
use crate::web::oauth_error::{OAuthError, internal};

pub(crate) const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Why an access token is refused. Its text is safe to show to whoever
/// presented the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InvalidToken {
    Malformed,
    NotAnAccessToken,
    Expired,
    Revoked,
}

impl InvalidToken {
    /// The reason as a static string, for error types that hold one.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "the access token is not valid",
            Self::NotAnAccessToken => "the token is not an access token",
            Self::Expired => "the access token has expired",
            Self::Revoked => "the access token was revoked",
        }
    }
}

impl std::fmt::Display for InvalidToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for InvalidToken {}

/// The outcome of checking an access token other than a valid one: the
/// token is refused, or it cannot be judged now (the revocation list is
/// unreachable). The two must not be confused: answering an outage as
/// `invalid_token` makes clients throw away good tokens, and answering it
/// as valid would accept revoked ones.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenCheckError {
    #[error(transparent)]
    Invalid(#[from] InvalidToken),
    /// Kept for the one log line of whoever answers the request; never
    /// shown.
    #[error("the access token cannot be checked now")]
    Unavailable(#[source] pratu_storage::StorageError),
}

impl From<TokenCheckError> for OAuthError {
    /// `invalid_token` (401, with its Bearer challenge) for a refused
    /// token, `temporarily_unavailable` (503) for an outage, logged here.
    fn from(e: TokenCheckError) -> Self {
        match e {
            TokenCheckError::Invalid(why) => OAuthError::invalid_token(why.as_str()),
            TokenCheckError::Unavailable(cause) => {
                OAuthError::temporarily_unavailable().caused_by(cause)
            }
        }
    }
}

/// The claims of a Pratu access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// Claims requested individually for userinfo (`claims` parameter).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "pratu_userinfo"
    )]
    pub userinfo_claims: Option<Vec<String>>,
    /// `verified_claims` requested for userinfo: the claim names inside.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        rename = "pratu_verified"
    )]
    pub verified_claims: Option<Vec<String>>,
}

/// The sign-in facts a user-bound token carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SignIn {
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
    pub sid: Option<String>,
    #[serde(default)]
    pub claims: ClaimsRequest,
}

pub(crate) struct Minted {
    pub token: String,
}

impl Tokens {
    pub(crate) fn mint_access_token(
        &self,
        client: &Client,
        sub: &str,
        scopes: &[String],
        sign_in: Option<&SignIn>,
        jti: String,
    ) -> Result<Minted, OAuthError> {
        let now = self.clock.now().unix_timestamp();
        let lifetime = i64::try_from(self.config.access_token_lifetime_seconds).unwrap_or(600);
        let claims = AccessClaims {
            iss: self.issuer.url.clone(),
            sub: sub.to_owned(),
            aud: self.issuer.url.clone(),
            client_id: client.client_id.clone(),
            exp: now + lifetime,
            iat: now,
            jti,
            scope: scopes.join(" "),
            auth_time: sign_in.map(|s| s.auth_time),
            acr: sign_in.map(|s| s.acr.clone()),
            userinfo_claims: sign_in
                .map(|s| s.claims.userinfo.clone())
                .filter(|c| !c.is_empty()),
            verified_claims: sign_in.and_then(|s| s.claims.verified_userinfo.clone()),
        };
        let ring = self.keys.ring();
        let key = ring
            .signer(SigningAlg::Es256, self.clock.now())
            .ok_or_else(|| {
                tracing::error!("no active ES256 signing key");
                OAuthError::server_error()
            })?;
        let token = key
            .sign(Some(ACCESS_TOKEN_TYP), &claims)
            .map_err(|e| internal(&e))?;
        Ok(Minted { token })
    }

    /// The algorithm of `client`'s ID tokens.
    pub(crate) fn id_token_alg(&self, client: &Client) -> SigningAlg {
        client
            .id_token_signed_response_alg
            .as_deref()
            .and_then(SigningAlg::parse)
            .unwrap_or(self.default_alg)
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "an ID token draws on all of these"
    )]
    pub(crate) fn mint_id_token(
        &self,
        client: &Client,
        sub: &str,
        user: &User,
        sign_in: &SignIn,
        nonce: Option<&str>,
        access_token: Option<&str>,
        scopes: &[String],
    ) -> Result<String, OAuthError> {
        let now = self.clock.now().unix_timestamp();
        let lifetime = i64::try_from(self.config.id_token_lifetime_seconds).unwrap_or(600);
        let alg = self.id_token_alg(client);
        let mut c = Map::new();
        c.insert("iss".into(), json!(self.issuer.url));
        c.insert("sub".into(), json!(sub));
        c.insert("aud".into(), json!(client.client_id));
        c.insert("exp".into(), json!(now + lifetime));
        c.insert("iat".into(), json!(now));
        c.insert("auth_time".into(), json!(sign_in.auth_time));
        if let Some(n) = nonce {
            c.insert("nonce".into(), json!(n));
        }
        c.insert("acr".into(), json!(sign_in.acr));
        c.insert("amr".into(), json!(sign_in.amr));
        c.insert("azp".into(), json!(client.client_id));
        if let Some(sid) = &sign_in.sid {
            c.insert("sid".into(), json!(sid));
        }
        if let Some(at) = access_token {
            c.insert(
                "at_hash".into(),
                json!(B64.encode(alg.half_hash(at.as_bytes()))),
            );
        }
        let source = Source {
            user,
            citizen_ids: &self.citizen_ids,
            allow_citizen_id: client.allow_citizen_id,
        };
        // Scope claims go to userinfo, since an access token is always
        // issued (OIDC Core §5.4), unless the client asked for them here
        // too; claims asked for in the ID token through `claims` always.
        if claims_in_id_token(client) {
            for s in scopes {
                source.release(crate::scopes::claims_of(s).iter().copied(), &mut c);
            }
        }
        source.release(sign_in.claims.id_token.iter().map(String::as_str), &mut c);
        if let Some(names) = &sign_in.claims.verified_id_token
            && (scopes.iter().any(|s| s == "ial") || client.scopes.iter().any(|s| s == "ial"))
            && let Some(v) = source.verified_claims(names)
        {
            c.insert("verified_claims".into(), v);
        }
        let ring = self.keys.ring();
        let key = ring.signer(alg, self.clock.now()).ok_or_else(|| {
            tracing::error!(alg = %alg, "no active signing key");
            OAuthError::server_error()
        })?;
        key.sign(Some("JWT"), &Value::Object(c))
            .map_err(|e| internal(&e))
    }

    /// Checks an access token we issued: signature, type, issuer, expiry,
    /// revocation. A revocation list that cannot be read is not a verdict
    /// on the token: callers answer it as an outage, never as `invalid`.
    pub(crate) async fn verify_access_token(
        &self,
        token: &str,
    ) -> Result<AccessClaims, TokenCheckError> {
        let data = self
            .keys
            .ring()
            .decode::<AccessClaims>(token, &access_token_validation(&self.issuer.url))
            .map_err(|_| InvalidToken::Malformed)?;
        if data.header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(InvalidToken::NotAnAccessToken.into());
        }
        let claims = data.claims;
        if claims.exp <= self.clock.now().unix_timestamp() {
            return Err(InvalidToken::Expired.into());
        }
        match self.ephemeral.get(&revoked_key(&claims.jti)).await {
            Ok(None) => {}
            Ok(Some(_)) => return Err(InvalidToken::Revoked.into()),
            Err(e) => return Err(TokenCheckError::Unavailable(e)),
        }
        match self
            .ephemeral
            .get(&grant_revoked_key(&claims.client_id, &claims.sub))
            .await
        {
            Ok(Some(at)) if claims.iat <= parse_time(&at) => Err(InvalidToken::Revoked.into()),
            Ok(_) => Ok(claims),
            Err(e) => Err(TokenCheckError::Unavailable(e)),
        }
    }

    /// Revokes every access token issued to `client_id` for `user_id` so
    /// far (consent withdrawn): access tokens are JWTs checked against the
    /// ephemeral store, so a marker per (client, subject), kept as long as
    /// such a token can live, refuses those issued at or before it. An
    /// unknown client has no tokens.
    pub(crate) async fn revoke_grant(
        &self,
        user_id: uuid::Uuid,
        client_id: &str,
    ) -> Result<(), pratu_storage::StorageError> {
        let Some(client) = self.store.client_by_id(client_id).await? else {
            return Ok(());
        };
        let sub = crate::subject::SubjectKind::of(&client).subject(&self.server_key, user_id);
        let now = self.clock.now().unix_timestamp();
        let ttl = std::time::Duration::from_secs(
            self.config.access_token_lifetime_seconds.saturating_add(60),
        );
        self.ephemeral
            .put(
                &grant_revoked_key(client_id, &sub),
                now.to_string().as_bytes(),
                ttl,
            )
            .await
    }

    /// Marks an access token revoked on every node until it would expire.
    pub(crate) async fn revoke_access_token(
        &self,
        jti: &str,
        exp: i64,
    ) -> Result<(), pratu_storage::StorageError> {
        let left = exp - self.clock.now().unix_timestamp();
        if left <= 0 {
            return Ok(());
        }
        let ttl = std::time::Duration::from_secs(u64::try_from(left).unwrap_or(0) + 5);
        self.ephemeral.put(&revoked_key(jti), b"1", ttl).await
    }
}

/// How an access token presented back to us is checked by `jsonwebtoken`:
/// our issuer, `exp` present (enforced by callers against the clock, since
/// revocation accepts expired tokens), `aud` (our issuer) not needed.
pub(crate) fn access_token_validation(issuer: &str) -> jsonwebtoken::Validation {
    let mut v = crate::keys::inbound::validation(&["iss", "exp"]);
    v.set_issuer(&[issuer]);
    v.validate_aud = false;
    v
}

fn revoked_key(jti: &str) -> String {
    format!("revoked_at:{jti}")
}

fn grant_revoked_key(client_id: &str, sub: &str) -> String {
    format!("grant_revoked:{client_id}:{sub}")
}

/// A marker's time; one that cannot be read revokes everything (fail
/// closed: markers are written only by [`Tokens::revoke_grant`]).
fn parse_time(raw: &[u8]) -> i64 {
    std::str::from_utf8(raw)
        .ok()
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(i64::MAX)
}

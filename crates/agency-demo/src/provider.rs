//! Everything that talks to Pratu, through the `openidconnect` crate:
//! discovery, the authorization request (code + PKCE S256, state, nonce),
//! the code exchange with ID token validation (signature, iss, aud, exp,
//! nonce, at_hash), userinfo, and the end-session URL.
//!
//! Discovery runs on first use and is cached, so the app starts even while
//! Pratu is still starting. When a token names a key the cached JWKS does
//! not hold (Pratu rotated its keys), discovery runs again once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthorizationCode, ClaimsVerificationError, Client,
    ClientId, CsrfToken, EmptyExtraTokenFields, EndSessionUrl, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IdToken, IdTokenClaims, IdTokenFields, IssuerUrl, LogoutRequest, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError,
    StandardErrorResponse, StandardTokenResponse, TokenResponse as _, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, RwLock};

use crate::config::Config;

/// Pratu's claims beyond OpenID Connect's standard ones (see Pratu's README,
/// "Claims by scope"). Both the ID token and userinfo may carry them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PratuClaims {
    /// The SSO session at Pratu; back-channel logout names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Thai title as on the ID card (นาย, นาง, นางสาว…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name_en: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name_en: Option<String>,
    /// Identity assurance level (scope `ial`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ial: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ial_level: Option<serde_json::Value>,
}
impl AdditionalClaims for PratuClaims {}

pub type PratuIdToken = IdToken<
    PratuClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
pub type PratuIdTokenClaims = IdTokenClaims<PratuClaims, CoreGenderClaim>;
pub type PratuUserInfo = UserInfoClaims<PratuClaims, CoreGenderClaim>;
type PratuTokenResponse = StandardTokenResponse<
    IdTokenFields<
        PratuClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
/// `CoreClient` with [`PratuClaims`], after discovery (authorization
/// endpoint set, token and userinfo endpoints as discovered).
type PratuClient = Client<
    PratuClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    PratuTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Pratu signs with these; pinning them means a token signed with anything
/// else (`none`, HMAC with the client secret) is refused.
const ID_TOKEN_ALGS: [CoreJwsSigningAlgorithm; 3] = [
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Re-discovery (key rotation) at most this often, so forged tokens with
/// random key ids cannot make the app hammer Pratu.
const REDISCOVERY_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("discovery failed: {0}")]
    Discovery(String),
    #[error("provider configuration: {0}")]
    Configuration(String),
    #[error("code exchange failed: {0}")]
    Exchange(String),
    #[error("no ID token in the token response")]
    NoIdToken,
    #[error("ID token invalid: {0}")]
    IdToken(String),
    #[error("userinfo failed: {0}")]
    UserInfo(String),
}

/// The state of one sign-in between the redirect to Pratu and the callback.
/// Kept server-side, bound to the browser's cookie.
#[derive(Debug)]
pub struct PendingLogin {
    pub state: CsrfToken,
    pub nonce: Nonce,
    pub pkce_verifier: PkceCodeVerifier,
}

/// A completed sign-in: what the pages show and what logout needs.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id_token: PratuIdToken,
    pub claims: PratuIdTokenClaims,
    pub userinfo: PratuUserInfo,
}

impl SignedIn {
    pub fn sub(&self) -> &str {
        self.claims.subject().as_str()
    }

    pub fn sid(&self) -> Option<&str> {
        self.claims.additional_claims().sid.as_deref()
    }
}

struct Discovered {
    client: PratuClient,
    end_session: Option<EndSessionUrl>,
    /// The same keys in `jsonwebtoken`'s form, for logout tokens.
    jwks: jsonwebtoken::jwk::JwkSet,
}

pub struct Provider {
    config: Arc<Config>,
    http: openidconnect::reqwest::Client,
    current: RwLock<Option<Arc<Discovered>>>,
    last_discovery: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Provider {
    pub fn new(config: Arc<Config>) -> Result<Self, ProviderError> {
        // openidconnect's advice: no redirects, so a hostile or misconfigured
        // endpoint cannot bounce the app's requests elsewhere (SSRF).
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| ProviderError::Configuration(e.to_string()))?;
        Ok(Self {
            config,
            http,
            current: RwLock::new(None),
            last_discovery: Mutex::new(None),
        })
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, ProviderError> {
        if let Some(d) = self.current.read().await.clone() {
            return Ok(d);
        }
        self.rediscover(true).await
    }

    /// Fetches the discovery document and JWKS again. Without `force`, only
    /// if the last fetch is older than [`REDISCOVERY_INTERVAL`].
    async fn rediscover(&self, force: bool) -> Result<Arc<Discovered>, ProviderError> {
        let mut last = self.last_discovery.lock().await;
        if !force
            && last.is_some_and(|t| t.elapsed() < REDISCOVERY_INTERVAL)
            && let Some(d) = self.current.read().await.clone()
        {
            return Ok(d);
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone())
            .map_err(|e| ProviderError::Configuration(format!("issuer: {e}")))?;
        // Also checks that the document's `issuer` is exactly ours.
        let meta = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| ProviderError::Discovery(error_chain(&e)))?;
        let jwks = to_jsonwebtoken_jwks(meta.jwks());
        let end_session = meta.additional_metadata().end_session_endpoint.clone();
        let redirect = RedirectUrl::new(self.config.redirect_uri())
            .map_err(|e| ProviderError::Configuration(format!("redirect URI: {e}")))?;
        let client = PratuClient::from_provider_metadata(
            meta,
            ClientId::new(self.config.client_id.clone()),
            Some(self.config.client_secret.clone()),
        )
        .set_redirect_uri(redirect);
        let d = Arc::new(Discovered {
            client,
            end_session,
            jwks,
        });
        *self.current.write().await = Some(d.clone());
        *last = Some(Instant::now());
        Ok(d)
    }

    /// Where to send the browser to sign in, and what to remember until it
    /// comes back.
    pub async fn authorization_request(&self) -> Result<(url::Url, PendingLogin), ProviderError> {
        let d = self.discovered().await?;
        let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = d.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        Ok((
            url,
            PendingLogin {
                state,
                nonce,
                pkce_verifier,
            },
        ))
    }

    /// The callback's work: code → tokens, ID token checks, userinfo.
    pub async fn complete_login(
        &self,
        code: String,
        pending: PendingLogin,
    ) -> Result<SignedIn, ProviderError> {
        let d = self.discovered().await?;
        let token = d
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| ProviderError::Configuration(e.to_string()))?
            .set_pkce_verifier(pending.pkce_verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| ProviderError::Exchange(error_chain(&e)))?;
        let id_token = token.id_token().ok_or(ProviderError::NoIdToken)?.clone();

        let (d, claims) = match verify_id_token(&d, &id_token, &pending.nonce, token.access_token())
        {
            Err(VerifyFailure::UnknownKey) => {
                let d = self.rediscover(false).await?;
                let claims = verify_id_token(&d, &id_token, &pending.nonce, token.access_token())?;
                (d, claims)
            }
            other => (d, other?),
        };

        // Userinfo is bound to the ID token's subject: openidconnect refuses
        // an answer about anyone else (OIDC Core §5.3.2).
        let userinfo: PratuUserInfo = d
            .client
            .user_info(token.access_token().clone(), Some(claims.subject().clone()))
            .map_err(|e| ProviderError::Configuration(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| ProviderError::UserInfo(error_chain(&e)))?;
        Ok(SignedIn {
            id_token,
            claims,
            userinfo,
        })
    }

    /// RP-initiated logout: the end-session URL with `id_token_hint` (Pratu
    /// uses it to find the session and the app), where to come back, and a
    /// state to recognise the return. `None` if Pratu publishes no endpoint.
    pub async fn end_session_url(
        &self,
        id_token: &PratuIdToken,
        state: CsrfToken,
    ) -> Result<Option<url::Url>, ProviderError> {
        let d = self.discovered().await?;
        let Some(endpoint) = d.end_session.clone() else {
            return Ok(None);
        };
        let back = PostLogoutRedirectUrl::new(self.config.post_logout_redirect_uri())
            .map_err(|e| ProviderError::Configuration(format!("post-logout URI: {e}")))?;
        Ok(Some(
            LogoutRequest::from(endpoint)
                .set_id_token_hint(id_token)
                .set_client_id(ClientId::new(self.config.client_id.clone()))
                .set_post_logout_redirect_uri(back)
                .set_state(state)
                .http_get_url(),
        ))
    }

    /// Validates a back-channel logout token against the issuer's keys,
    /// fetching them again once if the token names a key we do not have.
    pub async fn validate_logout_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<crate::logout_token::LogoutClaims, LogoutTokenCheck> {
        use crate::logout_token::{Expected, LogoutTokenError, validate};
        let expected = Expected {
            issuer: &self.config.issuer,
            client_id: &self.config.client_id,
        };
        let d = self
            .discovered()
            .await
            .map_err(LogoutTokenCheck::Provider)?;
        match validate(token, expected, &d.jwks, now) {
            Err(LogoutTokenError::UnknownKey) => {
                let d = self
                    .rediscover(false)
                    .await
                    .map_err(LogoutTokenCheck::Provider)?;
                validate(token, expected, &d.jwks, now).map_err(LogoutTokenCheck::Invalid)
            }
            other => other.map_err(LogoutTokenCheck::Invalid),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogoutTokenCheck {
    #[error(transparent)]
    Invalid(crate::logout_token::LogoutTokenError),
    #[error(transparent)]
    Provider(ProviderError),
}

enum VerifyFailure {
    UnknownKey,
    Invalid(String),
}

impl From<VerifyFailure> for ProviderError {
    fn from(f: VerifyFailure) -> Self {
        match f {
            VerifyFailure::UnknownKey => Self::IdToken("no issuer key matches".into()),
            VerifyFailure::Invalid(e) => Self::IdToken(e),
        }
    }
}

/// OIDC Core §3.1.3.7: signature with a pinned algorithm and an issuer key,
/// `iss`, `aud` (and `azp`), `exp`, `iat`, the `nonce` we sent, and
/// `at_hash` against the access token we received with it.
fn verify_id_token(
    d: &Discovered,
    id_token: &PratuIdToken,
    nonce: &Nonce,
    access_token: &openidconnect::AccessToken,
) -> Result<PratuIdTokenClaims, VerifyFailure> {
    let verifier = d
        .client
        .id_token_verifier()
        .set_allowed_algs(ID_TOKEN_ALGS.to_vec());
    let claims = match id_token.claims(&verifier, nonce) {
        Ok(c) => c.clone(),
        Err(ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        )) => return Err(VerifyFailure::UnknownKey),
        Err(e) => return Err(VerifyFailure::Invalid(e.to_string())),
    };
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(|e| VerifyFailure::Invalid(e.to_string()))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|e| VerifyFailure::Invalid(e.to_string()))?;
        let actual = AccessTokenHash::from_token(access_token, alg, key)
            .map_err(|e| VerifyFailure::Invalid(e.to_string()))?;
        if &actual != expected {
            return Err(VerifyFailure::Invalid("at_hash does not match".into()));
        }
    }
    Ok(claims)
}

/// The discovered JWKS in `jsonwebtoken`'s types; keys it cannot read are
/// left out rather than failing the whole set.
fn to_jsonwebtoken_jwks(
    keys: &openidconnect::JsonWebKeySet<CoreJsonWebKey>,
) -> jsonwebtoken::jwk::JwkSet {
    let keys = keys
        .keys()
        .iter()
        .filter_map(|k| serde_json::to_value(k).ok())
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    jsonwebtoken::jwk::JwkSet { keys }
}

/// An error with its causes, for logs (the crate's errors often hide the
/// useful part in `source()`). Never contains tokens or secrets: these
/// errors describe transport and validation failures.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

//! The provider's shared state, built once at startup by the server from
//! [`OidcDeps`], and reached by handlers through `FromRef`.
//!
//! [`OidcState`] is only the root: the server holds it and admin calls its
//! public methods. Handlers never take it; each names in its signature the
//! substates it uses, so what a handler can touch is what it declares:
//!
//! ```text
//! async fn jwks(State(jwks): State<Jwks>, headers: HeaderMap) -> Response
//! async fn token(
//!     State(auth): State<ClientAuth>,
//!     State(tokens): State<Tokens>,
//!     State(audit): State<Audit>,
//!     headers: HeaderMap,
//!     body: Bytes,
//! ) -> Response
//! ```
//!
//! The substates, each cheap to clone (an `Arc` inside, built once in
//! [`OidcState::init`]):
//! - services: [`Clients`] (the registry), [`Tokens`] (minting, verifying and
//!   revoking tokens, refresh-token records), [`Sessions`] (the SSO
//!   session), [`Accounts`] (records, passwords, citizen-ID cipher),
//!   [`Audit`], [`Forms`] (CSRF and the pages), [`LoginThrottle`],
//!   [`StepUpService`];
//! - what an endpoint serves: [`DiscoveryDocument`], [`Jwks`];
//! - flows that need many pieces, gathered once: [`AuthorizeFlow`] (the
//!   authorization request from checking it to the code), [`ClientAuth`]
//!   (client authentication at the token, introspection and revocation
//!   endpoints), [`Registration`], [`Logout`].
//!
//! Each substate implements `FromRef<S>` for every `S` from which
//! `OidcState` can be taken, so the router stays generic over the server's
//! state with the one bound `OidcState: FromRef<S>`. A new dependency of a
//! handler is a field of the substate it belongs to (or a new substate
//! added to [`Inner`] and the `substate!` list), never a field of the root.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRef;
use pratu_core::audit::Auditor;
use pratu_core::password::PasswordHasher;
use pratu_core::pii::{PiiCipher, SecretKey};
use pratu_core::random::SharedRandom;
use pratu_core::sms::SmsSender;
use pratu_core::web::{CookiePolicy, Csrf};
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::{Clock, Store};

use crate::clients::ClientService;
use crate::config::{
    AssuranceConfig, ConfigError, LoginLimits, OidcConfig, SessionConfig, TokensConfig,
};
use crate::keys::{KeyError, KeyManager, SigningAlg};

/// Everything the provider needs from the server.
#[derive(Debug, Clone)]
pub struct OidcDeps {
    /// The issuer URL (top-level `issuer`), e.g. `https://id.example.go.th`.
    /// Endpoints are served at the root of the router; an issuer with a
    /// path needs the router nested at that path.
    pub issuer: String,
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    /// Draws codes, refresh tokens, client secrets, signing keys and CSRF
    /// cookie values.
    pub random: SharedRandom,
    pub passwords: PasswordHasher,
    /// Opens citizen IDs (aad `b"citizen_id"`) for clients allowed them.
    pub citizen_ids: PiiCipher,
    /// Seals and opens signing keys.
    pub key_encryption: PiiCipher,
    /// Keys pairwise subjects and CSRF tokens. Changing it changes every
    /// pairwise `sub`.
    pub server_key: SecretKey,
    /// Sends step-up OTPs; without it the SMS factor is not offered (the
    /// authenticator app and passkeys still reach `urn:pratu:acr:aal2`).
    pub sms: Option<Arc<dyn SmsSender>>,
    pub config: OidcConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(
        "issuer must be an absolute https URL (or http on a loopback host) without query or fragment"
    )]
    Issuer,
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Without its client, back-channel logout would have no timeout and
    /// would follow redirects: no silent default instead.
    #[error("the HTTP client for back-channel logout could not be built")]
    HttpClient(#[source] reqwest::Error),
}

/// The issuer and what follows from it.
#[derive(Debug, Clone)]
pub struct Issuer {
    /// Without a trailing slash.
    pub url: String,
    pub cookies: CookiePolicy,
}

impl Issuer {
    pub fn parse(issuer: &str) -> Result<Self, InitError> {
        let url = url::Url::parse(issuer).map_err(|_| InitError::Issuer)?;
        if url.query().is_some() || url.fragment().is_some() || url.host().is_none() {
            return Err(InitError::Issuer);
        }
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        let secure = match url.scheme() {
            "https" => true,
            "http" if loopback => false,
            _ => return Err(InitError::Issuer),
        };
        Ok(Self {
            url: issuer.trim_end_matches('/').to_owned(),
            cookies: CookiePolicy { secure },
        })
    }

    /// The absolute URL of an endpoint path such as `/token`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

/// The provider's state: the root every substate is taken from. Cheap to
/// clone. Handlers never take it whole; they name the substates they use.
#[derive(Debug, Clone)]
pub struct OidcState(Arc<Inner>);

/// The root's parts: the issuer (for the public accessors) and every
/// substate, each built once at startup.
#[derive(Debug)]
pub(crate) struct Inner {
    issuer: Issuer,
    clients: Clients,
    discovery: DiscoveryDocument,
    jwks: Jwks,
    tokens: Tokens,
    sessions: Sessions,
    accounts: Accounts,
    audit: Audit,
    forms: Forms,
    throttle: LoginThrottle,
    step_up: StepUpService,
    authorize: AuthorizeFlow,
    client_auth: ClientAuth,
    registration: Registration,
    logout: Logout,
}

/// Lets a handler of a router over any state `S` from which [`OidcState`]
/// can be taken name a substate in its signature (`State<Tokens>`): the
/// root is taken from `S` and the substate from the root, one `Arc` clone
/// each. `S = OidcState` is the plain `FromRef<OidcState>` case (axum's
/// reflexive impl). Blanket over `S`, so the router keeps its one bound
/// `OidcState: FromRef<S>` and the server's `AppState` needs no impl per
/// substate; the orphan rule allows that only for types of this crate,
/// hence newtypes such as [`Jwks`] rather than a bare `Arc<KeyManager>`.
macro_rules! substate {
    ($($ty:ident => $field:ident),* $(,)?) => {$(
        impl<S> FromRef<S> for $ty
        where
            OidcState: FromRef<S>,
        {
            fn from_ref(state: &S) -> Self {
                OidcState::from_ref(state).0.$field.clone()
            }
        }
    )*};
}

substate! {
    Clients => clients,
    DiscoveryDocument => discovery,
    Jwks => jwks,
    Tokens => tokens,
    Sessions => sessions,
    Accounts => accounts,
    Audit => audit,
    Forms => forms,
    LoginThrottle => throttle,
    StepUpService => step_up,
    AuthorizeFlow => authorize,
    ClientAuth => client_auth,
    Registration => registration,
    Logout => logout,
}

/// Declares a substate `$name(Arc<$parts>)` reading as its parts.
macro_rules! shared {
    ($(#[$doc:meta])* $name:ident($parts:ident)) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub(crate) struct $name(pub(crate) Arc<$parts>);

        impl std::ops::Deref for $name {
            type Target = $parts;
            fn deref(&self) -> &$parts {
                &self.0
            }
        }
    };
}

shared! {
    /// The client registry, shared so taking it costs an `Arc` clone.
    Clients(ClientService)
}

/// `/.well-known/openid-configuration`, serialised once at startup.
#[derive(Debug, Clone)]
pub(crate) struct DiscoveryDocument(pub Bytes);

/// What `/jwks` serves: the published keys and how long caches keep them.
#[derive(Debug, Clone)]
pub(crate) struct Jwks {
    pub keys: Arc<KeyManager>,
    pub max_age_seconds: u64,
}

shared! {
    /// Issues, verifies and revokes tokens: access and ID tokens signed
    /// with the keys, logout tokens, authorization codes' derived ids, the
    /// refresh-token records and the revocation list of access tokens.
    Tokens(TokensParts)
}

#[derive(Debug)]
pub(crate) struct TokensParts {
    pub issuer: Issuer,
    pub keys: Arc<KeyManager>,
    /// Refresh-token records (and the accounts tokens are minted for).
    pub store: Arc<dyn Store>,
    /// Codes and the revocation list.
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    /// Keys pairwise subjects and code-derived ids.
    pub server_key: SecretKey,
    /// Opens citizen IDs released in ID tokens.
    pub citizen_ids: PiiCipher,
    pub config: TokensConfig,
    pub default_alg: SigningAlg,
}

shared! {
    /// The SSO sessions in the ephemeral store, their cookie, lifetimes and
    /// force logout.
    Sessions(SessionsParts)
}

#[derive(Debug)]
pub(crate) struct SessionsParts {
    pub cookies: CookiePolicy,
    /// For revoking a user's refresh tokens at force logout.
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    pub config: SessionConfig,
}

shared! {
    /// The accounts: records, password checks and the citizen-ID cipher of
    /// released claims.
    Accounts(AccountsParts)
}

#[derive(Debug)]
pub(crate) struct AccountsParts {
    pub store: Arc<dyn Store>,
    pub passwords: PasswordHasher,
    pub clock: Arc<dyn Clock>,
    pub citizen_ids: PiiCipher,
}

/// The audit log's one writer (see [`crate::audit`]).
#[derive(Debug, Clone)]
pub(crate) struct Audit(pub Auditor);

shared! {
    /// The provider's pages and forms: CSRF binding, links to the issuer's
    /// endpoints, and the pages that answer a client (`form_post`).
    Forms(FormsParts)
}

#[derive(Debug)]
pub(crate) struct FormsParts {
    pub issuer: Issuer,
    /// Tokens of the provider's forms, keyed with the server key.
    pub csrf: Csrf,
    pub random: SharedRandom,
}

shared! {
    /// Sign-in attempt limits (see [`crate::ratelimit`]).
    LoginThrottle(LoginThrottleParts)
}

#[derive(Debug)]
pub(crate) struct LoginThrottleParts {
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub limits: LoginLimits,
}

#[cfg(test)]
impl LoginThrottle {
    pub(crate) fn from_parts(parts: LoginThrottleParts) -> Self {
        Self(Arc::new(parts))
    }
}

shared! {
    /// Step-up with a second factor (see [`crate::stepup`]).
    StepUpService(StepUpParts)
}

#[derive(Debug)]
pub(crate) struct StepUpParts {
    /// `assurance.step_up`.
    pub enabled: bool,
    /// Sends SMS codes; without it the SMS factor is not offered.
    pub sms: Option<Arc<dyn SmsSender>>,
    /// Opens authenticator-app secrets (sealed like citizen IDs).
    pub totp_secrets: PiiCipher,
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    pub config: AssuranceConfig,
    /// Shared with enrollment's codes to the same phone.
    pub phone_sends: pratu_core::limits::PhoneSendLimit,
    pub audit: Audit,
    pub forms: Forms,
}

shared! {
    /// The authorization flow: checking a request, the pending request
    /// between pages, deciding the next step, issuing the code. It needs
    /// most of the provider, so its pieces are gathered here once.
    AuthorizeFlow(AuthorizeParts)
}

#[derive(Debug)]
pub(crate) struct AuthorizeParts {
    pub clients: Clients,
    pub sessions: Sessions,
    pub forms: Forms,
    pub tokens: Tokens,
    pub accounts: Accounts,
    pub step_up: StepUpService,
    /// Consents.
    pub store: Arc<dyn Store>,
    /// Pending requests and codes.
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    /// Keys the codes.
    pub server_key: SecretKey,
    pub code_lifetime_seconds: u64,
    /// `limits.authorize.pending_per_ip`.
    pub pending_per_ip: u64,
}

shared! {
    /// Client authentication at the token, introspection and revocation
    /// endpoints (see [`crate::token::client_auth`]).
    ClientAuth(ClientAuthParts)
}

#[derive(Debug)]
pub(crate) struct ClientAuthParts {
    pub issuer: Issuer,
    pub clients: Clients,
    pub clock: Arc<dyn Clock>,
    /// Single use of assertion `jti`s.
    pub ephemeral: Arc<dyn EphemeralStore>,
}

shared! {
    /// Dynamic client registration (RFC 7591/7592).
    Registration(RegistrationParts)
}

#[derive(Debug)]
pub(crate) struct RegistrationParts {
    /// `clients.dynamic_registration`.
    pub enabled: bool,
    pub issuer: Issuer,
    pub clients: Clients,
    /// Registration tokens and the clients' `extra`.
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    /// Discovery's `acr_values_supported`: the only `default_acr_values`
    /// a registrant may ask for.
    pub acr_values_supported: Vec<&'static str>,
}

shared! {
    /// Ending SSO sessions (RP-initiated logout) and telling clients
    /// (back-channel logout).
    Logout(LogoutParts)
}

#[derive(Debug)]
pub(crate) struct LogoutParts {
    pub sessions: Sessions,
    pub tokens: Tokens,
    pub clients: Clients,
    pub audit: Audit,
    /// Logouts waiting for the user's confirmation.
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub random: SharedRandom,
    /// For back-channel logout deliveries.
    pub http: reqwest::Client,
}

impl OidcState {
    /// Bytes of Argon2 memory the password workers hold now (for
    /// `/metrics`; 0 once no one has signed in for a while).
    pub fn password_memory_bytes(&self) -> usize {
        self.0.accounts.passwords.held_bytes()
    }

    /// Validates the configuration, makes sure signing keys exist (creating
    /// them on first start) and loads them. Call once at startup, after
    /// migrations; then [`Self::spawn_background`].
    pub async fn init(deps: OidcDeps) -> Result<Self, InitError> {
        deps.config.validate()?;
        let issuer = Issuer::parse(&deps.issuer)?;
        let keys = Arc::new(
            KeyManager::new(
                Arc::clone(&deps.store),
                deps.key_encryption.clone(),
                Arc::clone(&deps.clock),
                deps.config.keys.clone(),
                deps.config.tokens.max_signed_token_lifetime_seconds(),
            )
            .with_random(Arc::clone(&deps.random)),
        );
        keys.ensure_keys().await?;
        keys.reload().await?;
        let clients = ClientService::new(
            Arc::clone(&deps.store),
            Arc::clone(&deps.clock),
            deps.config.clients.cache_ttl_seconds,
            &deps.config.keys.default_alg,
        )
        .with_shared_invalidation(Arc::clone(&deps.ephemeral))
        .with_random(Arc::clone(&deps.random));
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(InitError::HttpClient)?;
        Ok(Self(Arc::new(Inner::build(
            deps, issuer, &keys, clients, http,
        ))))
    }

    /// Starts the background work of this node (periodic key reload). Abort
    /// the handles at shutdown.
    pub fn spawn_background(&self) -> Vec<tokio::task::JoinHandle<()>> {
        vec![self.0.jwks.keys.spawn_reloader()]
    }

    /// The signing keys (for `pratu keys list|rotate` against a running
    /// node's state; the CLI can also build its own [`KeyManager`]).
    pub fn keys(&self) -> &Arc<KeyManager> {
        &self.0.jwks.keys
    }

    /// The client registry.
    pub fn clients(&self) -> &ClientService {
        &self.0.clients
    }

    pub fn issuer(&self) -> &str {
        &self.0.issuer.url
    }

    /// Verifies an access token this provider issued.
    pub async fn verify_bearer(&self, token: &str) -> Result<crate::Bearer, crate::BearerError> {
        self.0.tokens.verify_bearer(&self.0.clients, token).await
    }

    /// Whether the account exists, is active and holds the operator role —
    /// read from the record each time, so revoking the role or disabling
    /// the account takes effect at once.
    pub async fn is_operator(
        &self,
        user_id: uuid::Uuid,
    ) -> Result<bool, pratu_storage::StorageError> {
        self.0.accounts.is_operator(user_id).await
    }

    /// Whether a force logout of `user_id` happened at or after
    /// `created_at` (unix seconds): sessions of other surfaces (the
    /// operator console) end with the SSO sessions.
    pub async fn logged_out_since(
        &self,
        user_id: uuid::Uuid,
        created_at: i64,
    ) -> Result<bool, pratu_storage::StorageError> {
        self.0.sessions.logged_out_since(user_id, created_at).await
    }

    /// The user's live SSO sessions, newest first.
    pub async fn sessions_of(
        &self,
        user_id: uuid::Uuid,
    ) -> Result<Vec<pratu_core::access::SessionInfo>, pratu_storage::StorageError> {
        self.0.sessions.sessions_of(user_id).await
    }

    /// Force logout: ends every SSO session of the user on every node and
    /// revokes every refresh token of the user. Returns how many refresh
    /// tokens were live.
    pub async fn end_user_sessions(
        &self,
        user_id: uuid::Uuid,
    ) -> Result<u64, pratu_storage::StorageError> {
        self.0.sessions.end_user_sessions(user_id).await
    }

    /// Revokes the access tokens issued to `client_id` for `user_id`
    /// (consent withdrawn); their refresh families are revoked with the
    /// consent, in the store's unit of work. Written first, like the force
    /// logout marker, so a withdrawal that cannot revoke them fails whole.
    pub async fn revoke_access_tokens(
        &self,
        user_id: uuid::Uuid,
        client_id: &str,
    ) -> Result<(), pratu_storage::StorageError> {
        self.0.tokens.revoke_grant(user_id, client_id).await
    }

    /// Ends every SSO session of the user on every node without touching
    /// the relational store, returning the marker's time: for callers that
    /// revoke the user's refresh tokens in a transaction of their own
    /// (disabling an account), which write this first.
    pub async fn mark_user_logged_out(
        &self,
        user_id: uuid::Uuid,
    ) -> Result<time::OffsetDateTime, pratu_storage::StorageError> {
        self.0.sessions.mark_user_logged_out(user_id).await
    }
}

impl Inner {
    /// Each substate takes clones of what it uses (one `Arc` each for the
    /// shared services), once.
    fn build(
        deps: OidcDeps,
        issuer: Issuer,
        keys: &Arc<KeyManager>,
        clients: ClientService,
        http: reqwest::Client,
    ) -> Self {
        let default_alg =
            SigningAlg::parse(&deps.config.keys.default_alg).unwrap_or(SigningAlg::Es256);
        // Step-up needs no SMS sender: the authenticator app and passkeys
        // are second factors too.
        let step_up = deps.config.assurance.step_up;
        let discovery = crate::discovery::document(&issuer, &deps.config, step_up);
        let acr_values_supported = crate::acr::supported(&issuer.url, step_up);
        let clients = Clients(Arc::new(clients));
        let audit = Audit(Auditor::new(
            Arc::clone(&deps.store),
            Arc::clone(&deps.clock),
        ));
        let tokens = Tokens(Arc::new(TokensParts {
            issuer: issuer.clone(),
            keys: Arc::clone(keys),
            store: Arc::clone(&deps.store),
            ephemeral: Arc::clone(&deps.ephemeral),
            clock: Arc::clone(&deps.clock),
            random: Arc::clone(&deps.random),
            server_key: deps.server_key.clone(),
            citizen_ids: deps.citizen_ids.clone(),
            config: deps.config.tokens.clone(),
            default_alg,
        }));
        let sessions = Sessions(Arc::new(SessionsParts {
            cookies: issuer.cookies,
            store: Arc::clone(&deps.store),
            ephemeral: Arc::clone(&deps.ephemeral),
            clock: Arc::clone(&deps.clock),
            random: Arc::clone(&deps.random),
            config: deps.config.session.clone(),
        }));
        let accounts = Accounts(Arc::new(AccountsParts {
            store: Arc::clone(&deps.store),
            passwords: deps.passwords.clone(),
            clock: Arc::clone(&deps.clock),
            citizen_ids: deps.citizen_ids.clone(),
        }));
        let forms = Forms(Arc::new(FormsParts {
            issuer: issuer.clone(),
            csrf: Csrf::new(deps.server_key.clone()),
            random: Arc::clone(&deps.random),
        }));
        let step_up = StepUpService(Arc::new(StepUpParts {
            enabled: step_up,
            sms: deps.sms.clone(),
            totp_secrets: deps.citizen_ids.clone(),
            store: Arc::clone(&deps.store),
            ephemeral: Arc::clone(&deps.ephemeral),
            clock: Arc::clone(&deps.clock),
            random: Arc::clone(&deps.random),
            config: deps.config.assurance.clone(),
            phone_sends: deps.config.otp_sends_per_phone,
            audit: audit.clone(),
            forms: forms.clone(),
        }));
        let authorize = AuthorizeFlow(Arc::new(AuthorizeParts {
            clients: clients.clone(),
            sessions: sessions.clone(),
            forms: forms.clone(),
            tokens: tokens.clone(),
            accounts: accounts.clone(),
            step_up: step_up.clone(),
            store: Arc::clone(&deps.store),
            ephemeral: Arc::clone(&deps.ephemeral),
            clock: Arc::clone(&deps.clock),
            random: Arc::clone(&deps.random),
            server_key: deps.server_key.clone(),
            code_lifetime_seconds: deps.config.tokens.code_lifetime_seconds,
            pending_per_ip: deps.config.authorize.pending_per_ip,
        }));
        let client_auth = ClientAuth(Arc::new(ClientAuthParts {
            issuer: issuer.clone(),
            clients: clients.clone(),
            clock: Arc::clone(&deps.clock),
            ephemeral: Arc::clone(&deps.ephemeral),
        }));
        let registration = Registration(Arc::new(RegistrationParts {
            enabled: deps.config.clients.dynamic_registration,
            issuer: issuer.clone(),
            clients: clients.clone(),
            store: Arc::clone(&deps.store),
            clock: Arc::clone(&deps.clock),
            random: Arc::clone(&deps.random),
            acr_values_supported,
        }));
        let logout = Logout(Arc::new(LogoutParts {
            sessions: sessions.clone(),
            tokens: tokens.clone(),
            clients: clients.clone(),
            audit: audit.clone(),
            ephemeral: Arc::clone(&deps.ephemeral),
            random: Arc::clone(&deps.random),
            http,
        }));
        Self {
            issuer,
            clients,
            discovery: DiscoveryDocument(discovery),
            jwks: Jwks {
                keys: Arc::clone(keys),
                max_age_seconds: deps.config.keys.jwks_max_age_seconds,
            },
            tokens,
            sessions,
            accounts,
            audit,
            forms,
            throttle: LoginThrottle(Arc::new(LoginThrottleParts {
                ephemeral: Arc::clone(&deps.ephemeral),
                limits: deps.config.login.clone(),
            })),
            step_up,
            authorize,
            client_auth,
            registration,
            logout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_except_on_a_loopback_http_issuer() {
        assert!(
            Issuer::parse("https://id.example.go.th")
                .unwrap()
                .cookies
                .secure
        );
        assert!(
            !Issuer::parse("http://127.0.0.1:8080")
                .unwrap()
                .cookies
                .secure
        );
        assert!(
            !Issuer::parse("http://localhost:8080/")
                .unwrap()
                .cookies
                .secure
        );
        assert!(Issuer::parse("http://id.example.go.th").is_err());
        assert!(Issuer::parse("https://id.example.go.th/?x=1").is_err());
        assert_eq!(
            Issuer::parse("http://localhost:8080/").unwrap().url,
            "http://localhost:8080"
        );
    }
}

//! The provider's shared state, built once at startup by the server from
//! [`OidcDeps`], and reached by handlers through `FromRef`.

use std::sync::Arc;

use axum::body::Bytes;
use pratu_core::audit::Auditor;
use pratu_core::password::PasswordHasher;
use pratu_core::pii::{PiiCipher, SecretKey};
use pratu_core::random::SharedRandom;
use pratu_core::sms::SmsSender;
use pratu_core::web::{CookiePolicy, Csrf};
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::{Clock, Store};

use crate::clients::ClientService;
use crate::config::{ConfigError, OidcConfig};
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
    /// Sends step-up OTPs; without it `urn:pratu:acr:aal2` is not offered.
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

/// The provider's state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct OidcState(pub(crate) Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    pub issuer: Issuer,
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    pub passwords: PasswordHasher,
    pub citizen_ids: PiiCipher,
    pub server_key: SecretKey,
    /// Tokens of the provider's forms, keyed with the server key.
    pub csrf: Csrf,
    pub auditor: Auditor,
    pub sms: Option<Arc<dyn SmsSender>>,
    pub config: OidcConfig,
    pub keys: Arc<KeyManager>,
    pub clients: ClientService,
    pub default_alg: SigningAlg,
    /// `/.well-known/openid-configuration`, serialised once.
    pub discovery: Bytes,
    /// For back-channel logout deliveries.
    pub http: reqwest::Client,
}

impl OidcState {
    /// Bytes of Argon2 memory the password workers hold now (for
    /// `/metrics`; 0 once no one has signed in for a while).
    pub fn password_memory_bytes(&self) -> usize {
        self.0.passwords.held_bytes()
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
        let default_alg =
            SigningAlg::parse(&deps.config.keys.default_alg).unwrap_or(SigningAlg::Es256);
        let step_up = deps.config.assurance.step_up && deps.sms.is_some();
        let discovery = crate::discovery::document(&issuer, &deps.config, step_up);
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(InitError::HttpClient)?;
        let auditor = Auditor::new(Arc::clone(&deps.store), Arc::clone(&deps.clock));
        Ok(Self(Arc::new(Inner {
            issuer,
            store: deps.store,
            ephemeral: deps.ephemeral,
            clock: deps.clock,
            random: deps.random,
            passwords: deps.passwords,
            citizen_ids: deps.citizen_ids,
            csrf: Csrf::new(deps.server_key.clone()),
            auditor,
            server_key: deps.server_key,
            sms: deps.sms,
            config: deps.config,
            keys,
            clients,
            default_alg,
            discovery,
            http,
        })))
    }

    /// Starts the background work of this node (periodic key reload). Abort
    /// the handles at shutdown.
    pub fn spawn_background(&self) -> Vec<tokio::task::JoinHandle<()>> {
        vec![self.0.keys.spawn_reloader()]
    }

    /// The signing keys (for `pratu keys list|rotate` against a running
    /// node's state; the CLI can also build its own [`KeyManager`]).
    pub fn keys(&self) -> &Arc<KeyManager> {
        &self.0.keys
    }

    /// The client registry.
    pub fn clients(&self) -> &ClientService {
        &self.0.clients
    }

    pub fn issuer(&self) -> &str {
        &self.0.issuer.url
    }

    /// Whether step-up (`urn:pratu:acr:aal2`) is offered.
    pub(crate) fn step_up_enabled(&self) -> bool {
        self.0.config.assurance.step_up && self.0.sms.is_some()
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

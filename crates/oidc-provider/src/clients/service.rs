//! The client registry: registration with validated RFC 7591 metadata,
//! listing, changes, secret rotation, and the cached lookup every protocol
//! endpoint uses.

use std::sync::Arc;

use pratu_core::{Random, SharedRandom};
use pratu_storage::ephemeral::{EphemeralStore, Notices};
use pratu_storage::records::{
    AuditEvent, Client, ClientStatus, GrantType, SubjectType, TokenEndpointAuthMethod,
};
use pratu_storage::{Clock, StorageError, Store};
use serde::Deserialize;

use super::cache::ClientCache;
use super::metadata::apply_metadata;
use super::secret::{generate_secret, hash_secret, random_token};
use super::{ClientView, SecretString};

/// Longest client id the endpoints look up.
pub(crate) const MAX_CLIENT_ID_LEN: usize = 128;

// Short names for the protocol values the endpoints test clients against.
pub const GRANT_AUTHORIZATION_CODE: GrantType = GrantType::AuthorizationCode;
pub const GRANT_REFRESH_TOKEN: GrantType = GrantType::RefreshToken;
pub const GRANT_CLIENT_CREDENTIALS: GrantType = GrantType::ClientCredentials;

pub const AUTH_BASIC: TokenEndpointAuthMethod = TokenEndpointAuthMethod::ClientSecretBasic;
pub const AUTH_POST: TokenEndpointAuthMethod = TokenEndpointAuthMethod::ClientSecretPost;
pub const AUTH_PRIVATE_KEY_JWT: TokenEndpointAuthMethod = TokenEndpointAuthMethod::PrivateKeyJwt;
pub const AUTH_NONE: TokenEndpointAuthMethod = TokenEndpointAuthMethod::None;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Metadata refused; `field` is its RFC 7591 name.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("no such client")]
    NotFound,
    #[error("client_id already exists")]
    AlreadyExists,
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for ClientError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound { .. } => Self::NotFound,
            StorageError::AlreadyExists { .. } => Self::AlreadyExists,
            e => Self::Storage(e),
        }
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ClientError {
    ClientError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// Client metadata as an operator gives it (`pratu client create`). Empty
/// lists and `None` mean "the default".
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewClient {
    /// Chosen by the operator, or random when `None`.
    pub client_id: Option<String>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (native or browser app) has no secret and must use
    /// PKCE.
    pub public: bool,
    /// Default `["authorization_code"]` (RFC 7591), plus `refresh_token`
    /// when listed.
    pub grant_types: Vec<GrantType>,
    /// Scopes the client may request; default `openid profile phone ial`
    /// (plus `pid citizen_id` with `allow_citizen_id`).
    pub scopes: Vec<String>,
    /// Default: `none` for public clients, `private_key_jwt` when `jwks` is
    /// given, else `client_secret_basic`.
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    /// Public keys for `private_key_jwt` (a JWK Set).
    pub jwks: Option<serde_json::Value>,
    /// `ES256`, `RS256` or `EdDSA`; default from `keys.default_alg`.
    pub id_token_signed_response_alg: Option<String>,
    /// `public` by default.
    pub subject_type: Option<SubjectType>,
    pub sector_identifier_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub first_party: bool,
    pub allow_citizen_id: bool,
    /// Also put the claims of the granted scopes in the ID token (as ThaID
    /// does), for relying parties that read them there instead of calling
    /// userinfo. Kept in the client's extra metadata as
    /// `claims_in_id_token`.
    pub claims_in_id_token: bool,
    /// `acr` values a request of this client that asks for none is taken
    /// to ask for (OIDC Dynamic Client Registration §2), e.g.
    /// `["urn:pratu:acr:aal2"]` for an agency that always wants step-up
    /// but whose software cannot send `acr_values`. Empty: no default.
    pub default_acr_values: Vec<String>,
}

/// Registers, changes and looks up clients. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ClientService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cache: Arc<ClientCache>,
    default_alg: String,
    /// Where changes are announced to other nodes, and the cache
    /// generation kept for when the announcements cannot be heard.
    shared: Option<Arc<dyn EphemeralStore>>,
    /// Announcements of client changes from every node.
    notices: Option<Arc<Notices>>,
    /// Draws client ids and secrets.
    random: SharedRandom,
}

/// The topic client changes are announced under.
const CHANGES_TOPIC: &str = "clients:changed";

/// Ephemeral-store key of the client-cache generation.
const GENERATION_KEY: &str = "clients:generation";
/// The generation outlives any cache entry by far; if it expires the next
/// read sees "none", a change like any other.
const GENERATION_TTL: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);

impl ClientService {
    /// `cache_ttl_seconds` from `clients.cache_ttl_seconds` (the CLI, a
    /// one-shot process, may pass 0); `default_alg` from `keys.default_alg`.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        cache_ttl_seconds: u64,
        default_alg: &str,
    ) -> Self {
        Self {
            cache: Arc::new(ClientCache::new(cache_ttl_seconds, Arc::clone(&clock))),
            store,
            clock,
            default_alg: default_alg.to_owned(),
            shared: None,
            notices: None,
            random: pratu_core::OsRandom::shared(),
        }
    }

    /// Draws client ids and secrets from `random` instead of the operating
    /// system.
    #[must_use]
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = random;
        self
    }

    /// Shares cache invalidation through `ephemeral`: every change made
    /// here is announced there (Redis pub/sub) and replaces a generation
    /// value, so a client disabled on one node (or by the CLI, given the
    /// same store) is refused by every node as soon as the announcement
    /// arrives. While a node cannot hear announcements it compares the
    /// generation on every lookup instead; nodes of a release before
    /// announcements always do.
    #[must_use]
    pub fn with_shared_invalidation(mut self, ephemeral: Arc<dyn EphemeralStore>) -> Self {
        self.notices = ephemeral.subscribe(CHANGES_TOPIC);
        self.shared = Some(ephemeral);
        self
    }

    /// Drops this node's entry and tells every node to drop theirs.
    async fn changed(&self, client_id: &str) {
        self.cache.invalidate(client_id);
        if let Some(shared) = &self.shared {
            let generation = random_token(&*self.random, 12);
            if let Err(e) = shared
                .put(GENERATION_KEY, generation.as_bytes(), GENERATION_TTL)
                .await
            {
                tracing::error!(error = %e, "could not publish a client change to other nodes");
            }
            if let Err(e) = shared.publish(CHANGES_TOPIC).await {
                tracing::error!(error = %e, "could not announce a client change to other nodes");
            }
        }
    }

    /// Registers a client; the secret (confidential clients using a secret)
    /// is in the view, shown this once.
    pub async fn create(&self, new: NewClient) -> Result<ClientView, ClientError> {
        let client_id = match &new.client_id {
            Some(id) => {
                if id.is_empty()
                    || id.len() > MAX_CLIENT_ID_LEN
                    || !id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
                {
                    return Err(invalid(
                        "client_id",
                        "1-128 characters of A-Z a-z 0-9 - . _ ~",
                    ));
                }
                id.clone()
            }
            None => new_client_id(&*self.random),
        };
        let now = self.clock.now();
        let mut client = Client {
            client_id,
            secret_hash: None,
            client_name: String::new(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec![],
            response_types: vec![],
            scopes: vec![],
            // Placeholders: `apply_metadata` sets both.
            token_endpoint_auth_method: TokenEndpointAuthMethod::None,
            jwks: None,
            jwks_uri: None,
            id_token_signed_response_alg: None,
            subject_type: SubjectType::Public,
            sector_identifier_uri: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            first_party: false,
            allow_citizen_id: false,
            status: ClientStatus::Active,
            extra: serde_json::json!({}),
            created_at: now,
            updated_at: now,
            default_acr_values: vec![],
        };
        apply_metadata(&mut client, new)?;
        let secret = uses_secret(&client).then(|| generate_secret(&*self.random));
        client.secret_hash = secret.as_ref().map(|s| hash_secret(s.expose_secret()));
        self.store.create_client(&client).await?;
        self.changed(&client.client_id).await;
        Ok(self.view(&client, secret))
    }

    /// Replaces a client's metadata (its id, secret and creation time stay).
    /// A client that newly needs a secret gets one, returned in the view.
    pub async fn update(
        &self,
        client_id: &str,
        meta: NewClient,
    ) -> Result<ClientView, ClientError> {
        let mut client = self.load(client_id).await?;
        apply_metadata(&mut client, meta)?;
        client.updated_at = self.clock.now();
        let secret = (uses_secret(&client) && client.secret_hash.is_none())
            .then(|| generate_secret(&*self.random));
        if let Some(s) = &secret {
            client.secret_hash = Some(hash_secret(s.expose_secret()));
        }
        if !uses_secret(&client) {
            client.secret_hash = None;
        }
        self.store.update_client(&client).await?;
        self.changed(client_id).await;
        Ok(self.view(&client, secret))
    }

    /// Registers (or brings up to date) one of Pratu's own first-party
    /// public clients (the operator console, the account portal): `new`
    /// names its id, redirect URIs and scopes. Call once at start; several
    /// nodes starting at once converge on the same record.
    pub async fn ensure_first_party(&self, new: NewClient) -> Result<(), ClientError> {
        let id = new.client_id.clone().ok_or(ClientError::NotFound)?;
        let wanted_scope = new.scopes.join(" ");
        match self.show(&id).await {
            Ok(v)
                if v.redirect_uris == new.redirect_uris
                    && v.post_logout_redirect_uris == new.post_logout_redirect_uris
                    && v.scope == wanted_scope =>
            {
                Ok(())
            }
            Ok(_) => self.update(&id, new).await.map(|_| ()),
            Err(ClientError::NotFound) => match self.create(new.clone()).await {
                Ok(_) => Ok(()),
                Err(ClientError::AlreadyExists) => self.update(&id, new).await.map(|_| ()),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        }
    }

    pub async fn list(&self, limit: u32, offset: u32) -> Result<Vec<ClientView>, ClientError> {
        Ok(self
            .store
            .list_clients(limit, offset)
            .await?
            .iter()
            .map(|c| self.view(c, None))
            .collect())
    }

    pub async fn show(&self, client_id: &str) -> Result<ClientView, ClientError> {
        Ok(self.view(&self.load(client_id).await?, None))
    }

    /// Deletes the client with its consents and refresh tokens.
    pub async fn delete(&self, client_id: &str) -> Result<(), ClientError> {
        let existed = self.store.delete_client(client_id).await?;
        self.changed(client_id).await;
        if existed {
            Ok(())
        } else {
            Err(ClientError::NotFound)
        }
    }

    /// Announces a change of `client_id` to every node (this one included)
    /// before it is committed. Unlike the announcement the other changes
    /// make after their commit, this one fails when the shared store cannot
    /// be written, so the caller can refrain from committing a change the
    /// other nodes would not hear of (see [`Self::delete_with_audit`]).
    pub async fn announce_change(&self, client_id: &str) -> Result<(), StorageError> {
        self.cache.invalidate(client_id);
        if let Some(shared) = &self.shared {
            let generation = random_token(&*self.random, 12);
            shared
                .put(GENERATION_KEY, generation.as_bytes(), GENERATION_TTL)
                .await?;
            shared.publish(CHANGES_TOPIC).await?;
        }
        Ok(())
    }

    /// Deletes the client with its consents and refresh tokens and appends
    /// `audit`, in one transaction: all of it or nothing. Call
    /// [`Self::announce_change`] first and commit only if it succeeded: a
    /// delete the other nodes do not hear of lets them accept the client
    /// from their cache until its TTL ends, while an announcement followed
    /// by a failed delete only costs them a reload. After the commit the
    /// change is announced again, since a node may have reloaded the client
    /// between the first announcement and the commit (that second one is
    /// logged if it fails; the cache TTL then bounds the staleness).
    pub async fn delete_with_audit(
        &self,
        client_id: &str,
        audit: &AuditEvent,
    ) -> Result<(), ClientError> {
        self.store
            .delete_client_with_audit(client_id, audit)
            .await?;
        self.changed(client_id).await;
        Ok(())
    }

    /// Issues a new secret; the old one stops working at once (on other
    /// nodes within the cache TTL).
    pub async fn rotate_secret(&self, client_id: &str) -> Result<ClientView, ClientError> {
        let mut client = self.load(client_id).await?;
        if !uses_secret(&client) {
            return Err(invalid(
                "token_endpoint_auth_method",
                "this client does not authenticate with a secret",
            ));
        }
        let secret = generate_secret(&*self.random);
        let hash = hash_secret(secret.expose_secret());
        let now = self.clock.now();
        self.store
            .set_client_secret(client_id, Some(&hash), now)
            .await?;
        self.changed(client_id).await;
        client.secret_hash = Some(hash);
        client.updated_at = now;
        Ok(self.view(&client, Some(secret)))
    }

    /// Disables (or re-enables) a client: a disabled client gets no code,
    /// no token, and its tokens stop introspecting as active.
    pub async fn set_enabled(&self, client_id: &str, enabled: bool) -> Result<(), ClientError> {
        let status = if enabled {
            ClientStatus::Active
        } else {
            ClientStatus::Disabled
        };
        self.store
            .set_client_status(client_id, status, self.clock.now())
            .await?;
        self.changed(client_id).await;
        Ok(())
    }

    /// The active client `client_id`, through the cache; `None` when unknown
    /// or disabled.
    pub async fn active(&self, client_id: &str) -> Result<Option<Arc<Client>>, StorageError> {
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_LEN {
            return Ok(None);
        }
        // Read before anything else, so that a notice arriving during the
        // lookup keeps its result out of the cache.
        let epoch = self.notices.as_ref().map_or(0, |n| n.epoch());
        let hearing = self.notices.as_ref().is_some_and(|n| n.live());
        if let Some(shared) = self.shared.as_ref().filter(|_| !hearing) {
            // If the store is down the TTL still bounds staleness.
            if let Ok(current) = shared.get(GENERATION_KEY).await {
                self.cache.observe_generation(current);
            }
        }
        self.cache.observe_epoch(epoch);
        let client = match self.cache.get(client_id) {
            Some(c) => c,
            None => {
                let c = self.store.client_by_id(client_id).await?.map(Arc::new);
                self.cache.put(client_id, c.clone(), epoch);
                c
            }
        };
        Ok(client.filter(|c| c.status == ClientStatus::Active))
    }

    async fn load(&self, client_id: &str) -> Result<Client, ClientError> {
        self.store
            .client_by_id(client_id)
            .await?
            .ok_or(ClientError::NotFound)
    }

    fn view(&self, c: &Client, secret: Option<SecretString>) -> ClientView {
        let mut v = ClientView::of(c, secret);
        if c.id_token_signed_response_alg.is_none() {
            v.id_token_signed_response_alg.clone_from(&self.default_alg);
        }
        v
    }
}

/// A fresh client id: 128 random bits in base64url, never beginning with
/// `-`, which command lines and shells would read as an option.
fn new_client_id(random: &dyn Random) -> String {
    loop {
        let id = random_token(random, 16);
        if !id.starts_with('-') {
            return id;
        }
    }
}

/// Whether the client authenticates with a shared secret.
pub(crate) fn uses_secret(c: &Client) -> bool {
    c.token_endpoint_auth_method.uses_secret()
}

/// Whether the client may use `grant`.
pub(crate) fn allows_grant(c: &Client, grant: GrantType) -> bool {
    c.grant_types.contains(&grant)
}

#[cfg(test)]
mod tests {
    use pratu_storage::ephemeral::memory::MemoryStore;
    use pratu_storage::testing::{redis_from_env, sqlite_store};
    use pratu_storage::{MockClock, SystemClock};

    use super::*;

    fn new_client() -> NewClient {
        NewClient {
            client_name: "Agency".into(),
            redirect_uris: vec!["https://rp.example.go.th/cb".into()],
            ..NewClient::default()
        }
    }

    /// Whether `node` has `id` as active, asked until the answer is
    /// `expected` or 5 s have passed (far below the 300 s cache TTL: a pass
    /// shows the announcement arrived, not that the entry expired). An
    /// announcement through Redis arrives within milliseconds, not at
    /// once; the in-process store delivers it before `publish` returns.
    async fn settles(node: &ClientService, id: &str, expected: bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let active = node.active(id).await.unwrap().is_some();
            if active == expected || std::time::Instant::now() > deadline {
                return active;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Nodes with a long cache TTL sharing `shared`: a client disabled
    /// through one is refused by another once the change is announced, and
    /// at once by a node that cannot hear announcements (its feed down),
    /// through the generation.
    async fn disable_reaches_the_other_node(shared: Arc<dyn EphemeralStore>) {
        let (store, _guard) = sqlite_store().await;
        let clock: Arc<dyn Clock> = Arc::new(MockClock::new(SystemClock.now()));
        let node = || {
            ClientService::new(Arc::clone(&store), Arc::clone(&clock), 300, "ES256")
                .with_shared_invalidation(Arc::clone(&shared))
        };
        let (a, b) = (node(), node());
        let deaf = ClientService {
            notices: None,
            ..node()
        };
        // Announcements are what is under test: wait for b's feed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !b.notices.as_ref().is_some_and(|n| n.live()) {
            assert!(
                std::time::Instant::now() < deadline,
                "b's feed never came up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let id = a.create(new_client()).await.unwrap().client_id;
        assert!(b.active(&id).await.unwrap().is_some(), "b caches it");
        assert!(deaf.active(&id).await.unwrap().is_some(), "so does deaf");
        a.set_enabled(&id, false).await.unwrap();
        assert!(
            deaf.active(&id).await.unwrap().is_none(),
            "deaf reads the generation"
        );
        assert!(!settles(&b, &id, false).await, "b hears of the change");
        a.set_enabled(&id, true).await.unwrap();
        assert!(settles(&b, &id, true).await);
        assert!(deaf.active(&id).await.unwrap().is_some());

        // A node that does not share invalidation keeps its copy for the
        // TTL.
        let lone = ClientService::new(Arc::clone(&store), Arc::clone(&clock), 300, "ES256");
        assert!(lone.active(&id).await.unwrap().is_some());
        a.set_enabled(&id, false).await.unwrap();
        assert!(lone.active(&id).await.unwrap().is_some());
        assert!(!settles(&b, &id, false).await);
    }

    #[test]
    fn generated_client_ids_never_begin_with_a_hyphen() {
        // One id in 64 would without the check: 2,000 draws miss it with
        // odds of about 1 in 10^14.
        for _ in 0..2000 {
            let id = new_client_id(&pratu_core::OsRandom);
            assert_eq!(id.len(), 22);
            assert!(!id.starts_with('-'), "{id}");
        }
    }

    #[tokio::test]
    async fn a_client_change_reaches_every_node_through_the_memory_store() {
        let clock: Arc<dyn Clock> = Arc::new(MockClock::new(SystemClock.now()));
        disable_reaches_the_other_node(Arc::new(MemoryStore::new(clock, 1000))).await;
    }

    #[tokio::test]
    async fn a_client_change_reaches_every_node_through_redis() {
        let Some(redis) = redis_from_env().await else {
            return;
        };
        disable_reaches_the_other_node(redis.store).await;
    }
}

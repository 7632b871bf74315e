//! The client registry: registration with validated RFC 7591 metadata,
//! listing, changes, secret rotation, and the cached lookup every protocol
//! endpoint uses.

use std::sync::Arc;

use pratu_storage::records::{Client, ClientStatus};
use pratu_storage::{Clock, StorageError, Store};
use serde::Deserialize;

use super::cache::ClientCache;
use super::redirect::{validate_backchannel_uri, validate_redirect_uri};
use super::secret::{generate_secret, hash_secret, random_token};
use super::{ClientView, SecretString};
use crate::keys::SigningAlg;
use crate::scopes;

/// Longest client id the endpoints look up.
pub(crate) const MAX_CLIENT_ID_LEN: usize = 128;

pub const GRANT_AUTHORIZATION_CODE: &str = "authorization_code";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";

pub const AUTH_BASIC: &str = "client_secret_basic";
pub const AUTH_POST: &str = "client_secret_post";
pub const AUTH_PRIVATE_KEY_JWT: &str = "private_key_jwt";
pub const AUTH_NONE: &str = "none";

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
    pub grant_types: Vec<String>,
    /// Scopes the client may request; default `openid profile phone ial`
    /// (plus `pid citizen_id` with `allow_citizen_id`).
    pub scopes: Vec<String>,
    /// Default: `none` for public clients, `private_key_jwt` when `jwks` is
    /// given, else `client_secret_basic`.
    pub token_endpoint_auth_method: Option<String>,
    /// Public keys for `private_key_jwt` (a JWK Set).
    pub jwks: Option<serde_json::Value>,
    /// `ES256`, `RS256` or `EdDSA`; default from `keys.default_alg`.
    pub id_token_signed_response_alg: Option<String>,
    /// `public` (default) or `pairwise`.
    pub subject_type: Option<String>,
    pub sector_identifier_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub first_party: bool,
    pub allow_citizen_id: bool,
}

/// Registers, changes and looks up clients. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ClientService {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cache: Arc<ClientCache>,
    default_alg: String,
}

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
            None => random_token(16),
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
            token_endpoint_auth_method: String::new(),
            jwks: None,
            jwks_uri: None,
            id_token_signed_response_alg: None,
            subject_type: String::new(),
            sector_identifier_uri: None,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            first_party: false,
            allow_citizen_id: false,
            status: ClientStatus::Active,
            extra: serde_json::json!({}),
            created_at: now,
            updated_at: now,
        };
        apply_metadata(&mut client, new)?;
        let secret = uses_secret(&client).then(generate_secret);
        client.secret_hash = secret.as_ref().map(|s| hash_secret(s.expose_secret()));
        self.store.create_client(&client).await?;
        self.cache.invalidate(&client.client_id);
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
        let secret = (uses_secret(&client) && client.secret_hash.is_none()).then(generate_secret);
        if let Some(s) = &secret {
            client.secret_hash = Some(hash_secret(s.expose_secret()));
        }
        if !uses_secret(&client) {
            client.secret_hash = None;
        }
        self.store.update_client(&client).await?;
        self.cache.invalidate(client_id);
        Ok(self.view(&client, secret))
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
        self.cache.invalidate(client_id);
        if existed {
            Ok(())
        } else {
            Err(ClientError::NotFound)
        }
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
        let secret = generate_secret();
        let hash = hash_secret(secret.expose_secret());
        let now = self.clock.now();
        self.store
            .set_client_secret(client_id, Some(&hash), now)
            .await?;
        self.cache.invalidate(client_id);
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
        self.cache.invalidate(client_id);
        Ok(())
    }

    /// The active client `client_id`, through the cache; `None` when unknown
    /// or disabled.
    pub async fn active(&self, client_id: &str) -> Result<Option<Arc<Client>>, StorageError> {
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_LEN {
            return Ok(None);
        }
        let client = match self.cache.get(client_id) {
            Some(c) => c,
            None => {
                let c = self.store.client_by_id(client_id).await?.map(Arc::new);
                self.cache.put(client_id, c.clone());
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

/// Whether the client authenticates with a shared secret.
pub(crate) fn uses_secret(c: &Client) -> bool {
    c.token_endpoint_auth_method == AUTH_BASIC || c.token_endpoint_auth_method == AUTH_POST
}

/// Whether the client may use `grant`.
pub(crate) fn allows_grant(c: &Client, grant: &str) -> bool {
    c.grant_types.iter().any(|g| g == grant)
}

/// Validates `meta` and writes it into `client` (all or nothing).
fn apply_metadata(client: &mut Client, meta: NewClient) -> Result<(), ClientError> {
    let name = meta.client_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("client_name", "1-200 characters required"));
    }

    let mut grant_types = if meta.grant_types.is_empty() {
        vec![GRANT_AUTHORIZATION_CODE.to_owned()]
    } else {
        meta.grant_types.clone()
    };
    grant_types.dedup();
    for g in &grant_types {
        if ![
            GRANT_AUTHORIZATION_CODE,
            GRANT_REFRESH_TOKEN,
            GRANT_CLIENT_CREDENTIALS,
        ]
        .contains(&g.as_str())
        {
            return Err(invalid(
                "grant_types",
                format!("unsupported grant type {g:?}"),
            ));
        }
    }
    let code_flow = grant_types.iter().any(|g| g == GRANT_AUTHORIZATION_CODE);
    if grant_types.iter().any(|g| g == GRANT_REFRESH_TOKEN) && !code_flow {
        return Err(invalid(
            "grant_types",
            "refresh_token needs authorization_code",
        ));
    }
    if meta.public && grant_types.iter().any(|g| g == GRANT_CLIENT_CREDENTIALS) {
        return Err(invalid(
            "grant_types",
            "a public client cannot use client_credentials",
        ));
    }

    if code_flow && meta.redirect_uris.is_empty() {
        return Err(invalid(
            "redirect_uris",
            "at least one is required for authorization_code",
        ));
    }
    for uri in &meta.redirect_uris {
        validate_redirect_uri(uri).map_err(|e| invalid("redirect_uris", format!("{uri}: {e}")))?;
        if !meta.public && !uri.starts_with("https:") && !uri.starts_with("http:") {
            return Err(invalid(
                "redirect_uris",
                format!("{uri}: private-use schemes are for public (native) clients"),
            ));
        }
    }
    for uri in &meta.post_logout_redirect_uris {
        validate_redirect_uri(uri)
            .map_err(|e| invalid("post_logout_redirect_uris", format!("{uri}: {e}")))?;
    }
    if let Some(uri) = &meta.backchannel_logout_uri {
        validate_backchannel_uri(uri)
            .map_err(|e| invalid("backchannel_logout_uri", format!("{uri}: {e}")))?;
    }

    let method = match (&meta.token_endpoint_auth_method, meta.public) {
        (Some(m), false) => m.clone(),
        (Some(m), true) if m == AUTH_NONE => m.clone(),
        (Some(_), true) => {
            return Err(invalid(
                "token_endpoint_auth_method",
                "a public client uses none",
            ));
        }
        (None, true) => AUTH_NONE.to_owned(),
        (None, false) if meta.jwks.is_some() => AUTH_PRIVATE_KEY_JWT.to_owned(),
        (None, false) => AUTH_BASIC.to_owned(),
    };
    match method.as_str() {
        AUTH_BASIC | AUTH_POST => {}
        AUTH_NONE if meta.public => {}
        AUTH_NONE => {
            return Err(invalid(
                "token_endpoint_auth_method",
                "none is only for public clients",
            ));
        }
        AUTH_PRIVATE_KEY_JWT => {
            let ok = meta
                .jwks
                .as_ref()
                .and_then(|j| j.get("keys"))
                .and_then(serde_json::Value::as_array)
                .is_some_and(|keys| !keys.is_empty() && keys.iter().all(|k| k.get("d").is_none()));
            if !ok {
                return Err(invalid(
                    "jwks",
                    "private_key_jwt needs a JWK Set of public keys",
                ));
            }
        }
        other => {
            return Err(invalid(
                "token_endpoint_auth_method",
                format!("unsupported method {other:?}"),
            ));
        }
    }

    let mut requested_scopes = if meta.scopes.is_empty() {
        let mut d: Vec<String> = scopes::DEFAULT_CLIENT_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if meta.allow_citizen_id {
            d.extend(scopes::SENSITIVE_SCOPES.iter().map(|s| (*s).to_owned()));
        }
        d
    } else {
        meta.scopes.clone()
    };
    for s in &requested_scopes {
        if !scopes::is_known(s) {
            return Err(invalid("scope", format!("unknown scope {s:?}")));
        }
    }
    if !requested_scopes.iter().any(|s| s == "openid") && code_flow {
        requested_scopes.insert(0, "openid".to_owned());
    }
    requested_scopes.dedup();

    if let Some(alg) = &meta.id_token_signed_response_alg
        && SigningAlg::parse(alg).is_none()
    {
        return Err(invalid(
            "id_token_signed_response_alg",
            "ES256, RS256 or EdDSA",
        ));
    }
    let subject_type = meta
        .subject_type
        .clone()
        .unwrap_or_else(|| "public".to_owned());
    match subject_type.as_str() {
        "public" => {}
        "pairwise" => {
            if sector_of(meta.sector_identifier_uri.as_deref(), &meta.redirect_uris).is_none() {
                return Err(invalid(
                    "sector_identifier_uri",
                    "pairwise subjects need a sector_identifier_uri or redirect_uris on one host",
                ));
            }
        }
        _ => return Err(invalid("subject_type", "public or pairwise")),
    }
    if let Some(uri) = &meta.sector_identifier_uri
        && (!uri.starts_with("https://") || url::Url::parse(uri).is_err())
    {
        return Err(invalid("sector_identifier_uri", "must be an https URL"));
    }

    client.client_name = name.to_owned();
    client.redirect_uris = meta.redirect_uris;
    client.post_logout_redirect_uris = meta.post_logout_redirect_uris;
    client.response_types = if code_flow {
        vec!["code".to_owned()]
    } else {
        vec![]
    };
    client.grant_types = grant_types;
    client.scopes = requested_scopes;
    client.token_endpoint_auth_method = method;
    client.jwks = meta.jwks;
    client.id_token_signed_response_alg = meta.id_token_signed_response_alg;
    client.subject_type = subject_type;
    client.sector_identifier_uri = meta.sector_identifier_uri;
    client.backchannel_logout_uri = meta.backchannel_logout_uri;
    client.backchannel_logout_session_required = meta.backchannel_logout_session_required;
    client.first_party = meta.first_party;
    client.allow_citizen_id = meta.allow_citizen_id;
    Ok(())
}

/// The sector of a pairwise client (OIDC Core §8.1): the host of its
/// `sector_identifier_uri`, else the one host of its redirect URIs. The
/// sector document itself is not fetched: the operator registers clients,
/// so the list of redirect URIs it would hold is known here already.
pub(crate) fn sector_of(
    sector_identifier_uri: Option<&str>,
    redirect_uris: &[String],
) -> Option<String> {
    if let Some(uri) = sector_identifier_uri {
        return url::Url::parse(uri).ok()?.host_str().map(str::to_owned);
    }
    let mut hosts = redirect_uris
        .iter()
        .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned));
    let first = hosts.next()?;
    hosts.all(|h| h == first).then_some(first)
}

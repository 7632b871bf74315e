//! What every virtual user of a run shares: the target, the endpoints from
//! discovery, the client's credentials, the user pool, the ID-token
//! verifier and (for enrollment) the registry rows and the SMS outbox.

use std::path::PathBuf;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use serde::Deserialize;

use crate::conn::{Conn, Target};
use crate::enroll::EnrollShared;
use crate::error::LoadError;
use crate::idtoken::Verifier;
use crate::scenario::Scenario;

/// How to reach the provider and whom to act as.
#[derive(Debug, Clone)]
pub struct CtxOptions {
    pub issuer: String,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub redirect_uri: String,
    pub scope: String,
    /// Username and password pairs; virtual user `i` signs in as `i % len`.
    pub users: Vec<(String, String)>,
    /// Registry CSV the server proofs against (enrollment).
    pub registry: Option<PathBuf>,
    /// The server's SMS outbox file (enrollment).
    pub outbox: Option<PathBuf>,
    /// Registry rows earlier runs against the same server used up.
    pub registry_skip: usize,
}

/// Endpoint paths, from discovery.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub discovery: String,
    pub jwks: String,
    pub authorize: String,
    pub token: String,
    pub userinfo: String,
    pub introspect: String,
}

/// Shared by every virtual user of a run.
#[derive(Debug)]
pub struct Ctx {
    pub target: Arc<Target>,
    pub ep: Endpoints,
    pub client_id: String,
    /// `Authorization: Basic …` for the client, when it has a secret.
    pub basic: Option<HeaderValue>,
    pub redirect_uri: String,
    pub scope: String,
    pub users: Vec<(String, String)>,
    pub verifier: Verifier,
    pub enroll: Option<EnrollShared>,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    introspection_endpoint: Option<String>,
}

impl Ctx {
    /// Reads discovery and JWKS and checks that the options suit `scenario`.
    pub async fn prepare(opts: &CtxOptions, scenario: Scenario) -> Result<Arc<Self>, LoadError> {
        let target = Arc::new(Target::resolve(&opts.issuer).await?);
        let mut conn = Conn::new(target.clone());
        let discovery = target.path("/.well-known/openid-configuration");
        let d: Discovery = conn.get(&discovery).await?.json("discovery", 200)?;
        if d.issuer.trim_end_matches('/') != target.issuer {
            return Err(LoadError::setup(format!(
                "discovery names issuer {} but --issuer is {}",
                d.issuer, target.issuer
            )));
        }
        let local = |what: &str, url: &str| {
            target.local(url).ok_or_else(|| {
                LoadError::setup(format!("{what} {url} is not on the issuer's host"))
            })
        };
        let ep = Endpoints {
            jwks: local("jwks_uri", &d.jwks_uri)?,
            authorize: local("authorization_endpoint", &d.authorization_endpoint)?,
            token: local("token_endpoint", &d.token_endpoint)?,
            userinfo: local("userinfo_endpoint", &d.userinfo_endpoint)?,
            introspect: local(
                "introspection_endpoint",
                d.introspection_endpoint.as_deref().unwrap_or("/introspect"),
            )?,
            discovery,
        };
        let jwks = conn.get(&ep.jwks).await?;
        jwks.expect("jwks", 200)?;
        let verifier = Verifier::from_jwks(&d.issuer, &jwks.body)?;

        let client_id = opts.client_id.clone().unwrap_or_default();
        if scenario.needs_client() && client_id.is_empty() {
            return Err(LoadError::setup(format!("{scenario} needs --client-id")));
        }
        if scenario.needs_secret() && opts.client_secret.is_none() {
            return Err(LoadError::setup(format!(
                "{scenario} needs --client-secret"
            )));
        }
        if scenario.needs_user() && opts.users.is_empty() {
            return Err(LoadError::setup(format!(
                "{scenario} needs --username/--password or --users"
            )));
        }
        let basic = match &opts.client_secret {
            Some(secret) => Some(basic_auth(&client_id, secret)?),
            None => None,
        };
        let enroll = if scenario == Scenario::Enrollment {
            let registry = opts.registry.as_deref().ok_or_else(|| {
                LoadError::setup("enrollment needs --registry (the server's registry CSV)")
            })?;
            let outbox = opts.outbox.as_deref().ok_or_else(|| {
                LoadError::setup("enrollment needs --outbox (the server's SMS outbox file)")
            })?;
            Some(EnrollShared::prepare(&mut conn, registry, outbox, opts.registry_skip).await?)
        } else {
            None
        };
        Ok(Arc::new(Self {
            target,
            ep,
            client_id,
            basic,
            redirect_uri: opts.redirect_uri.clone(),
            scope: opts.scope.clone(),
            users: opts.users.clone(),
            verifier,
            enroll,
        }))
    }

    pub fn user(&self, vu: usize) -> Option<(&str, &str)> {
        if self.users.is_empty() {
            return None;
        }
        let (u, p) = &self.users[vu % self.users.len()];
        Some((u, p))
    }

    pub fn basic(&self) -> Result<&HeaderValue, LoadError> {
        self.basic
            .as_ref()
            .ok_or_else(|| LoadError::setup("this scenario needs --client-secret"))
    }
}

/// RFC 6749 §2.3.1: both parts form-encoded, then base64.
fn basic_auth(id: &str, secret: &str) -> Result<HeaderValue, LoadError> {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(id), enc(secret));
    HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(raw)))
        .map_err(|_| LoadError::setup("client credentials do not fit a header"))
}

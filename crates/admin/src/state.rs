//! The admin state, built once by the server and reached through `FromRef`.

use std::sync::Arc;

use pratu_oidc::OidcState;
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::pii::{PiiCipher, SecretKey};
use pratu_storage::records::AuditEvent;
use pratu_storage::{Clock, Store};
use serde_json::Value;
use uuid::Uuid;

use crate::config::AdminConfig;

/// What the admin surfaces need from the server.
#[derive(Debug, Clone)]
pub struct AdminDeps {
    pub oidc: OidcState,
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    /// Opens citizen IDs to show them masked.
    pub citizen_ids: PiiCipher,
    /// Keys the console's CSRF tokens and session cookie.
    pub console_key: SecretKey,
    pub config: AdminConfig,
}

/// Why the admin state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum AdminInitError {
    #[error("the admin console's HTTP client could not be built")]
    HttpClient(#[source] reqwest::Error),
}

/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct AdminState(pub(crate) Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    deps: AdminDeps,
    /// The console's calls to the issuer's token endpoint.
    pub http: reqwest::Client,
}

impl std::ops::Deref for Inner {
    type Target = AdminDeps;
    fn deref(&self) -> &AdminDeps {
        &self.deps
    }
}

impl AdminState {
    /// Fails only if the console's HTTP client cannot be built: a default
    /// one instead would wait forever and follow redirects.
    pub fn new(deps: AdminDeps) -> Result<Self, AdminInitError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(AdminInitError::HttpClient)?;
        Ok(Self(Arc::new(Inner { deps, http })))
    }

    pub(crate) fn oidc(&self) -> &OidcState {
        &self.0.oidc
    }

    /// Appends an audit event (awaited: an admin change and its record go
    /// together). A failed write is logged, not fatal.
    pub(crate) async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: Option<String>,
        request_id: Option<&str>,
        outcome: &str,
        details: Value,
    ) {
        let event = AuditEvent {
            id: Uuid::now_v7(),
            at: self.0.clock.now(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            target,
            request_id: request_id.map(str::to_owned),
            outcome: outcome.to_owned(),
            details,
        };
        tracing::info!(event.kind = "security", action, outcome, "audit");
        if let Err(e) = self.0.store.append_audit(&event).await {
            tracing::warn!(error = %e, action, "audit write failed");
        }
    }
}

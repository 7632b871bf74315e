//! The admin state, built once by the server and reached through `FromRef`.

use std::sync::Arc;

use axum::http::HeaderValue;
use pratu_core::audit::{AuditAction, Auditor, Entry, Outcome};
use pratu_core::pii::{PiiCipher, SecretKey};
use pratu_core::random::SharedRandom;
use pratu_core::web::{CookieDef, CookiePolicy, Csrf};
use pratu_oidc::OidcState;
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::{Clock, Store};
use serde_json::Value;

use crate::config::AdminConfig;

/// What the admin surfaces need from the server.
#[derive(Debug, Clone)]
pub struct AdminDeps {
    pub oidc: OidcState,
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    /// Draws console session handles, sign-in states and PKCE verifiers.
    pub random: SharedRandom,
    /// Opens citizen IDs to show them masked.
    pub citizen_ids: PiiCipher,
    /// Keys the console's CSRF tokens and session cookie.
    pub console_key: SecretKey,
    /// Tells a citizen's phone when an operator resets their second
    /// factors.
    pub sms: Arc<dyn pratu_core::sms::SmsSender>,
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
    /// The console's forms, keyed with the console key.
    pub csrf: Csrf,
    /// `Secure` except on a loopback http issuer.
    pub cookies: CookiePolicy,
    pub auditor: Auditor,
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
        let csrf = Csrf::new(deps.console_key.clone());
        let cookies = CookiePolicy {
            secure: deps.oidc.issuer().starts_with("https://"),
        };
        let auditor = Auditor::new(Arc::clone(&deps.store), Arc::clone(&deps.clock));
        Ok(Self(Arc::new(Inner {
            deps,
            http,
            csrf,
            cookies,
            auditor,
        })))
    }

    pub(crate) fn oidc(&self) -> &OidcState {
        &self.0.oidc
    }

    pub(crate) fn cookies(&self) -> CookiePolicy {
        self.0.cookies
    }

    /// `Set-Cookie` for a console cookie (HttpOnly, SameSite=Lax — the
    /// callback arrives by a top-level redirect — scoped to `/admin`).
    pub(crate) fn set_cookie(
        &self,
        cookie: CookieDef,
        value: &str,
        max_age: Option<u64>,
    ) -> HeaderValue {
        // Pratu's own values are base64url: always a valid header.
        self.0
            .cookies
            .set(cookie, value, max_age)
            .unwrap_or_else(|| HeaderValue::from_static(""))
    }

    /// Records an event through the one audit policy (awaited: an admin
    /// change and its record go together; a failed write is logged).
    pub(crate) async fn audit(
        &self,
        actor: &str,
        action: AuditAction,
        target: Option<String>,
        request_id: Option<&str>,
        outcome: Outcome,
        details: Value,
    ) {
        let entry = Entry::new(actor, action, outcome)
            .maybe_target(target)
            .request_id(request_id.map(str::to_owned))
            .details(details);
        self.0.auditor.record(entry).await;
    }
}

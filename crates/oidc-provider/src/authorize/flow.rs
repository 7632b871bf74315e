//! What happens to a checked authorization request: sign in, step up,
//! consent, or a code — decided again at every step from the stored
//! request and the SSO session, so a reload or a back button never skips a
//! step.

use pratu_core::web::error::InternalError;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use pratu_storage::StorageError;
use pratu_storage::ephemeral::Write;
use pratu_storage::records::Client;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::request::AuthRequest;
use super::respond::{AuthorizeError, ResponseMode, redirect};
use crate::acr;
use crate::claims::ClaimsRequest;
use crate::clients::random_token;
use crate::session::{Current, SsoSession};
use crate::state::AuthorizeFlow;
use crate::stepup::StepUp;

/// How long a user may take to sign in and consent.
pub(crate) const PENDING_TTL: Duration = Duration::from_secs(30 * 60);

pub(crate) const CONTINUE_PATH: &str = "/authorize/continue";
pub(crate) const LOGIN_PATH: &str = "/login";
pub(crate) const CONSENT_PATH: &str = "/consent";
/// Where the enrollment wizard lives (pratu-registration).
pub(crate) const REGISTER_PATH: &str = "/register";

fn pending_key(id: &str) -> String {
    format!("authz:{id}")
}

/// A single-use authorization code's grant (in the ephemeral store under
/// the code's digest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: Uuid,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub claims: ClaimsRequest,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub sid: String,
    pub auth_time: i64,
    pub acr: String,
    pub amr: Vec<String>,
}

pub(crate) fn code_key(code: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    format!(
        "code:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(code.as_bytes()))
    )
}

impl AuthorizeFlow {
    pub(crate) async fn save_pending(
        &self,
        id: &str,
        req: &AuthRequest,
    ) -> Result<(), StorageError> {
        let bytes = serde_json::to_vec(req).map_err(StorageError::unhandled)?;
        // Disposable: anyone may create pending requests, so a full store
        // refuses them (503) rather than let them displace security state.
        self.ephemeral
            .put_disposable(&pending_key(id), &bytes, PENDING_TTL)
            .await
    }

    pub(crate) async fn load_pending(&self, id: &str) -> Result<Option<AuthRequest>, StorageError> {
        if id.is_empty() || id.len() > 64 {
            return Ok(None);
        }
        Ok(self
            .ephemeral
            .get(&pending_key(id))
            .await?
            .and_then(|b| serde_json::from_slice(&b).ok()))
    }

    /// Whether the session (if any) must sign in again for `req`.
    fn needs_login(
        &self,
        req: &AuthRequest,
        session: Option<&SsoSession>,
        resumed: bool,
        now: i64,
    ) -> bool {
        let Some(s) = session else {
            return true;
        };
        // prompt=login: the first pass always asks; once resumed, a sign-in
        // made since the request satisfies it (same-second included).
        if req.login_after.is_some_and(|t| !resumed || s.auth_time < t) {
            return true;
        }
        if req.max_age.is_some_and(|m| now - s.auth_time > m) {
            return true;
        }
        // An id_token_hint naming someone else: sign in (once; if the user
        // then signs in as another account, that is their choice).
        !resumed && req.hint_user.is_some_and(|u| u != s.user_id)
    }

    /// Whether the request asks for step-up that this session lacks (and
    /// step-up is offered at all).
    pub(crate) fn needs_step_up(&self, req: &AuthRequest, session: &SsoSession) -> bool {
        let wants = acr::wants_aal2(
            req.acr_values
                .iter()
                .chain(req.claims.acr.iter())
                .map(String::as_str),
        );
        wants && self.step_up.enabled && !acr::satisfies(&session.acr, acr::AAL2)
    }

    async fn needs_consent(
        &self,
        req: &AuthRequest,
        client: &Client,
        user: Uuid,
        consented_now: bool,
    ) -> Result<bool, StorageError> {
        if client.first_party || consented_now {
            return Ok(false);
        }
        if req.prompt_consent {
            return Ok(true);
        }
        let Some(stored) = self.store.consent(user, &client.client_id).await? else {
            return Ok(true);
        };
        Ok(!req
            .consent_scopes()
            .iter()
            .all(|s| stored.scopes.contains(s)))
    }

    /// Takes the request one step further. `pending` is the id it is stored
    /// under once the user has been shown a page.
    pub(crate) async fn advance(
        &self,
        headers: &HeaderMap,
        req: AuthRequest,
        client: Arc<Client>,
        pending: Option<String>,
        consented_now: bool,
    ) -> Response {
        match self
            .try_advance(headers, req, client, pending, consented_now)
            .await
        {
            Ok(r) => r,
            Err(e) => e.respond(&self.forms),
        }
    }

    async fn try_advance(
        &self,
        headers: &HeaderMap,
        req: AuthRequest,
        client: Arc<Client>,
        pending: Option<String>,
        consented_now: bool,
    ) -> Result<Response, AuthorizeError> {
        let server = |e: StorageError| AuthorizeError::storage(e, req.locale);
        let redirect_err = |error: &'static str, d: &str| AuthorizeError::Redirect {
            target: req.target(),
            error,
            description: d.to_owned(),
        };
        let now = self.clock.now().unix_timestamp();
        let current = self
            .sessions
            .current_session(headers)
            .await
            .map_err(server)?;
        let session = current.as_ref().map(|c| &c.session);

        if self.needs_login(&req, session, pending.is_some(), now) {
            if req.prompt_none {
                return Err(redirect_err("login_required", "the user is not signed in"));
            }
            let id = self.ensure_pending(&req, pending).await.map_err(server)?;
            return Ok(self.forms.login_page(
                headers,
                &req,
                &client,
                &id,
                None,
                None,
                StatusCode::OK,
            ));
        }
        let Some(current) = current else {
            return Err(AuthorizeError::Internal(
                InternalError::described("no SSO session after sign-in".to_owned()),
                req.locale,
            ));
        };
        if self.needs_step_up(&req, &current.session) {
            if req.prompt_none {
                if req.claims.acr_essential {
                    return Err(redirect_err(
                        "interaction_required",
                        "step-up authentication is required",
                    ));
                }
            } else {
                let id = self
                    .ensure_pending(&req, pending.clone())
                    .await
                    .map_err(server)?;
                match self
                    .step_up
                    .step_up_start(headers, &req, &id, &current, false)
                    .await
                {
                    StepUp::Page(page) => return Ok(page),
                    // Only an essential acr request makes this fatal;
                    // acr_values are voluntary (OIDC Core §3.1.2.1).
                    StepUp::Unavailable if req.claims.acr_essential => {
                        return Err(redirect_err(
                            "access_denied",
                            "step-up authentication is not possible for this account",
                        ));
                    }
                    StepUp::Unavailable => {}
                }
                let pending = Some(id);
                return self
                    .finish_after_step_up(headers, req, client, pending, consented_now, current)
                    .await;
            }
        }
        self.finish_after_step_up(headers, req, client, pending, consented_now, current)
            .await
    }

    async fn finish_after_step_up(
        &self,
        headers: &HeaderMap,
        req: AuthRequest,
        client: Arc<Client>,
        pending: Option<String>,
        consented_now: bool,
        current: Current,
    ) -> Result<Response, AuthorizeError> {
        let server = |e: StorageError| AuthorizeError::storage(e, req.locale);
        let redirect_err = |error: &'static str, d: &str| AuthorizeError::Redirect {
            target: req.target(),
            error,
            description: d.to_owned(),
        };
        if self
            .needs_consent(&req, &client, current.session.user_id, consented_now)
            .await
            .map_err(server)?
        {
            if req.prompt_none {
                return Err(redirect_err(
                    "consent_required",
                    "the user has not consented",
                ));
            }
            let id = self.ensure_pending(&req, pending).await.map_err(server)?;
            return Ok(self.forms.consent_page(headers, &req, &client, &id));
        }
        self.issue_code(&req, &current, pending.as_deref())
            .await
            .map_err(server)
    }

    /// Right after a password sign-in: the code redirect at once when
    /// nothing else is due (no step-up, no consent, a query redirect),
    /// saving the browser — and the server — the hop through the continue
    /// URL. `None` when a page is due: that page is shown by the continue
    /// URL as before, so a reload never re-posts the password form.
    pub(crate) async fn finish_sign_in(
        &self,
        req: &AuthRequest,
        client: &Client,
        current: &Current,
        pending: &str,
    ) -> Result<Option<Response>, StorageError> {
        if req.response_mode != ResponseMode::Query
            || self.needs_step_up(req, &current.session)
            || self
                .needs_consent(req, client, current.session.user_id, false)
                .await?
        {
            return Ok(None);
        }
        self.issue_code(req, current, Some(pending)).await.map(Some)
    }

    async fn ensure_pending(
        &self,
        req: &AuthRequest,
        pending: Option<String>,
    ) -> Result<String, StorageError> {
        match pending {
            Some(id) => Ok(id),
            None => {
                let id = random_token(&*self.random, 16);
                self.save_pending(&id, req).await?;
                Ok(id)
            }
        }
    }

    /// Issues a code for `req` under the session and sends it to the client;
    /// the `pending` request it answers is forgotten.
    async fn issue_code(
        &self,
        req: &AuthRequest,
        current: &Current,
        pending: Option<&str>,
    ) -> Result<Response, StorageError> {
        let s = &current.session;
        let mut scopes = req.scopes.clone();
        if scopes.iter().any(|x| x == crate::scopes::ADMIN_SCOPE)
            && !self.accounts.is_operator(s.user_id).await?
        {
            // Granted scopes may be narrower than requested (RFC 6749
            // §3.3); the token response names what was granted.
            scopes.retain(|x| x != crate::scopes::ADMIN_SCOPE);
        }
        crate::scopes::only_for_the_portal(&req.client_id, &mut scopes);
        let grant = CodeGrant {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            user_id: s.user_id,
            scopes,
            claims: req.claims.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            sid: s.sid.clone(),
            auth_time: s.auth_time,
            acr: s.acr.clone(),
            amr: s.amr.clone(),
        };
        let lifetime = self.code_lifetime_seconds;
        let expires_at =
            self.clock.now().unix_timestamp() + i64::try_from(lifetime).unwrap_or(i64::MAX / 2);
        let code = crate::token::code_format::issue(&*self.random, &self.server_key, expires_at);
        let bytes = serde_json::to_vec(&grant).map_err(StorageError::unhandled)?;
        let (code_key, clients_key) = (code_key(&code), crate::session::clients_key(&s.sid));
        // One round trip: the code, the client's place in the session (for
        // logout), and, answered, the pending request (a replay of the
        // continue URL finds nothing).
        let pending_key = pending.map(pending_key);
        let mut writes = vec![
            Write::Put {
                key: &code_key,
                value: &bytes,
                ttl: Duration::from_secs(lifetime),
            },
            Write::SetAdd {
                key: &clients_key,
                member: &req.client_id,
                ttl: self.sessions.session_clients_ttl(),
            },
        ];
        if let Some(key) = &pending_key {
            writes.push(Write::Delete { key });
        }
        self.ephemeral.write_all(&writes).await?;
        Ok(redirect(&self.forms, &req.target(), vec![("code", code)]))
    }
}

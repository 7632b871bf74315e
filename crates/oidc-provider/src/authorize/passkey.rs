//! "Sign in with a passkey" on the sign-in page: a discoverable WebAuthn
//! credential with user verification, and no password.
//!
//! The page's script posts the pending request and its CSRF token to
//! [`OPTIONS_PATH`] and gets the ceremony's options and a handle (the
//! ceremony's state waits in the ephemeral store under it, bound to the
//! pending request, so any node finishes it); the browser's answer comes
//! back to [`LOGIN_PATH`] as an ordinary form. The answer names the account
//! (the user handle given at registration, the account's random id) and the
//! credential; the credential must be that account's, the account active,
//! and the signature verify. Failures count toward the account's sign-in
//! limits like wrong passwords do, and a sign-in continues the pending
//! request exactly as a password sign-in does, at `urn:pratu:acr:aal2`.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::passkey::{PasskeyError, RelyingParty, SignInAnswer};
use pratu_core::web::{RequestContext, csrf};
use pratu_storage::StorageError;
use pratu_storage::records::UserStatus;
use serde::{Deserialize, Serialize};

use super::respond::server_error;
use crate::acr;
use crate::clients::random_token;
use crate::ratelimit::Attempt;
use crate::state::{Accounts, Audit, AuthorizeFlow, Forms, LoginThrottle, Sessions};
use crate::web::params::Params;

pub(crate) const OPTIONS_PATH: &str = "/login/passkey/options";
pub(crate) const LOGIN_PATH: &str = "/login/passkey";
pub(crate) const SCRIPT_PATH: &str = "/login/passkey.js";

/// How long the browser's passkey dialog may stay open.
const CEREMONY_TTL: Duration = Duration::from_secs(5 * 60);
/// The longest answer read: a WebAuthn assertion is a few kilobytes.
const MAX_ANSWER: usize = 16 * 1024;

/// RFC 8176 `amr` of a passkey sign-in: `swk` (a proof of possession of a
/// software-secured key), `user` (user presence and verification: the
/// authenticator checked a PIN or biometric, which the ceremony requires)
/// and `mfa` (something held and something known or been).
///
/// `swk`, not `hwk`: `hwk` promises a hardware-bound key, and Pratu asks
/// for no attestation (which most passkeys, synced between devices by
/// their platform, do not give anyway), so it cannot know where the key
/// lives; claiming less is honest.
pub(crate) const PASSKEY_AMR: [&str; 3] = ["swk", "user", "mfa"];

/// The `acr` and `amr` of a sign-in with a user-verified passkey: two
/// factors by itself, so `urn:pratu:acr:aal2`.
pub(crate) fn passkey_assurance() -> (&'static str, Vec<String>) {
    (
        acr::AAL2,
        PASSKEY_AMR.iter().map(|m| (*m).to_owned()).collect(),
    )
}

/// Whether the sign-in page may offer a passkey: its issuer is a domain
/// name (browsers refuse an IP address as the relying party).
impl Forms {
    pub(crate) fn passkeys_offered(&self) -> bool {
        RelyingParty::for_issuer(&self.issuer.url).is_ok()
    }
}

/// A ceremony waiting for the browser's answer.
#[derive(Serialize, Deserialize)]
struct Ceremony {
    /// The pending authorization request it signs in for.
    req: String,
    state: Vec<u8>,
}

fn ceremony_key(handle: &str) -> String {
    format!("oidc:passkey_signin:{handle}")
}

fn json_error(status: StatusCode, code: &str) -> Response {
    (status, Json(serde_json::json!({ "error": code }))).into_response()
}

/// `POST /login/passkey/options` (form: `req`, `csrf`): `{"handle",
/// "publicKey"}` for `navigator.credentials.get`.
pub(crate) async fn options_post(
    State(flow): State<AuthorizeFlow>,
    State(forms): State<Forms>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(p) = Params::from_form(&headers, &body) else {
        return json_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let id = p.get("req").unwrap_or_default();
    let browser = forms.issuer.cookies.get(&headers, csrf::COOKIE);
    if !forms.csrf.verify(browser, id, p.get("csrf")) {
        return json_error(StatusCode::FORBIDDEN, "form_stale");
    }
    match flow.load_pending(id).await {
        Ok(Some(_)) => {}
        Ok(None) => return json_error(StatusCode::NOT_FOUND, "expired"),
        Err(e) => return server_error(e, forms.locale(&headers, None)),
    }
    let rp = match RelyingParty::for_issuer(&forms.issuer.url) {
        Ok(rp) => rp,
        Err(_) => return json_error(StatusCode::NOT_FOUND, "passkeys_unsupported"),
    };
    let (mut options, state) = match rp.start_sign_in() {
        Ok(started) => started,
        Err(e) => return server_error(InternalPasskey(e), forms.locale(&headers, None)),
    };
    let handle = random_token(&*forms.random, 24);
    let ceremony = match serde_json::to_vec(&Ceremony {
        req: id.to_owned(),
        state,
    }) {
        Ok(c) => c,
        Err(e) => return server_error(InternalJson(e), forms.locale(&headers, None)),
    };
    if let Err(e) = flow
        .ephemeral
        .put(&ceremony_key(&handle), &ceremony, CEREMONY_TTL)
        .await
    {
        return server_error(e, forms.locale(&headers, None));
    }
    if let Some(o) = options.as_object_mut() {
        o.insert("handle".into(), handle.into());
    }
    let mut res = Json(options).into_response();
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A passkey ceremony that could not even start or be read back: a bug.
#[derive(Debug, thiserror::Error)]
#[error("passkey ceremony state: {0}")]
pub(crate) struct InternalPasskey(pub PasskeyError);

/// The state of the ceremony started under `handle`, taken (a ceremony is
/// answered once), if it was started for the pending request `id`.
pub(crate) async fn take_ceremony(
    flow: &AuthorizeFlow,
    handle: &str,
    id: &str,
) -> Result<Option<Vec<u8>>, StorageError> {
    Ok(flow
        .ephemeral
        .take(&ceremony_key(handle))
        .await?
        .and_then(|c| serde_json::from_slice::<Ceremony>(&c).ok())
        .filter(|c| c.req == id)
        .map(|c| c.state))
}

/// The browser's answer, if it is one (and not oversized).
pub(crate) fn read_answer(rp: &RelyingParty, answer: &str) -> Option<SignInAnswer> {
    (answer.len() <= MAX_ANSWER)
        .then(|| rp.read_sign_in(answer))
        .and_then(Result::ok)
}

#[derive(Debug, thiserror::Error)]
#[error("passkey ceremony state could not be encoded")]
struct InternalJson(#[source] serde_json::Error);

/// `POST /login/passkey` (form: `req`, `csrf`, `handle`, `credential`).
#[tracing::instrument(name = "pratu.oidc.login_passkey", skip_all)]
#[expect(
    clippy::too_many_arguments,
    reason = "extractors: the handler names each substate a sign-in touches"
)]
pub(crate) async fn login_post(
    State(flow): State<AuthorizeFlow>,
    State(forms): State<Forms>,
    State(sessions): State<Sessions>,
    State(accounts): State<Accounts>,
    State(throttle): State<LoginThrottle>,
    State(audit): State<Audit>,
    headers: HeaderMap,
    ctx: RequestContext,
    body: Bytes,
) -> Response {
    let (p, req, client) = match super::login::posted_form(&flow, &forms, &headers, &body).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let id = p.get("req").unwrap_or_default();
    let t = req.locale.texts();
    let again = |error: &str, status| {
        forms.login_page(&headers, &req, &client, id, None, Some(error), status)
    };
    let target = Some(format!("client:{}", req.client_id));
    let refused = |actor: String, reason: &'static str| {
        let (audit, target) = (audit.clone(), target.clone());
        async move {
            audit
                .record(
                    actor,
                    AuditAction::LoginFailed,
                    target,
                    Outcome::Failure,
                    serde_json::json!({ "reason": reason, "method": "passkey" }),
                )
                .await;
        }
    };

    // The ceremony: used once, and only for the request it was started for.
    let handle = p.get("handle").unwrap_or_default();
    let ceremony = match take_ceremony(&flow, handle, id).await {
        Ok(c) => c,
        Err(e) => return server_error(e, req.locale),
    };
    let Some(ceremony) = ceremony else {
        return again(t.passkey_refused, StatusCode::OK);
    };
    let Ok(rp) = RelyingParty::for_issuer(&forms.issuer.url) else {
        return again(t.passkey_refused, StatusCode::OK);
    };
    let answer = match read_answer(&rp, p.get("credential").unwrap_or_default()) {
        Some(a) => a,
        None => {
            refused("anonymous".to_owned(), "unknown_passkey").await;
            return again(t.passkey_refused, StatusCode::OK);
        }
    };
    // The credential must be stored, and be the account's the answer
    // names; else no account is known to count the failure against.
    let stored = match accounts
        .store
        .passkey_by_credential_id(&answer.credential_id)
        .await
    {
        Ok(s) => s.filter(|s| s.user_id == answer.user_id),
        Err(e) => return server_error(e, req.locale),
    };
    let user = match &stored {
        Some(s) => match accounts.store.user_by_id(s.user_id).await {
            Ok(u) => u,
            Err(e) => return server_error(e, req.locale),
        },
        None => None,
    };
    let (Some(stored), Some(user)) = (stored, user) else {
        refused("anonymous".to_owned(), "unknown_passkey").await;
        return again(t.passkey_refused, StatusCode::OK);
    };

    let attempt = Attempt::new(&user.username, ctx.ip);
    let ticket = match throttle.admit(&attempt).await {
        Ok(Ok(ticket)) => ticket,
        Ok(Err(refusal)) => {
            audit
                .record(
                    format!("user:{}", user.id),
                    AuditAction::LoginLocked,
                    target.clone(),
                    Outcome::Locked,
                    serde_json::json!({ "reason": refusal.as_str(), "method": "passkey" }),
                )
                .await;
            return again(t.locked_out, StatusCode::TOO_MANY_REQUESTS);
        }
        Err(e) => return server_error(e, req.locale),
    };
    let verified = rp.finish_sign_in(&answer, &ceremony, &stored.credential);
    let reason = match (&verified, user.status) {
        (Ok(_), UserStatus::Active) => None,
        (Ok(_), _) => Some("disabled"),
        (Err(PasskeyError::State), _) => {
            // Not the citizen's failure: the stored credential or the
            // ceremony does not read back.
            if let Err(e) = throttle.succeeded(&attempt, ticket).await {
                tracing::warn!(error = %e, "a sign-in ticket could not be released");
            }
            return server_error(InternalPasskey(PasskeyError::State), req.locale);
        }
        (Err(_), _) => Some("bad_passkey"),
    };
    if let Some(reason) = reason {
        let locked_out = match throttle.failed(&attempt, ticket).await {
            Ok(l) => l,
            Err(e) => return server_error(e, req.locale),
        };
        let actor = format!("user:{}", user.id);
        refused(actor.clone(), reason).await;
        if let Some(l) = locked_out {
            audit
                .record(
                    actor,
                    AuditAction::LoginAccountLocked,
                    target.clone(),
                    Outcome::Locked,
                    serde_json::json!({ "failures": l.failures, "seconds": l.seconds }),
                )
                .await;
        }
        return again(t.passkey_refused, StatusCode::OK);
    }
    if let Err(e) = throttle.succeeded(&attempt, ticket).await {
        tracing::warn!(error = %e, "the failed sign-in count could not be reset");
    }
    if let Ok(updated) = &verified {
        match accounts
            .store
            .record_passkey_use(&stored.credential_id, updated, accounts.clock.now())
            .await
        {
            Ok(()) => {}
            // Removed in the meantime: this sign-in was verified before.
            Err(StorageError::NotFound { .. }) => {}
            Err(e) => return server_error(e, req.locale),
        }
    }

    // As after a password.
    let (acr, amr) = passkey_assurance();
    let details = serde_json::json!({ "acr": acr, "amr": amr, "method": "passkey" });
    super::login::signed_in(
        super::login::SignedIn {
            flow: &flow,
            forms: &forms,
            sessions: &sessions,
            audit: &audit,
            headers: &headers,
            req: &req,
            client: &client,
            id,
        },
        user.id,
        (acr, amr),
        details,
    )
    .await
}

/// `GET /login/passkey.js`: the passkey script, from the binary (the
/// sign-in page allows same-origin scripts only when it offers a passkey).
pub(crate) async fn script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        pratu_core::passkey::SCRIPT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passkey_sign_in_is_aal2_with_swk_user_and_mfa() {
        let (acr, amr) = passkey_assurance();
        assert_eq!(acr, acr::AAL2);
        assert!(acr::satisfies(acr, acr::AAL2));
        assert_eq!(amr, ["swk", "user", "mfa"]);
        assert!(
            !amr.iter().any(|m| m == acr::AMR_PASSWORD),
            "no password was used"
        );
    }
}

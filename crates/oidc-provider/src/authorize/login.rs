//! `POST /login`: the password sign-in form.
//!
//! An unknown username and a wrong password get the same page, the same
//! status and (through a dummy Argon2 verification) the same time. Attempts
//! are admitted by [`crate::ratelimit`] before the password is checked:
//! one at a time per typed username, counted up front, with growing
//! back-off and a lock-out per account and per address.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::password::PasswordError;
use pratu_core::web::RequestContext;
use pratu_storage::records::UserStatus;

use std::sync::Arc;

use pratu_storage::records::Client;

use super::flow::CONTINUE_PATH;
use super::request::AuthRequest;
use super::respond::{PageError, busy, error_page, server_error};
use crate::acr;
use crate::ratelimit::Attempt;
use crate::session;
use crate::state::{Accounts, Audit, AuthorizeFlow, Forms, LoginThrottle, Sessions};
use crate::web::params::Params;
use pratu_core::web::csrf;

const MAX_USERNAME: usize = 64;
const MAX_PASSWORD: usize = 256;

#[tracing::instrument(name = "pratu.oidc.login", skip_all)]
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
    let (p, req, client) = match posted_form(&flow, &forms, &headers, &body).await {
        Ok(form) => form,
        Err(page) => return page,
    };
    let id = p.get("req").unwrap_or_default();
    let t = req.locale.texts();
    let typed = p.get("username").unwrap_or_default().trim();
    let password = p.get("password").unwrap_or_default();
    let username = typed.to_lowercase();
    let again = |error: &str, status| {
        forms.login_page(
            &headers,
            &req,
            &client,
            id,
            Some(typed),
            Some(error),
            status,
        )
    };
    if username.is_empty()
        || username.len() > MAX_USERNAME
        || password.is_empty()
        || password.len() > MAX_PASSWORD
    {
        return again(t.bad_credentials, StatusCode::OK);
    }

    let attempt = Attempt::new(&username, ctx.ip);
    let ticket = match throttle.admit(&attempt).await {
        Ok(Ok(ticket)) => ticket,
        Ok(Err(refusal)) => {
            audit
                .record(
                    "anonymous".to_owned(),
                    AuditAction::LoginLocked,
                    Some(format!("client:{}", req.client_id)),
                    Outcome::Locked,
                    serde_json::json!({ "reason": refusal.as_str() }),
                )
                .await;
            return again(t.locked_out, StatusCode::TOO_MANY_REQUESTS);
        }
        Err(e) => return server_error(e, req.locale),
    };
    let user = match accounts.store.user_by_username(&username).await {
        Ok(u) => u,
        Err(e) => return server_error(e, req.locale),
    };
    let verified = match accounts
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await
    {
        Ok(v) => v,
        Err(PasswordError::Busy) => return busy(again(t.busy, StatusCode::SERVICE_UNAVAILABLE)),
        Err(e) => return server_error(e, req.locale),
    };
    let user = match user {
        Some(u) if verified && u.status == UserStatus::Active => u,
        other => {
            let locked_out = match throttle.failed(&attempt, ticket).await {
                Ok(l) => l,
                Err(e) => return server_error(e, req.locale),
            };
            let (actor, reason) = match &other {
                None => ("anonymous".to_owned(), "unknown_user"),
                Some(u) if !verified => (format!("user:{}", u.id), "bad_password"),
                Some(u) => (format!("user:{}", u.id), "disabled"),
            };
            let target = Some(format!("client:{}", req.client_id));
            audit
                .record(
                    actor.clone(),
                    AuditAction::LoginFailed,
                    target.clone(),
                    Outcome::Failure,
                    serde_json::json!({ "reason": reason }),
                )
                .await;
            if let Some(l) = locked_out {
                audit
                    .record(
                        actor,
                        AuditAction::LoginAccountLocked,
                        target,
                        Outcome::Locked,
                        serde_json::json!({ "failures": l.failures, "seconds": l.seconds }),
                    )
                    .await;
            }
            return again(t.bad_credentials, StatusCode::OK);
        }
    };
    // The sign-in stands; the failure count left behind only expires later.
    if let Err(e) = throttle.succeeded(&attempt, ticket).await {
        tracing::warn!(error = %e, "the failed sign-in count could not be reset");
    }
    if accounts.passwords.needs_rehash(&user.password_hash) {
        let (store, hasher, clock, pw, uid) = (
            std::sync::Arc::clone(&accounts.store),
            accounts.passwords.clone(),
            std::sync::Arc::clone(&accounts.clock),
            zeroize::Zeroizing::new(password.to_owned()),
            user.id,
        );
        tokio::spawn(async move {
            // Best effort: the old hash stays valid, and the next sign-in
            // tries again.
            match hasher.hash(&pw).await {
                Ok(h) => {
                    if let Err(e) = store.set_user_password(uid, &h, clock.now()).await {
                        tracing::warn!(error = %e, "a password could not be rehashed");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "a password could not be rehashed"),
            }
        });
    }

    signed_in(
        SignedIn {
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
        (acr::AAL1, vec![acr::AMR_PASSWORD.to_owned()]),
        serde_json::json!({"acr": acr::AAL1}),
    )
    .await
}

/// A sign-in form posted for a pending authorization request: its fields,
/// the request and its client, once the CSRF token is checked; else the
/// page to answer.
pub(super) async fn posted_form(
    flow: &AuthorizeFlow,
    forms: &Forms,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Params, AuthRequest, Arc<Client>), Response> {
    let Some(p) = Params::from_form(headers, body) else {
        return Err(error_page(
            PageError::BadRequest("form expected".into()),
            forms.locale(headers, None),
        ));
    };
    let id = p.get("req").unwrap_or_default();
    let req = match flow.load_pending(id).await {
        Ok(Some(r)) => r,
        Ok(None) => return Err(error_page(PageError::Expired, forms.locale(headers, None))),
        Err(e) => return Err(server_error(e, forms.locale(headers, None))),
    };
    let client = match flow.clients.active(&req.client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(error_page(PageError::UnknownClient, req.locale)),
        Err(e) => return Err(server_error(e, req.locale)),
    };
    let browser = forms.issuer.cookies.get(headers, csrf::COOKIE);
    if !forms.csrf.verify(browser, id, p.get("csrf")) {
        return Err(error_page(
            PageError::BadRequest("the form is stale; please try again".into()),
            req.locale,
        ));
    }
    Ok((p, req, client))
}

/// What finishing a sign-in touches.
pub(super) struct SignedIn<'a> {
    pub flow: &'a AuthorizeFlow,
    pub forms: &'a Forms,
    pub sessions: &'a Sessions,
    pub audit: &'a Audit,
    pub headers: &'a HeaderMap,
    pub req: &'a AuthRequest,
    pub client: &'a Client,
    pub id: &'a str,
}

/// The account proved who it is (password or passkey): a new SSO session
/// replaces this browser's, `login.succeeded` is recorded with `details`,
/// and the authorization request goes on (a code, or consent first).
pub(super) async fn signed_in(
    s: SignedIn<'_>,
    user_id: uuid::Uuid,
    (acr, amr): (&str, Vec<String>),
    details: serde_json::Value,
) -> Response {
    let SignedIn {
        flow,
        forms,
        sessions,
        audit,
        headers,
        req,
        client,
        id,
    } = s;
    if let Ok(Some(old)) = sessions.current_session(headers).await {
        // The browser's cookie is replaced either way; the old session,
        // if it survives, only expires on its own.
        if let Err(e) = sessions.end_session(&old).await {
            tracing::warn!(error = %e, "the replaced session could not be ended");
        }
    }
    let (handle, session) = match sessions.start_session(user_id, acr, amr).await {
        Ok(s) => s,
        Err(e) => return server_error(e, req.locale),
    };
    audit
        .record(
            format!("user:{user_id}"),
            AuditAction::LoginSucceeded,
            Some(format!("client:{}", req.client_id)),
            Outcome::Success,
            details,
        )
        .await;
    let current = session::Current::started(&handle, session);
    let mut res = match flow.finish_sign_in(req, client, &current, id).await {
        Ok(Some(code)) => code,
        Ok(None) => {
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) =
                HeaderValue::from_str(&format!("{}{CONTINUE_PATH}?req={id}", forms.issuer.url))
            {
                res.headers_mut().insert(LOCATION, v);
            }
            res
        }
        Err(e) => return server_error(e, req.locale),
    };
    if let Some(c) = sessions.cookies.set(session::COOKIE, &handle, None) {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}

//! `POST /consent`: the user's answer on the consent page. Consent is
//! remembered per user and client (the union of scopes granted so far).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use pratu_core::audit::{AuditAction, Outcome};
use pratu_storage::records::Consent;

use super::flow::CONTINUE_PATH;
use super::respond::{PageError, error_page, redirect, server_error};
use crate::state::{Audit, AuthorizeFlow, Forms, Sessions};
use crate::web::params::Params;
use pratu_core::web::csrf;

#[tracing::instrument(name = "pratu.oidc.consent", skip_all)]
pub(crate) async fn consent_post(
    State(flow): State<AuthorizeFlow>,
    State(forms): State<Forms>,
    State(sessions): State<Sessions>,
    State(audit): State<Audit>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(p) = Params::from_form(&headers, &body) else {
        return error_page(
            PageError::BadRequest("form expected".into()),
            forms.locale(&headers, None),
        );
    };
    let id = p.get("req").unwrap_or_default();
    let req = match flow.load_pending(id).await {
        Ok(Some(r)) => r,
        Ok(None) => return error_page(PageError::Expired, forms.locale(&headers, None)),
        Err(e) => return server_error(e, forms.locale(&headers, None)),
    };
    let browser = forms.issuer.cookies.get(&headers, csrf::COOKIE);
    if !forms.csrf.verify(browser, id, p.get("csrf")) {
        return error_page(
            PageError::BadRequest("the form is stale; please try again".into()),
            req.locale,
        );
    }
    let client = match flow.clients.active(&req.client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return error_page(PageError::UnknownClient, req.locale),
        Err(e) => return server_error(e, req.locale),
    };
    let current = match sessions.current_session(&headers).await {
        Ok(Some(c)) => c,
        // Signed out meanwhile: the continue step asks to sign in again.
        Ok(None) => {
            return Redirect::to(&format!("{}{CONTINUE_PATH}?req={id}", forms.issuer.url))
                .into_response();
        }
        Err(e) => return server_error(e, req.locale),
    };
    let user = current.session.user_id;
    if p.get("decision") != Some("allow") {
        // Left behind, the request expires by itself; meanwhile it could
        // still be allowed from another tab, which the log makes visible.
        if let Err(e) = flow.ephemeral.delete(&format!("authz:{id}")).await {
            tracing::warn!(error = %e, "a denied authorization request could not be removed");
        }
        audit
            .record(
                format!("user:{user}"),
                AuditAction::ConsentDenied,
                Some(format!("client:{}", req.client_id)),
                Outcome::Failure,
                serde_json::json!({}),
            )
            .await;
        return redirect(
            &forms,
            &req.target(),
            vec![
                ("error", "access_denied".to_owned()),
                (
                    "error_description",
                    "the user denied the request".to_owned(),
                ),
            ],
        );
    }
    let mut scopes = match flow.store.consent(user, &req.client_id).await {
        Ok(c) => c.map(|c| c.scopes).unwrap_or_default(),
        Err(e) => return server_error(e, req.locale),
    };
    for s in req.consent_scopes() {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    let consent = Consent {
        user_id: user,
        client_id: req.client_id.clone(),
        scopes: scopes.clone(),
        granted_at: flow.clock.now(),
    };
    // The consent is in force from its commit on, so its record commits
    // with it: neither stands without the other.
    let record = audit.event(
        format!("user:{user}"),
        AuditAction::ConsentGranted,
        Some(format!("client:{}", req.client_id)),
        Outcome::Success,
        serde_json::json!({"scopes": scopes}),
    );
    if let Err(e) = flow.store.grant_consent(&consent, &record).await {
        return server_error(e, req.locale);
    }
    Audit::committed(AuditAction::ConsentGranted, Outcome::Success);
    flow.advance(&headers, req, client, Some(id.to_owned()), true)
        .await
}

//! A passkey as the second factor after the password.
//!
//! The ceremony is the sign-in page's (options from
//! `/login/passkey/options`, bound to the pending request), answered here
//! instead: the credential must be one of the signed-in account's, verified
//! with user verification. Refusals count toward the account's sign-in
//! limits like a wrong code.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use pratu_core::passkey::{PasskeyError, RelyingParty};
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;

use super::check::FactorCheck;
use super::{Deps, Factor, posted};
use crate::acr;
use crate::authorize::passkey::{
    InternalPasskey, OPTIONS_PATH, PASSKEY_AMR, read_answer, take_ceremony,
};
use crate::authorize::request::AuthRequest;
use crate::authorize::respond::server_error;
use crate::state::Forms;
use crate::web::pages::{self, PasskeyStepUpPage};

pub(crate) const PASSKEY_PATH: &str = "/login/stepup/passkey";

impl Forms {
    pub(super) fn passkey_page(
        &self,
        headers: &HeaderMap,
        req: &AuthRequest,
        id: &str,
        others: Vec<(String, &'static str)>,
        error: Option<&str>,
    ) -> Response {
        let form = self.step_up_form(headers, (id, req.locale), error.is_some());
        let action = format!("{}{PASSKEY_PATH}", self.issuer.url);
        let page = PasskeyStepUpPage {
            t: req.locale.texts(),
            lang_url: form.lang_url,
            action: &action,
            options: OPTIONS_PATH,
            req: id,
            csrf: &form.csrf,
            others,
            error,
        };
        pages::render_passkey_page_to(
            form.status,
            &page,
            form.cookie.as_slice(),
            &req.redirect_uri,
        )
    }
}

/// `POST /login/stepup/passkey` (form: `req`, `csrf`, `handle`,
/// `credential`).
#[tracing::instrument(name = "pratu.oidc.step_up_passkey", skip_all)]
pub(crate) async fn passkey_post(
    State(Deps {
        flow,
        forms,
        sessions,
        step_up,
        throttle,
        audit,
    }): State<Deps>,
    ctx: RequestContext,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let deps = (&flow, &forms, &sessions, &step_up);
    let form = match posted(deps, &headers, &body, Factor::Passkey).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let (id, req, user) = (form.id(), &form.req, &form.user);
    let t = req.locale.texts();
    let rp = match RelyingParty::for_issuer(&forms.issuer.url) {
        Ok(rp) if form.factors.contains(&Factor::Passkey) => rp,
        _ => return form.decide_again(&forms),
    };
    let again =
        |error: &str| forms.passkey_page(&headers, req, id, form.others.clone(), Some(error));

    let ceremony = match take_ceremony(&flow, form.p.get("handle").unwrap_or_default(), id).await {
        Ok(c) => c,
        Err(e) => return server_error(e, req.locale),
    };
    // A ceremony that is gone or belongs elsewhere proves nothing and names
    // no credential: shown again, not counted (the browser may have waited
    // too long).
    let Some(ceremony) = ceremony else {
        return again(t.passkey_step_up_refused);
    };
    let check = FactorCheck::new(&throttle, &audit, &form, ctx.ip, "passkey");
    let ticket = match check.admit().await {
        Ok(Some(ticket)) => ticket,
        Ok(None) => return again(t.locked_out),
        Err(e) => return server_error(e, req.locale),
    };
    // The credential must be stored and be this account's.
    let answer = read_answer(&rp, form.p.get("credential").unwrap_or_default())
        .filter(|a| a.user_id == user.id);
    let stored = match &answer {
        Some(a) => match step_up
            .store
            .passkey_by_credential_id(&a.credential_id)
            .await
        {
            Ok(s) => s.filter(|s| s.user_id == user.id),
            Err(e) => return server_error(e, req.locale),
        },
        None => None,
    };
    let verified = match (&answer, &stored) {
        (Some(a), Some(s)) => rp
            .finish_sign_in(a, &ceremony, &s.credential)
            .map(|updated| (s, updated)),
        _ => Err(PasskeyError::Refused),
    };
    let (stored, updated) = match verified {
        Ok(v) => v,
        Err(PasskeyError::State) => {
            // Not the citizen's failure: the stored credential or the
            // ceremony does not read back.
            return server_error(InternalPasskey(PasskeyError::State), req.locale);
        }
        Err(_) => {
            return match check.refused(ticket).await {
                Ok(()) => again(t.passkey_step_up_refused),
                Err(e) => server_error(e, req.locale),
            };
        }
    };
    match step_up
        .store
        .record_passkey_use(&stored.credential_id, &updated, step_up.clock.now())
        .await
    {
        // Removed in the meantime: this use was verified before.
        Ok(()) | Err(StorageError::NotFound { .. }) => {}
        Err(e) => return server_error(e, req.locale),
    }
    // The passkey's own `amr` without its `mfa`: the step-up adds it.
    let factor_amr: Vec<&str> = PASSKEY_AMR
        .iter()
        .copied()
        .filter(|m| *m != acr::AMR_MFA)
        .collect();
    if let Err(e) = check
        .passed(
            ticket,
            &sessions,
            &form.current,
            &factor_amr,
            serde_json::json!({}),
        )
        .await
    {
        return server_error(e, req.locale);
    }
    form.decide_again(&forms)
}

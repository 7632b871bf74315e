//! The authenticator-app factor: a TOTP code (RFC 6238), or one of the
//! account's single-use recovery codes for a lost device.
//!
//! A code is accepted once: the step it belongs to is recorded with a
//! compare-and-set, so a replay — or the same code posted twice in
//! parallel — is refused. Each attempt is admitted by the sign-in limits
//! before the code is checked (one at a time per account, counted up
//! front), so guessing the app's code meets the same back-off and hard cap
//! as guessing the password.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use pratu_core::pii::PiiError;
use pratu_core::totp::{self, TotpSecret};
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;
use pratu_storage::records::User;

use super::check::FactorCheck;
use super::{Deps, Factor, posted};
use crate::acr;
use crate::authorize::request::AuthRequest;
use crate::authorize::respond::server_error;
use crate::state::{Forms, StepUpService};
use crate::web::pages::{self, TotpPage};

pub(crate) const TOTP_PATH: &str = "/login/totp";

/// The longest code read: a recovery code with its hyphens, and spaces.
const MAX_CODE: usize = 32;

/// Which code passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Passed {
    App,
    RecoveryCode,
}

impl Passed {
    fn as_str(self) -> &'static str {
        match self {
            Self::App => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// Why a code could not be checked (not the citizen's failure).
#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("the authenticator secret does not open: {0}")]
    Sealed(PiiError),
}

impl StepUpService {
    /// Checks `code` against the account's authenticator app (six digits)
    /// or its recovery codes (anything else that reads as one), using it up
    /// if it passes.
    async fn use_code(&self, user: &User, code: &str) -> Result<Option<Passed>, CheckError> {
        if code.len() > MAX_CODE {
            return Ok(None);
        }
        let digits: String = code.chars().filter(|c| *c != ' ').collect();
        if digits.len() == totp::DIGITS as usize {
            let Some(factor) = self
                .store
                .totp_of_user(user.id)
                .await?
                .filter(|f| f.is_active())
            else {
                return Ok(None);
            };
            let secret = self
                .totp_secrets
                .open(&factor.secret_sealed, totp::SECRET_AAD)
                .map_err(CheckError::Sealed)?;
            let secret = TotpSecret::from_bytes(&secret);
            let last = factor.last_used_step.and_then(|s| u64::try_from(s).ok());
            let Some(step) = secret.verify(&digits, self.clock.now(), last) else {
                return Ok(None);
            };
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            // Of two uses of one code, only the first records its step.
            return Ok(self
                .store
                .use_totp_step(user.id, step)
                .await?
                .then_some(Passed::App));
        }
        let Some(digest) = totp::recovery_code_digest(code) else {
            return Ok(None);
        };
        Ok(self
            .store
            .consume_recovery_code(user.id, &digest, self.clock.now())
            .await?
            .then_some(Passed::RecoveryCode))
    }
}

impl Forms {
    pub(super) fn totp_page(
        &self,
        headers: &HeaderMap,
        req: &AuthRequest,
        id: &str,
        others: Vec<(String, &'static str)>,
        error: Option<&str>,
    ) -> Response {
        let form = self.step_up_form(headers, (id, req.locale), error.is_some());
        let action = format!("{}{TOTP_PATH}", self.issuer.url);
        let page = TotpPage {
            t: req.locale.texts(),
            lang_url: form.lang_url,
            action: &action,
            req: id,
            csrf: &form.csrf,
            others,
            error,
        };
        pages::render_to(
            form.status,
            &page,
            form.cookie.as_slice(),
            &req.redirect_uri,
        )
    }
}

/// `POST /login/totp` (form: `req`, `csrf`, `code`): a code from the
/// authenticator app or a recovery code.
#[tracing::instrument(name = "pratu.oidc.step_up_totp", skip_all)]
pub(crate) async fn totp_post(
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
    let form = match posted(deps, &headers, &body, Factor::Totp).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let (id, req, user) = (form.id(), &form.req, &form.user);
    let t = req.locale.texts();
    if !form.factors.contains(&Factor::Totp) {
        return form.decide_again(&forms);
    }
    let again = |error: &str| forms.totp_page(&headers, req, id, form.others.clone(), Some(error));

    let check = FactorCheck::new(&throttle, &audit, &form, ctx.ip, Passed::App.as_str());
    let ticket = match check.admit().await {
        Ok(Some(ticket)) => ticket,
        Ok(None) => return again(t.locked_out),
        Err(e) => return server_error(e, req.locale),
    };
    let passed = match step_up
        .use_code(user, form.p.get("code").unwrap_or_default())
        .await
    {
        Ok(p) => p,
        // The ticket, dropped, frees the slot; the attempt stays counted.
        Err(CheckError::Storage(e)) => return server_error(e, req.locale),
        Err(e @ CheckError::Sealed(_)) => return server_error(e, req.locale),
    };
    let Some(passed) = passed else {
        return match check.refused(ticket).await {
            Ok(()) => again(t.totp_invalid),
            Err(e) => server_error(e, req.locale),
        };
    };
    let mut details = serde_json::json!({ "method": passed.as_str() });
    if passed == Passed::RecoveryCode {
        match step_up.store.recovery_codes_left(user.id).await {
            Ok(n) => details["recovery_codes_left"] = n.into(),
            Err(e) => tracing::warn!(error = %e, "recovery codes left could not be counted"),
        }
    }
    if let Err(e) = check
        .passed(ticket, &sessions, &form.current, &[acr::AMR_OTP], details)
        .await
    {
        return server_error(e, req.locale);
    }
    form.decide_again(&forms)
}

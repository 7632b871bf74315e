//! What every step-up factor that the citizen answers on a page (the
//! authenticator app, a recovery code, a passkey) shares: the form's CSRF
//! token and status, and one check under the sign-in limits with its audit
//! trail.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use pratu_core::audit::{AuditAction, Outcome};
use pratu_storage::StorageError;

use super::Posted;
use crate::ratelimit::{Attempt, Ticket};
use crate::state::{Audit, Forms, LoginThrottle, Sessions};
use crate::{acr, session::Current};

/// The parts of a step-up page every factor's page has.
pub(super) struct FormParts {
    /// The form's CSRF token, bound to the browser and the request.
    pub csrf: String,
    /// The CSRF binding cookie, when the browser has none yet.
    pub cookie: Option<HeaderValue>,
    pub lang_url: Option<String>,
    /// 400 when the page says what went wrong.
    pub status: StatusCode,
}

impl Forms {
    pub(super) fn step_up_form(
        &self,
        headers: &HeaderMap,
        posted: (&str, crate::web::i18n::Locale),
        error: bool,
    ) -> FormParts {
        let (id, locale) = posted;
        let (browser, cookie) = self.csrf_browser(headers);
        FormParts {
            csrf: self.csrf.token(&browser, id),
            cookie,
            lang_url: self.lang_url(id, locale),
            status: if error {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
        }
    }
}

/// One check of a second factor, admitted and counted by the sign-in
/// limits like a password, and recorded.
pub(super) struct FactorCheck<'a> {
    throttle: &'a LoginThrottle,
    audit: &'a Audit,
    attempt: Attempt,
    actor: String,
    target: Option<String>,
    /// `details.method` of the records.
    method: &'static str,
}

impl<'a> FactorCheck<'a> {
    pub(super) fn new(
        throttle: &'a LoginThrottle,
        audit: &'a Audit,
        form: &Posted,
        ip: Option<std::net::IpAddr>,
        method: &'static str,
    ) -> Self {
        Self {
            throttle,
            audit,
            attempt: Attempt::new(&form.user.username, ip),
            actor: format!("user:{}", form.user.id),
            target: Some(format!("client:{}", form.req.client_id)),
            method,
        }
    }

    async fn record(&self, action: AuditAction, outcome: Outcome, details: serde_json::Value) {
        self.audit
            .record(
                self.actor.clone(),
                action,
                self.target.clone(),
                outcome,
                details,
            )
            .await;
    }

    /// Takes the account's one check slot and counts the check before it
    /// is made; `None` (recorded `login.locked`) while the account or the
    /// address is backed off or locked, or another check runs.
    pub(super) async fn admit(&self) -> Result<Option<Ticket>, StorageError> {
        match self.throttle.admit(&self.attempt).await? {
            Ok(ticket) => Ok(Some(ticket)),
            Err(refusal) => {
                self.record(
                    AuditAction::LoginLocked,
                    Outcome::Locked,
                    serde_json::json!({ "reason": refusal.as_str(), "method": self.method }),
                )
                .await;
                Ok(None)
            }
        }
    }

    /// Settles a wrong answer: counted toward the lock-out (only a step-up
    /// success forgives it), recorded `login.otp_failed`, and
    /// `login.account_locked` when it imposed a lock.
    pub(super) async fn refused(&self, ticket: Ticket) -> Result<(), StorageError> {
        let locked_out = self
            .throttle
            .second_factor_failed(&self.attempt, ticket)
            .await?;
        self.record(
            AuditAction::LoginOtpFailed,
            Outcome::Failure,
            serde_json::json!({ "method": self.method }),
        )
        .await;
        if let Some(l) = locked_out {
            self.record(
                AuditAction::LoginAccountLocked,
                Outcome::Locked,
                serde_json::json!({ "failures": l.failures, "seconds": l.seconds }),
            )
            .await;
        }
        Ok(())
    }

    /// Settles a right answer: the account's failures are forgiven, the
    /// session steps up to aal2 with `factor_amr` added to its `amr`, and
    /// `login.step_up` is recorded with `details` (the check's method
    /// unless `details` names another).
    pub(super) async fn passed(
        &self,
        ticket: Ticket,
        sessions: &Sessions,
        current: &Current,
        factor_amr: &[&str],
        mut details: serde_json::Value,
    ) -> Result<(), StorageError> {
        if let Err(e) = self
            .throttle
            .second_factor_succeeded(&self.attempt, ticket)
            .await
        {
            // The step-up stands; the count only expires later.
            tracing::warn!(error = %e, "the failed sign-in count could not be reset");
        }
        let amr = super::stepped_up_amr(&current.session.amr, factor_amr);
        sessions.upgrade_session(current, acr::AAL2, amr).await?;
        if details.get("method").is_none() {
            details["method"] = self.method.into();
        }
        self.record(AuditAction::LoginStepUp, Outcome::Success, details)
            .await;
        Ok(())
    }
}

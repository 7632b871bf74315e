//! The SMS factor: a one-time code to the account's verified phone.
//!
//! The challenge and its caps belong to the account, not to the SSO
//! session: signing in again with the password finds the same challenge
//! (and its used-up guesses) and no new SMS. Codes sent count per account
//! (`assurance.otp_max_sends` a day) and per phone on the counter enrollment
//! shares (`limits.otp_sends_per_phone`); wrong codes count toward the
//! account's sign-in lock-out (see [`crate::ratelimit`]).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::otp::{OtpError, OtpOutcome, OtpPolicy, OtpService};
use pratu_core::sms::SmsMessage;

use crate::acr;
use crate::authorize::request::AuthRequest;
use crate::authorize::respond::{PageError, error_page, server_error};
use crate::ratelimit::Attempt;
use pratu_storage::records::User;

use super::{Deps, Factor, Posted, posted, stepped_up_amr};
use crate::state::{Forms, StepUpService};
use crate::web::pages::{self, OtpPage};

pub(crate) const OTP_PATH: &str = "/login/otp";

/// `08x-xxx-5678` from `+66812345678`.
fn mask_phone(e164: &str) -> String {
    let local = e164
        .strip_prefix("+66")
        .map_or_else(|| e164.to_owned(), |rest| format!("0{rest}"));
    let n = local.chars().count();
    if n < 7 {
        return "xxx".to_owned();
    }
    let head: String = local.chars().take(2).collect();
    let tail: String = local.chars().skip(n - 4).collect();
    format!("{head}x-xxx-{tail}")
}

fn subject(user_id: uuid::Uuid) -> String {
    format!("stepup:{user_id}")
}

/// Why no new code went out.
enum NotSent {
    /// The account's or the phone's daily codes are used up.
    TooMany,
    /// No SMS sender, or sending or storing failed.
    Failed,
}

impl StepUpService {
    fn otp(&self) -> OtpService {
        let a = &self.config;
        OtpService::new(
            std::sync::Arc::clone(&self.ephemeral),
            std::sync::Arc::clone(&self.clock),
            std::sync::Arc::clone(&self.random),
            OtpPolicy {
                ttl: std::time::Duration::from_secs(a.otp_ttl_seconds),
                max_attempts: a.otp_max_attempts,
                resend_cooldown: std::time::Duration::from_secs(a.otp_resend_cooldown_seconds),
                max_sends: a.otp_max_sends,
                ..OtpPolicy::default()
            },
        )
    }

    /// The code page, sending a code unless one is live (a reload must not
    /// send another SMS) or, with `resend`, a new one (within the OTP
    /// policy's cooldown and send cap). `None` when the account has no
    /// verified phone.
    pub(super) async fn sms_start(
        &self,
        headers: &HeaderMap,
        req: &AuthRequest,
        id: &str,
        user: &User,
        others: Vec<(String, &'static str)>,
        resend: bool,
    ) -> Option<Response> {
        let phone = user.phone.as_deref().filter(|_| user.phone_verified)?;
        let otp = self.otp();
        let subject = subject(user.id);
        let now = self.clock.now();
        let reference = match otp.pending(&subject).await {
            Ok(Some(p)) if p.expires_at > now && !resend => p.reference,
            Ok(_) => match self
                .send_code(&otp, &subject, phone, user.id, &req.client_id)
                .await
            {
                Ok(r) => r,
                Err(NotSent::TooMany) => {
                    return Some(error_page(PageError::TooManyCodes, req.locale));
                }
                Err(NotSent::Failed) => {
                    return Some(error_page(PageError::Server, req.locale));
                }
            },
            Err(e) => return Some(server_error(e, req.locale)),
        };
        Some(self.forms.otp_page(
            headers,
            req,
            id,
            (&mask_phone(phone), &reference),
            others,
            None,
        ))
    }

    async fn send_code(
        &self,
        otp: &OtpService,
        subject: &str,
        phone: &str,
        user_id: uuid::Uuid,
        client_id: &str,
    ) -> Result<String, NotSent> {
        let Some(sms) = &self.sms else {
            return Err(NotSent::Failed);
        };
        // Keep the live challenge while a new one may not be sent; the page
        // shows its reference.
        let keep = |refused: NotSent| async move {
            match otp.pending(subject).await {
                Ok(Some(p)) => Ok(p.reference),
                Ok(None) => Err(refused),
                Err(e) => {
                    tracing::error!(error = %e, "otp lookup failed");
                    Err(NotSent::Failed)
                }
            }
        };
        let now = self.clock.now();
        match otp.pending(subject).await {
            Ok(Some(p)) if now < p.resend_at => return keep(NotSent::Failed).await,
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "otp lookup failed");
                return Err(NotSent::Failed);
            }
        }
        // Counted before sending, on the counter enrollment's codes to this
        // phone count on too.
        match pratu_core::limits::count_phone_send(self.ephemeral.as_ref(), self.phone_sends, phone)
            .await
        {
            Ok(true) => {}
            Ok(false) => return keep(NotSent::TooMany).await,
            Err(e) => {
                tracing::error!(error = %e, "the phone's send count failed");
                return Err(NotSent::Failed);
            }
        }
        let issued = match otp.issue(subject, phone).await {
            Ok(i) => i,
            Err(OtpError::Cooldown { .. }) => return keep(NotSent::Failed).await,
            Err(OtpError::TooManySends) => return keep(NotSent::TooMany).await,
            Err(e) => {
                tracing::error!(error = %e, "otp issue failed");
                return Err(NotSent::Failed);
            }
        };
        let message = SmsMessage {
            to: phone.to_owned(),
            text: issued.sms_text(),
        };
        let audit = |action: AuditAction, outcome: Outcome| {
            self.audit.record(
                format!("user:{user_id}"),
                action,
                Some(format!("client:{client_id}")),
                outcome,
                serde_json::json!({}),
            )
        };
        if let Err(e) = sms.send(&message).await {
            tracing::warn!(error = %e, "step-up SMS could not be sent");
            // Left behind, the unsent code only expires on its own.
            if let Err(e) = otp.cancel(subject).await {
                tracing::warn!(error = %e, "the unsent step-up code could not be cancelled");
            }
            audit(AuditAction::LoginOtpSendFailed, Outcome::Failure).await;
            return Err(NotSent::Failed);
        }
        audit(AuditAction::LoginOtpSent, Outcome::Success).await;
        Ok(issued.reference().to_owned())
    }
}

impl Forms {
    /// The code page: the masked phone and the live code's reference.
    fn otp_page(
        &self,
        headers: &HeaderMap,
        req: &AuthRequest,
        id: &str,
        (phone, reference): (&str, &str),
        others: Vec<(String, &'static str)>,
        error: Option<&str>,
    ) -> Response {
        let form = self.step_up_form(headers, (id, req.locale), error.is_some());
        let action = format!("{}{OTP_PATH}", self.issuer.url);
        let page = OtpPage {
            t: req.locale.texts(),
            lang_url: form.lang_url,
            action: &action,
            req: id,
            csrf: &form.csrf,
            phone,
            reference,
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

/// `POST /login/otp`: check the code (or send a new one).
#[tracing::instrument(name = "pratu.oidc.step_up", skip_all)]
pub(crate) async fn otp_post(
    State(Deps {
        flow,
        forms,
        sessions,
        step_up,
        throttle,
        audit,
    }): State<Deps>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let deps = (&flow, &forms, &sessions, &step_up);
    let form = match posted(deps, &headers, &body, Factor::Sms).await {
        Ok(f) => f,
        Err(page) => return page,
    };
    let Posted {
        p,
        req,
        current,
        user,
        ..
    } = &form;
    let (id, req, current, user) = (form.id(), req, current, user);
    let t = req.locale.texts();
    let others = &form.others;
    if p.contains("resend") {
        return match step_up
            .sms_start(&headers, req, id, user, others.clone(), true)
            .await
        {
            Some(r) => r,
            None => error_page(PageError::BadRequest(t.otp_unavailable.into()), req.locale),
        };
    }
    let otp = step_up.otp();
    let subject = subject(user.id);
    let phone = user
        .phone
        .clone()
        .filter(|_| user.phone_verified)
        .unwrap_or_default();
    // The page again with `error`, showing the live code's reference.
    let again = |error: &'static str| {
        let (otp, subject, phone, others) = (&otp, &subject, &phone, others.clone());
        let (forms, headers) = (&forms, &headers);
        async move {
            let reference = match otp.pending(subject).await {
                Ok(p) => p.map(|p| p.reference).unwrap_or_default(),
                // Only the reference shown is lost; the check stands.
                Err(e) => {
                    tracing::warn!(error = %e, "the live code's reference could not be read");
                    String::new()
                }
            };
            forms.otp_page(
                headers,
                req,
                id,
                (&mask_phone(phone), &reference),
                others,
                Some(error),
            )
        }
    };
    // Usernames are stored as typed at sign-in, lower-cased: the same key.
    let account = Attempt::new(&user.username, None);
    match throttle.account_locked(&account).await {
        Ok(false) => {}
        Ok(true) => {
            audit
                .record(
                    format!("user:{}", user.id),
                    AuditAction::LoginLocked,
                    Some(format!("client:{}", req.client_id)),
                    Outcome::Locked,
                    serde_json::json!({ "reason": "locked" }),
                )
                .await;
            return again(t.locked_out).await;
        }
        Err(e) => return server_error(e, req.locale),
    }
    let code = p.get("code").unwrap_or_default();
    let outcome = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        otp.verify(&subject, &phone, code).await
    } else {
        Ok(OtpOutcome::Invalid { attempts_left: 1 })
    };
    if let Ok(OtpOutcome::Invalid { .. } | OtpOutcome::Locked) = outcome {
        match throttle.step_up_failed(&account).await {
            Ok(None) => {}
            Ok(Some(l)) => {
                audit
                    .record(
                        format!("user:{}", user.id),
                        AuditAction::LoginAccountLocked,
                        Some(format!("client:{}", req.client_id)),
                        Outcome::Locked,
                        serde_json::json!({ "failures": l.failures, "seconds": l.seconds }),
                    )
                    .await;
            }
            Err(e) => return server_error(e, req.locale),
        }
    }
    match outcome {
        Ok(OtpOutcome::Verified) => {
            let amr = stepped_up_amr(&current.session.amr, &[acr::AMR_OTP, acr::AMR_SMS]);
            if sessions
                .upgrade_session(current, acr::AAL2, amr)
                .await
                .is_err()
            {
                return error_page(PageError::Server, req.locale);
            }
            if let Err(e) = throttle.step_up_succeeded(&account).await {
                // The step-up stands; the count only expires later.
                tracing::warn!(error = %e, "the failed sign-in count could not be reset");
            }
            audit
                .record(
                    format!("user:{}", current.session.user_id),
                    AuditAction::LoginStepUp,
                    Some(format!("client:{}", req.client_id)),
                    Outcome::Success,
                    serde_json::json!({ "method": Factor::Sms.as_str() }),
                )
                .await;
            form.decide_again(&forms)
        }
        Ok(OtpOutcome::Invalid { attempts_left }) => {
            audit
                .record(
                    format!("user:{}", current.session.user_id),
                    AuditAction::LoginOtpFailed,
                    Some(format!("client:{}", req.client_id)),
                    Outcome::Failure,
                    serde_json::json!({ "attempts_left": attempts_left }),
                )
                .await;
            again(t.otp_invalid).await
        }
        Ok(other) => {
            if matches!(other, OtpOutcome::Locked) {
                audit
                    .record(
                        format!("user:{}", current.session.user_id),
                        AuditAction::LoginOtpLocked,
                        Some(format!("client:{}", req.client_id)),
                        Outcome::Locked,
                        serde_json::json!({}),
                    )
                    .await;
            }
            again(t.otp_expired).await
        }
        Err(e) => server_error(e, req.locale),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked_as_thai_local_numbers() {
        assert_eq!(mask_phone("+66812345678"), "08x-xxx-5678");
        assert_eq!(mask_phone("+66"), "xxx");
    }
}

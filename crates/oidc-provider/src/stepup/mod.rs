//! Step-up sign-in (`urn:pratu:acr:aal2`) after the password, when the
//! client asks for it (`acr_values`, an `acr` claims request, or the
//! client's `default_acr_values`).
//!
//! The account's strongest second factor is asked first — a passkey, then
//! the authenticator app (TOTP, or one of its recovery codes), then a code
//! by SMS to the verified phone — and the page links to the others, so a
//! citizen without the phone at hand can still choose. Only the SMS factor
//! sends anything: a citizen with an app or a passkey is never sent an SMS
//! unless they choose it.
//!
//! Every factor's failures count toward the account's sign-in lock-out
//! ([`crate::ratelimit`]); the SMS challenge and its caps belong to the
//! account, not the SSO session ([`sms`]).

mod check;
mod passkey;
mod sms;
mod totp;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use pratu_core::web::csrf;
use pratu_storage::StorageError;
use pratu_storage::records::{User, UserStatus};

use crate::acr;
use crate::authorize::CONTINUE_PATH;
use crate::authorize::request::AuthRequest;
use crate::authorize::respond::{PageError, error_page, server_error};
use crate::session::Current;
use crate::state::{
    Audit, AuthorizeFlow, Forms, LoginThrottle, OidcState, Sessions, StepUpService,
};
use crate::web::params::Params;

pub(crate) use passkey::{PASSKEY_PATH, passkey_post};
pub(crate) use sms::{OTP_PATH, otp_post};
pub(crate) use totp::{TOTP_PATH, totp_post};

/// A second factor, strongest first (the order they are offered in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Factor {
    /// A user-verified passkey of the account: phishing-resistant.
    Passkey,
    /// The authenticator app's code, or one of its recovery codes.
    Totp,
    /// A code by SMS to the verified phone (a restricted authenticator,
    /// NIST SP 800-63B §5.1.3.3).
    Sms,
}

impl Factor {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Passkey => "passkey",
            Self::Totp => "totp",
            Self::Sms => "sms",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "passkey" => Some(Self::Passkey),
            "totp" => Some(Self::Totp),
            "sms" => Some(Self::Sms),
            _ => None,
        }
    }

    fn label(self, t: &crate::web::i18n::Texts) -> &'static str {
        match self {
            Self::Passkey => t.use_passkey,
            Self::Totp => t.use_totp,
            Self::Sms => t.use_sms,
        }
    }
}

pub(crate) enum StepUp {
    Page(Response),
    /// The account has no second factor that can be used here.
    Unavailable,
}

/// The `amr` after a step-up: what the session already proved (the
/// password) and what the factor added, with `mfa` (RFC 8176 §2).
pub(crate) fn stepped_up_amr(session_amr: &[String], factor_amr: &[&str]) -> Vec<String> {
    let mut amr: Vec<String> = session_amr.to_vec();
    for m in factor_amr.iter().chain(std::iter::once(&acr::AMR_MFA)) {
        if !amr.iter().any(|x| x == m) {
            amr.push((*m).to_owned());
        }
    }
    amr
}

/// What a step-up form's handler touches, taken from the provider's state
/// in one extractor.
pub(crate) struct Deps {
    pub flow: AuthorizeFlow,
    pub forms: Forms,
    pub sessions: Sessions,
    pub step_up: StepUpService,
    pub throttle: LoginThrottle,
    pub audit: Audit,
}

impl<S> axum::extract::FromRef<S> for Deps
where
    OidcState: axum::extract::FromRef<S>,
{
    fn from_ref(state: &S) -> Self {
        let root = OidcState::from_ref(state);
        Self {
            flow: AuthorizeFlow::from_ref(&root),
            forms: Forms::from_ref(&root),
            sessions: Sessions::from_ref(&root),
            step_up: StepUpService::from_ref(&root),
            throttle: LoginThrottle::from_ref(&root),
            audit: Audit::from_ref(&root),
        }
    }
}

/// A step-up form posted for a pending request, by a browser signed in
/// to an account that still exists.
pub(crate) struct Posted {
    pub p: Params,
    pub req: AuthRequest,
    pub current: Current,
    pub user: User,
    /// The account's second factors now, strongest first.
    pub factors: Vec<Factor>,
    /// Links to the factors other than the form's own.
    pub others: Vec<(String, &'static str)>,
}

impl Posted {
    /// The pending request's id.
    pub(crate) fn id(&self) -> &str {
        self.p.get("req").unwrap_or_default()
    }

    /// On to the continue step, which decides the next step again: after
    /// a step-up, or when the form's factor was removed meanwhile.
    pub(crate) fn decide_again(&self, forms: &Forms) -> Response {
        let url = format!("{}{CONTINUE_PATH}?req={}", forms.issuer.url, self.id());
        Redirect::to(&url).into_response()
    }
}

/// Reads a step-up form of the factor `shown`: its fields, the pending
/// request (CSRF token checked), the SSO session, its account and the
/// account's factors; else the answer — without a session (it ended
/// meanwhile) the request simply continues, to the sign-in page.
pub(crate) async fn posted(
    (flow, forms, sessions, step_up): (&AuthorizeFlow, &Forms, &Sessions, &StepUpService),
    headers: &HeaderMap,
    body: &[u8],
    shown: Factor,
) -> Result<Posted, Response> {
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
    let browser = forms.issuer.cookies.get(headers, csrf::COOKIE);
    if !forms.csrf.verify(browser, id, p.get("csrf")) {
        return Err(error_page(
            PageError::BadRequest("the form is stale; please try again".into()),
            req.locale,
        ));
    }
    let continue_url = format!("{}{CONTINUE_PATH}?req={id}", forms.issuer.url);
    let current = match sessions.current_session(headers).await {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Redirect::to(&continue_url).into_response()),
        Err(e) => return Err(server_error(e, req.locale)),
    };
    // A disabled account steps up to nothing; its sessions are ended by
    // the disabling, and the continue step decides again.
    let user = match step_up.store.user_by_id(current.session.user_id).await {
        Ok(Some(u)) if u.status == UserStatus::Active => u,
        Ok(_) => return Err(Redirect::to(&continue_url).into_response()),
        Err(e) => return Err(server_error(e, req.locale)),
    };
    let factors = match step_up.factors_of(&user).await {
        Ok(f) => f,
        Err(e) => return Err(server_error(e, req.locale)),
    };
    let others = forms.other_factors(&req, id, &factors, shown);
    Ok(Posted {
        p,
        req,
        current,
        user,
        factors,
        others,
    })
}

impl StepUpService {
    /// The second factors `user` can step up with here, strongest first.
    pub(crate) async fn factors_of(&self, user: &User) -> Result<Vec<Factor>, StorageError> {
        let mut factors = Vec::with_capacity(3);
        if self.forms.passkeys_offered() && !self.store.passkeys_of_user(user.id).await?.is_empty()
        {
            factors.push(Factor::Passkey);
        }
        if self
            .store
            .totp_of_user(user.id)
            .await?
            .is_some_and(|f| f.is_active())
        {
            factors.push(Factor::Totp);
        }
        if self.sms.is_some() && user.phone.is_some() && user.phone_verified {
            factors.push(Factor::Sms);
        }
        Ok(factors)
    }

    /// Shows the page of the factor the citizen chose (`req.step_up_factor`)
    /// if the account has it, else of its strongest one. `resend` asks the
    /// SMS factor for a new code.
    pub(crate) async fn step_up_start(
        &self,
        headers: &HeaderMap,
        req: &AuthRequest,
        id: &str,
        current: &Current,
        resend: bool,
    ) -> StepUp {
        let user = match self.store.user_by_id(current.session.user_id).await {
            Ok(Some(u)) => u,
            Ok(None) => return StepUp::Unavailable,
            Err(e) => return StepUp::Page(server_error(e, req.locale)),
        };
        let factors = match self.factors_of(&user).await {
            Ok(f) => f,
            Err(e) => return StepUp::Page(server_error(e, req.locale)),
        };
        let chosen = req
            .step_up_factor
            .as_deref()
            .and_then(Factor::parse)
            .filter(|f| factors.contains(f))
            .or_else(|| factors.first().copied());
        let Some(factor) = chosen else {
            return StepUp::Unavailable;
        };
        let others = self.forms.other_factors(req, id, &factors, factor);
        StepUp::Page(match factor {
            Factor::Passkey => self.forms.passkey_page(headers, req, id, others, None),
            Factor::Totp => self.forms.totp_page(headers, req, id, others, None),
            Factor::Sms => match self
                .sms_start(headers, req, id, &user, others, resend)
                .await
            {
                Some(page) => page,
                None => return StepUp::Unavailable,
            },
        })
    }
}

impl Forms {
    /// Links to the factors other than `shown`: each continues the request
    /// with that factor chosen (see `authorize::continue_get`).
    pub(crate) fn other_factors(
        &self,
        req: &AuthRequest,
        id: &str,
        factors: &[Factor],
        shown: Factor,
    ) -> Vec<(String, &'static str)> {
        let t = req.locale.texts();
        factors
            .iter()
            .filter(|f| **f != shown)
            .map(|f| {
                (
                    format!(
                        "{}{CONTINUE_PATH}?req={id}&factor={}",
                        self.issuer.url,
                        f.as_str()
                    ),
                    f.label(t),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_are_offered_strongest_first_and_read_back() {
        let mut v = vec![Factor::Sms, Factor::Passkey, Factor::Totp];
        v.sort();
        assert_eq!(v, [Factor::Passkey, Factor::Totp, Factor::Sms]);
        for f in v {
            assert_eq!(Factor::parse(f.as_str()), Some(f));
        }
        assert_eq!(Factor::parse("password"), None);
    }

    #[test]
    fn a_step_up_adds_the_factor_and_mfa_to_the_password() {
        let pwd = vec!["pwd".to_owned()];
        assert_eq!(stepped_up_amr(&pwd, &["otp"]), ["pwd", "otp", "mfa"]);
        assert_eq!(
            stepped_up_amr(&pwd, &["otp", "sms"]),
            ["pwd", "otp", "sms", "mfa"]
        );
        assert_eq!(
            stepped_up_amr(&pwd, &["swk", "user"]),
            ["pwd", "swk", "user", "mfa"]
        );
    }
}

//! Steps 3–5: proofing method, personal data as on the card, laser code and
//! the check against the proofing provider. The API sends all of it in one
//! call; the wizard saves method and personal data first, one page each.
//!
//! Failed checks count per enrollment and per citizen ID and lock at the
//! limit; "unavailable" answers count nothing. The laser code is used for the
//! call and dropped.

use pratu_core::audit::{AuditAction, Outcome};
use pratu_storage::records::{EnrollmentStep, PersonName};
use serde_json::json;

use super::Progress;
use crate::domain::{BirthDate, CitizenId, EnglishName, FirstDigits, LaserCode, ThaiName, Title};
use crate::proofing::{ProofingOutcome, ProofingRequest};
use crate::service::data::{PersonalData, ProofingRecord};
use crate::service::fields::FieldCode;
use crate::service::limits::keys;
use crate::service::{
    CITIZEN_ID_AAD, Context, EnrollmentAccess, EnrollmentError, EnrollmentService, FieldError,
    InvalidKind, retry_on_conflict,
};

/// The one method offered online.
pub const LASER_CODE: &str = "laser_code";
/// Methods a citizen may name that need a visit instead (cards without a
/// laser code, card readers).
const OFFLINE_METHODS: &[&str] = &["no_laser_code", "counter", "card_reader"];

/// Names and birth date as typed. Empty optional fields mean "not given".
#[derive(Debug, Clone, Default)]
pub struct PersonalInput {
    pub title: Option<String>,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub title_en: Option<String>,
    pub first_name_en: Option<String>,
    pub middle_name_en: Option<String>,
    pub last_name_en: Option<String>,
    /// `YYYY-MM-DD` (B.E. or C.E., `00` for unknown parts) or the other
    /// forms [`BirthDate::parse`] takes.
    pub birth_date: String,
}

#[derive(Debug, Clone, Default)]
pub struct IdentityInput {
    pub method: String,
    pub personal: PersonalInput,
    pub laser_code: String,
}

/// Parsed personal data: what is stored, plus the checked parts the
/// proofing call needs.
struct Personal {
    data: PersonalData,
    first: ThaiName,
    last: ThaiName,
    birth: BirthDate,
}

fn optional<T, E: FieldCode>(
    value: Option<&String>,
    field: &'static str,
    parse: impl Fn(&str) -> Result<T, E>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let v = value.map(|s| s.trim()).filter(|s| !s.is_empty())?;
    parse(v).map_err(|e| errors.push(e.on(field))).ok()
}

fn parse_personal(
    input: &PersonalInput,
    today: time::Date,
    errors: &mut Vec<FieldError>,
) -> Option<Personal> {
    let first = ThaiName::parse(&input.first_name).map_err(|e| errors.push(e.on("first_name")));
    let last = ThaiName::parse(&input.last_name).map_err(|e| errors.push(e.on("last_name")));
    let birth =
        BirthDate::parse(&input.birth_date, today).map_err(|e| errors.push(e.on("birth_date")));
    let title = optional(input.title.as_ref(), "title", Title::parse, errors);
    let middle = optional(
        input.middle_name.as_ref(),
        "middle_name",
        ThaiName::parse,
        errors,
    );
    let title_en = optional(
        input.title_en.as_ref(),
        "title_en",
        EnglishName::parse,
        errors,
    );
    let first_en = optional(
        input.first_name_en.as_ref(),
        "first_name_en",
        EnglishName::parse,
        errors,
    );
    let middle_en = optional(
        input.middle_name_en.as_ref(),
        "middle_name_en",
        EnglishName::parse,
        errors,
    );
    let last_en = optional(
        input.last_name_en.as_ref(),
        "last_name_en",
        EnglishName::parse,
        errors,
    );
    let (Ok(first), Ok(last), Ok(birth)) = (first, last, birth) else {
        return None;
    };
    if !errors.is_empty() {
        return None;
    }
    let title_en = title_en
        .map(EnglishName::into_string)
        .or_else(|| title.as_ref().and_then(Title::english).map(str::to_owned));
    let name = PersonName {
        title: title.map(|t| t.as_str().to_owned()),
        given_name: first.as_str().to_owned(),
        middle_name: middle.map(ThaiName::into_string),
        family_name: last.as_str().to_owned(),
        title_en,
        given_name_en: first_en.map(EnglishName::into_string),
        middle_name_en: middle_en.map(EnglishName::into_string),
        family_name_en: last_en.map(EnglishName::into_string),
    };
    Some(Personal {
        data: PersonalData {
            name,
            birth_date: birth.to_partial(),
        },
        first,
        last,
        birth,
    })
}

/// Rebuilds the checked parts from stored personal data (the wizard's laser
/// page, after the personal-data page saved them).
fn stored_personal(data: &PersonalData) -> Result<Personal, EnrollmentError> {
    let bad =
        |_| EnrollmentError::internal(std::io::Error::other("stored personal data is invalid"));
    Ok(Personal {
        first: ThaiName::parse(&data.name.given_name).map_err(|_| bad(()))?,
        last: ThaiName::parse(&data.name.family_name).map_err(|_| bad(()))?,
        birth: BirthDate::try_from(data.birth_date).map_err(|_| bad(()))?,
        data: data.clone(),
    })
}

fn check_method(method: &str) -> Result<(), EnrollmentError> {
    let m = method.trim();
    if m == LASER_CODE {
        Ok(())
    } else if OFFLINE_METHODS.contains(&m) {
        Err(EnrollmentError::ProofingMethodUnsupported)
    } else {
        Err(EnrollmentError::invalid(
            InvalidKind::Request,
            vec![FieldError::new(
                "method",
                "unknown",
                "the method must be laser_code",
            )],
        ))
    }
}

impl EnrollmentService {
    fn today(&self) -> time::Date {
        // Thai calendar day: a birth "today" in Bangkok is not in the future.
        self.clock.now().to_offset(time::macros::offset!(+7)).date()
    }

    /// Wizard step 3: the proofing method.
    #[tracing::instrument(name = "pratu.enrollment.method", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn choose_method(
        &self,
        _ctx: &Context,
        access: &EnrollmentAccess,
        method: &str,
    ) -> Result<Progress, EnrollmentError> {
        check_method(method)?;
        retry_on_conflict!(self.method_once(access).await)
    }

    async fn method_once(&self, access: &EnrollmentAccess) -> Result<Progress, EnrollmentError> {
        let (e, mut data) = self.load(access).await?;
        if e.step != EnrollmentStep::Identity {
            if e.step > EnrollmentStep::Identity && e.step != EnrollmentStep::Completed {
                return Ok(Progress { next: e.step });
            }
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        }
        if data.method.as_deref() == Some(LASER_CODE) {
            return Ok(Progress { next: e.step });
        }
        data.method = Some(LASER_CODE.to_owned());
        self.save(e, &data, EnrollmentStep::Identity).await?;
        Ok(Progress {
            next: EnrollmentStep::Identity,
        })
    }

    /// Wizard step 4: names and birth date, kept until the laser-code page.
    #[tracing::instrument(name = "pratu.enrollment.personal", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn save_personal(
        &self,
        _ctx: &Context,
        access: &EnrollmentAccess,
        input: &PersonalInput,
    ) -> Result<Progress, EnrollmentError> {
        let mut errors = Vec::new();
        let Some(personal) = parse_personal(input, self.today(), &mut errors) else {
            return Err(EnrollmentError::invalid(InvalidKind::Request, errors));
        };
        retry_on_conflict!(self.personal_once(access, &personal.data).await)
    }

    async fn personal_once(
        &self,
        access: &EnrollmentAccess,
        personal: &PersonalData,
    ) -> Result<Progress, EnrollmentError> {
        let (e, mut data) = self.load(access).await?;
        if e.step != EnrollmentStep::Identity || data.method.is_none() {
            if e.step > EnrollmentStep::Identity && data.personal.as_ref() == Some(personal) {
                return Ok(Progress { next: e.step });
            }
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        }
        if data.personal.as_ref() != Some(personal) {
            data.personal = Some(personal.clone());
            self.save(e, &data, EnrollmentStep::Identity).await?;
        }
        Ok(Progress {
            next: EnrollmentStep::Identity,
        })
    }

    /// API step: method, personal data and laser code at once, then the check.
    #[tracing::instrument(name = "pratu.enrollment.verify_identity", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn verify_identity(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        input: &IdentityInput,
    ) -> Result<Progress, EnrollmentError> {
        check_method(&input.method)?;
        let mut errors = Vec::new();
        let personal = parse_personal(&input.personal, self.today(), &mut errors);
        let laser =
            LaserCode::parse(&input.laser_code).map_err(|e| errors.push(e.on("laser_code")));
        let (Some(personal), Ok(laser)) = (personal, laser) else {
            return Err(EnrollmentError::invalid(InvalidKind::Request, errors));
        };
        retry_on_conflict!(self.verify_once(ctx, access, &personal, &laser).await)
    }

    /// Wizard step 5: the laser code, checked with the saved personal data.
    #[tracing::instrument(name = "pratu.enrollment.verify_laser_code", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn verify_laser_code(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        laser_code: &str,
    ) -> Result<Progress, EnrollmentError> {
        let laser = LaserCode::parse(laser_code).map_err(|e| {
            EnrollmentError::invalid(InvalidKind::Request, vec![e.on("laser_code")])
        })?;
        let (e, data) = self.load(access).await?;
        let Some(stored) = data.personal.as_ref() else {
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        };
        let personal = stored_personal(stored)?;
        retry_on_conflict!(self.verify_once(ctx, access, &personal, &laser).await)
    }

    async fn verify_once(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        personal: &Personal,
        laser: &LaserCode,
    ) -> Result<Progress, EnrollmentError> {
        let id = access.id;
        let (e, mut data) = self.load(access).await?;
        if e.step != EnrollmentStep::Identity {
            let same = data.proofing.is_some() && data.personal.as_ref() == Some(&personal.data);
            if e.step > EnrollmentStep::Identity && e.step != EnrollmentStep::Completed && same {
                return Ok(Progress { next: e.step });
            }
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        }
        let sealed = e
            .citizen_id
            .as_ref()
            .ok_or(EnrollmentError::StepOutOfOrder { current: e.step })?;
        let enr_key = format!("proof:enr:{id}");
        let cid_key = keys::proofing_per_citizen(&sealed.index);
        let (enr_rule, cid_rule) = (
            &self.limits.proofing_failures_per_enrollment,
            &self.limits.proofing_failures_per_citizen,
        );
        if self.limiter.is_locked(&enr_key).await? || self.limiter.is_locked(&cid_key).await? {
            return Err(EnrollmentError::TooManyAttempts {
                retry_after: Some(enr_rule.window_seconds.max(cid_rule.window_seconds)),
            });
        }
        if let Some(ip) = ctx.ip {
            let rule = &self.limits.proofing_per_ip;
            if !self.limiter.hit(rule, &keys::proofing_per_ip(ip)).await? {
                return Err(EnrollmentError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        let digits = self
            .pii
            .open(&sealed.ciphertext, CITIZEN_ID_AAD)
            .map_err(EnrollmentError::internal)?;
        let digits = std::str::from_utf8(&digits).map_err(EnrollmentError::internal)?;
        let any = FirstDigits::parse("0123456789").unwrap_or_default();
        let citizen_id = CitizenId::parse_with(digits, any).map_err(EnrollmentError::internal)?;
        let request = ProofingRequest {
            citizen_id,
            first_name: personal.first.clone(),
            last_name: personal.last.clone(),
            birth_date: personal.birth,
            laser_code: laser.clone(),
        };
        let provider = self.proofing.provider();
        match self.proofing.check(&request).await {
            ProofingOutcome::Verified { code } => {
                // Only now, with the card proofed, may the answer say that
                // this person already has a Digital ID (DESIGN.md step 2).
                if self
                    .store
                    .user_by_citizen_index(&sealed.index)
                    .await?
                    .is_some()
                {
                    self.audit_quietly(
                        ctx,
                        id,
                        AuditAction::EnrollmentCitizenIdTaken,
                        Outcome::Failure,
                        json!({"provider": provider}),
                    )
                    .await;
                    return Err(EnrollmentError::CitizenIdTaken);
                }
                data.personal = Some(personal.data.clone());
                data.method = Some(LASER_CODE.to_owned());
                data.proofing = Some(ProofingRecord {
                    provider: provider.to_owned(),
                    code: code.clone(),
                    verified_at: self.clock.now(),
                });
                self.save(e, &data, EnrollmentStep::Account).await?;
                self.audit_quietly(
                    ctx,
                    id,
                    AuditAction::EnrollmentIdentityVerified,
                    Outcome::Success,
                    json!({"provider": provider, "method": "dopa_laser", "code": code}),
                )
                .await;
                Ok(Progress {
                    next: EnrollmentStep::Account,
                })
            }
            ProofingOutcome::NotVerified { reason, code } => {
                let left_enr = self.limiter.failure(enr_rule, &enr_key).await?;
                let left_cid = self.limiter.failure(cid_rule, &cid_key).await?;
                let left = left_enr.min(left_cid);
                self.audit_quietly(
                    ctx,
                    id,
                    AuditAction::EnrollmentProofingFailed,
                    Outcome::Failure,
                    json!({
                        "provider": provider,
                        "code": code,
                        "reason": reason.as_str(),
                        "attempts_left": left,
                    }),
                )
                .await;
                if left == 0 {
                    self.audit_quietly(
                        ctx,
                        id,
                        AuditAction::EnrollmentProofingLocked,
                        Outcome::Locked,
                        json!({"provider": provider}),
                    )
                    .await;
                }
                tracing::info!(
                    event.kind = "security",
                    proofing.reason = reason.as_str(),
                    "identity not verified"
                );
                Err(EnrollmentError::IdentityNotVerified {
                    attempts_left: left,
                })
            }
            ProofingOutcome::Unavailable => {
                self.audit_quietly(
                    ctx,
                    id,
                    AuditAction::EnrollmentProofingUnavailable,
                    Outcome::Failure,
                    json!({"provider": provider}),
                )
                .await;
                Err(EnrollmentError::IdentityServiceUnavailable)
            }
        }
    }
}

//! What can go wrong in an enrollment step, in the service's terms. The JSON
//! API and the wizard each turn these into their own responses; the stable
//! `code` names live here so both agree.

use pratu_core::password::PasswordError;
use pratu_core::password::blocklist::BlockedPassword;
use pratu_storage::StorageError;

use crate::domain::PasswordPolicyError;
use pratu_storage::records::EnrollmentStep;

/// One refused input field. `code` is stable (`checksum`, `not_thai`, …);
/// `message` is plain English without the input's value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            code,
            message: message.into(),
        }
    }
}

/// Which kind of invalid input, for the problem's top-level `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    /// `invalid_request`.
    Request,
    /// `invalid_citizen_id`.
    CitizenId,
    /// `password_policy`.
    PasswordPolicy,
    /// `password_too_common`: on the list of the most common passwords.
    PasswordTooCommon,
    /// `password_contains_username`.
    PasswordContainsUsername,
}

impl InvalidKind {
    /// The kind a refused password is: the blocklist's refusals have codes
    /// of their own, since no policy setting explains them.
    pub fn password(e: PasswordPolicyError) -> Self {
        match e {
            PasswordPolicyError::Blocked(BlockedPassword::TooCommon) => Self::PasswordTooCommon,
            PasswordPolicyError::Blocked(BlockedPassword::ContainsUsername) => {
                Self::PasswordContainsUsername
            }
            _ => Self::PasswordPolicy,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollmentError {
    #[error("the request has invalid fields")]
    Invalid {
        kind: InvalidKind,
        errors: Vec<FieldError>,
    },
    #[error("the identity-proofing terms must be accepted")]
    TermsNotAccepted,
    #[error("the terms were updated; read and accept the current version")]
    TermsOutdated { current: String },
    #[error("this citizen ID already has a Digital ID")]
    CitizenIdTaken,
    #[error("the details could not be verified against the ID card registry")]
    IdentityNotVerified { attempts_left: u32 },
    #[error("the identity check service is unavailable; try again later")]
    IdentityServiceUnavailable,
    #[error("this proofing method is not available online")]
    ProofingMethodUnsupported,
    #[error("this username is taken")]
    UsernameTaken,
    #[error("the code is not correct")]
    OtpInvalid { attempts_left: u32 },
    #[error("the code has expired or was not requested; request a new one")]
    OtpExpired,
    #[error("too many attempts; try again later")]
    TooManyAttempts { retry_after: Option<u64> },
    #[error("the SMS could not be sent; try again later")]
    SmsUnavailable,
    #[error("this step is not available now")]
    StepOutOfOrder { current: EnrollmentStep },
    #[error("no such enrollment")]
    NotFound,
    /// The enrollment token is missing or is not this enrollment's.
    #[error("the enrollment token is missing or wrong")]
    InvalidToken,
    #[error("the enrollment has expired; start again")]
    Expired,
    #[error("the enrollment was changed at the same time; try again")]
    Conflict,
    /// Password hashing is saturated (its queue is full): retry shortly.
    #[error("the service is busy; try again in a moment")]
    Busy { retry_after: u64 },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl EnrollmentError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    pub fn invalid(kind: InvalidKind, errors: Vec<FieldError>) -> Self {
        Self::Invalid { kind, errors }
    }

    /// The stable problem `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid {
                kind: InvalidKind::Request,
                ..
            } => "invalid_request",
            Self::Invalid {
                kind: InvalidKind::CitizenId,
                ..
            } => "invalid_citizen_id",
            Self::Invalid {
                kind: InvalidKind::PasswordPolicy,
                ..
            } => "password_policy",
            Self::Invalid {
                kind: InvalidKind::PasswordTooCommon,
                ..
            } => "password_too_common",
            Self::Invalid {
                kind: InvalidKind::PasswordContainsUsername,
                ..
            } => "password_contains_username",
            Self::Busy { .. } => "temporarily_unavailable",
            Self::TermsNotAccepted => "terms_not_accepted",
            Self::TermsOutdated { .. } => "terms_outdated",
            Self::CitizenIdTaken => "citizen_id_taken",
            Self::IdentityNotVerified { .. } => "identity_not_verified",
            Self::IdentityServiceUnavailable => "identity_service_unavailable",
            Self::ProofingMethodUnsupported => "proofing_method_unsupported",
            Self::UsernameTaken => "username_taken",
            Self::OtpInvalid { .. } => "otp_invalid",
            Self::OtpExpired => "otp_expired",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::SmsUnavailable => "sms_unavailable",
            Self::StepOutOfOrder { .. } => "step_out_of_order",
            Self::NotFound => "enrollment_not_found",
            Self::InvalidToken => "invalid_enrollment_token",
            Self::Expired => "enrollment_expired",
            Self::Conflict => "conflict",
            Self::Internal(_) => "internal_error",
        }
    }
}

impl From<PasswordError> for EnrollmentError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Busy => Self::Busy {
                retry_after: pratu_core::password::BUSY_RETRY_AFTER_SECONDS,
            },
            other => Self::internal(other),
        }
    }
}

impl From<StorageError> for EnrollmentError {
    fn from(e: StorageError) -> Self {
        Self::internal(e)
    }
}

//! What can go wrong in a recovery step, in the service's terms. The JSON
//! API and the wizard each turn these into their own responses; the stable
//! `code` names live here so both agree.

use pratu_core::domain::PasswordPolicyError;
use pratu_core::password::PasswordError;
use pratu_core::password::blocklist::BlockedPassword;
use pratu_storage::StorageError;

use super::state::Stage;

/// One refused input field. `code` is stable; `message` is plain English
/// without the input's value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

/// Which kind of invalid input, for the problem's top-level `code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidKind {
    Request,
    CitizenId,
    PasswordPolicy,
    PasswordTooCommon,
    PasswordContainsUsername,
}

#[derive(Debug, thiserror::Error)]
pub enum RecoveryError {
    #[error("the request has invalid fields")]
    Invalid {
        kind: InvalidKind,
        errors: Vec<FieldError>,
    },
    /// Missing, wrong, unknown or expired: the same answer for each.
    #[error("the recovery token is missing or wrong, or the recovery has expired")]
    InvalidToken,
    #[error("the details could not be verified against the ID card registry")]
    IdentityNotVerified { attempts_left: u32 },
    #[error("the identity check service is unavailable; try again later")]
    IdentityServiceUnavailable,
    #[error("this proofing method is not available online")]
    ProofingMethodUnsupported,
    /// Told only after the card is proofed.
    #[error("this citizen ID has no Digital ID; enroll instead")]
    NoDigitalId,
    /// Told only after the card is proofed: an operator disabled it.
    #[error("this Digital ID is disabled; contact the service desk")]
    AccountDisabled,
    #[error("the code is not correct")]
    OtpInvalid { attempts_left: u32 },
    #[error("the code has expired or was not requested; request a new one")]
    OtpExpired,
    #[error("too many attempts; try again later")]
    TooManyAttempts { retry_after: Option<u64> },
    #[error("the SMS could not be sent; try again later")]
    SmsUnavailable,
    #[error("this step is not available now")]
    StepOutOfOrder { current: Stage },
    #[error("the service is busy; try again in a moment")]
    Busy { retry_after: u64 },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl RecoveryError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    pub fn invalid(kind: InvalidKind, errors: Vec<FieldError>) -> Self {
        Self::Invalid { kind, errors }
    }

    /// The stable problem `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { kind, .. } => match kind {
                InvalidKind::Request => "invalid_request",
                InvalidKind::CitizenId => "invalid_citizen_id",
                InvalidKind::PasswordPolicy => "password_policy",
                InvalidKind::PasswordTooCommon => "password_too_common",
                InvalidKind::PasswordContainsUsername => "password_contains_username",
            },
            Self::InvalidToken => "invalid_recovery_token",
            Self::IdentityNotVerified { .. } => "identity_not_verified",
            Self::IdentityServiceUnavailable => "identity_service_unavailable",
            Self::ProofingMethodUnsupported => "proofing_method_unsupported",
            Self::NoDigitalId => "no_digital_id",
            Self::AccountDisabled => "account_disabled",
            Self::OtpInvalid { .. } => "otp_invalid",
            Self::OtpExpired => "otp_expired",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::SmsUnavailable => "sms_unavailable",
            Self::StepOutOfOrder { .. } => "step_out_of_order",
            Self::Busy { .. } => "temporarily_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }
}

impl From<StorageError> for RecoveryError {
    fn from(e: StorageError) -> Self {
        Self::internal(e)
    }
}

impl From<PasswordError> for RecoveryError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Busy => Self::Busy {
                retry_after: pratu_core::password::BUSY_RETRY_AFTER_SECONDS,
            },
            other => Self::internal(other),
        }
    }
}

/// Domain parse errors as field errors, with the codes
/// `pratu_core::domain::FieldCode` gives them (the same as enrollment's).
pub(crate) trait FieldCode: pratu_core::domain::FieldCode {
    fn on(&self, field: &'static str) -> FieldError {
        FieldError {
            field,
            code: self.field_code(),
            message: self.to_string(),
        }
    }
}

impl<T: pratu_core::domain::FieldCode + ?Sized> FieldCode for T {}

/// The kind a refused password is: the blocklist's refusals have codes of
/// their own, since no policy setting explains them.
pub(crate) fn password_kind(e: PasswordPolicyError) -> InvalidKind {
    match e {
        PasswordPolicyError::Blocked(BlockedPassword::TooCommon) => InvalidKind::PasswordTooCommon,
        PasswordPolicyError::Blocked(BlockedPassword::ContainsUsername) => {
            InvalidKind::PasswordContainsUsername
        }
        _ => InvalidKind::PasswordPolicy,
    }
}

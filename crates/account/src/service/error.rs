//! The one error of the account operations. The JSON API maps it to
//! problem+json (`crate::api::error`), the portal to friendly pages; each
//! variant's [`AccountError::code`] is the stable code both show.

use pratu_core::domain::PasswordPolicyError;
use pratu_core::password::PasswordError;
use pratu_core::password::blocklist::BlockedPassword;
use pratu_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The account no longer exists or is disabled.
    #[error("the account is not available")]
    AccountGone,
    /// The current password given to re-authenticate is wrong.
    #[error("the password is wrong")]
    InvalidPassword,
    /// Too many re-authentications or codes; try again after this many
    /// seconds (when known).
    #[error("too many attempts")]
    TooManyAttempts { retry_after: Option<u64> },
    /// The new password does not meet the policy or is on the blocklist.
    #[error("{0}")]
    WeakPassword(PasswordPolicyError),
    /// Not a Thai mobile number.
    #[error("not a Thai mobile number: use 10 digits starting 06, 08 or 09")]
    InvalidPhone,
    /// The number given is already the account's.
    #[error("this number is already the account's mobile number")]
    PhoneUnchanged,
    /// A code was given but no phone change is pending.
    #[error("no phone change is pending; ask for a code first")]
    NoPhoneChange,
    /// A wrong (or malformed) code; this many guesses remain, when known.
    #[error("the code is wrong")]
    OtpInvalid { attempts_left: Option<u32> },
    /// The code expired or was used; ask for a new one.
    #[error("the code has expired; ask for a new one")]
    OtpExpired,
    /// The SMS gateway could not take the message.
    #[error("SMS cannot be sent now")]
    SmsUnavailable,
    /// The account already has an active authenticator app.
    #[error("an authenticator app is already set up; remove it first")]
    TotpAlreadyActive,
    /// A code was given but no authenticator app is being added.
    #[error("no authenticator app is being added; start again")]
    NoTotpPending,
    /// The account has no authenticator app.
    #[error("the account has no authenticator app")]
    NoTotp,
    /// No such client application.
    #[error("no such application")]
    AppNotFound,
    /// Passkeys need the issuer at a domain name (browsers refuse an IP
    /// address as the relying party).
    #[error("passkeys are not available on this service")]
    PasskeysUnsupported,
    /// The browser's passkey answer does not verify (or the authenticator
    /// registered the same credential already).
    #[error("the passkey was not accepted")]
    PasskeyRefused,
    /// The passkey registration expired or was finished already; start again.
    #[error("the passkey registration has expired; start again")]
    PasskeyExpired,
    /// The account has no such passkey.
    #[error("no such passkey")]
    PasskeyNotFound,
    /// A passkey's name is empty, too long or has control characters.
    #[error("give the passkey a name of at most 64 characters")]
    InvalidPasskeyName,
    /// The account has as many passkeys as it may.
    #[error("the account has as many passkeys as it may; remove one first")]
    TooManyPasskeys,
    /// Password hashing is saturated; retry after a second.
    #[error("busy; try again shortly")]
    Busy,
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AccountError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    /// The stable code (problem `code`, page message key).
    pub fn code(&self) -> &'static str {
        match self {
            Self::AccountGone => "invalid_token",
            Self::InvalidPassword => "invalid_password",
            Self::TooManyAttempts { .. } => "too_many_attempts",
            Self::WeakPassword(PasswordPolicyError::Blocked(BlockedPassword::TooCommon)) => {
                "password_too_common"
            }
            Self::WeakPassword(PasswordPolicyError::Blocked(BlockedPassword::ContainsUsername)) => {
                "password_contains_username"
            }
            Self::WeakPassword(_) => "password_policy",
            Self::InvalidPhone => "invalid_phone",
            Self::PhoneUnchanged => "phone_unchanged",
            Self::NoPhoneChange => "no_phone_change",
            Self::OtpInvalid { .. } => "otp_invalid",
            Self::OtpExpired => "otp_expired",
            Self::SmsUnavailable => "sms_unavailable",
            Self::TotpAlreadyActive => "totp_already_active",
            Self::NoTotpPending => "no_totp_pending",
            Self::NoTotp => "no_totp",
            Self::AppNotFound => "app_not_found",
            Self::PasskeysUnsupported => "passkeys_unsupported",
            Self::PasskeyRefused => "passkey_refused",
            Self::PasskeyExpired => "passkey_expired",
            Self::PasskeyNotFound => "passkey_not_found",
            Self::InvalidPasskeyName => "invalid_passkey_name",
            Self::TooManyPasskeys => "too_many_passkeys",
            Self::Busy => "temporarily_unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<StorageError> for AccountError {
    fn from(e: StorageError) -> Self {
        Self::internal(e)
    }
}

impl From<PasswordError> for AccountError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Busy => Self::Busy,
            other => Self::internal(other),
        }
    }
}

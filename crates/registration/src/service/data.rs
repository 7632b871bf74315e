//! What an enrollment remembers between steps: the JSON kept in
//! `Enrollment.data` (the citizen ID itself is in the record's sealed
//! columns). Never holds the laser code, an OTP or a clear password.

use pratu_storage::records::{PartialDate, PersonName};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct EnrollmentData {
    pub consent: Option<ConsentRecord>,
    /// `1-2345-xxxxx-xx-1`, for review pages without decrypting.
    pub citizen_id_masked: Option<String>,
    /// The chosen proofing method (`laser_code`).
    pub method: Option<String>,
    /// Names and birth date as entered (and, once `proofing` is set, as
    /// verified).
    pub personal: Option<PersonalData>,
    pub proofing: Option<ProofingRecord>,
    pub account: Option<AccountData>,
    pub phone: Option<PhoneData>,
    /// `th` or `en`: the language the citizen used.
    pub locale: Option<String>,
}

/// PDPA consent: which text, when, through which channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ConsentRecord {
    pub terms_version: String,
    pub text_sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// `web` or `api`.
    pub channel: String,
    pub language: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PersonalData {
    pub name: PersonName,
    pub birth_date: PartialDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProofingRecord {
    pub provider: String,
    pub code: String,
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AccountData {
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for AccountData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountData")
            .field("username", &self.username)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PhoneData {
    /// E.164; the number a code was last sent to, or the verified one.
    pub e164: String,
    pub verified: bool,
}

impl EnrollmentData {
    pub fn from_json(value: &serde_json::Value) -> Result<Self, serde_json::Error> {
        if value.is_null() {
            return Ok(Self::default());
        }
        serde_json::from_value(value.clone())
    }

    pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

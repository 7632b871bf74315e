//! The account as its owner sees it: personal data masked.
//!
//! Masks: the citizen ID as everywhere on screen, `1-2345-xxxxx-xx-1`
//! (first digit, the four of the province/district office, the check
//! digit; DOMAIN.md §7), the phone as `08x-xxx-5678` (the last four digits
//! tell the owner which of their numbers it is).

use pratu_core::domain::{CitizenId, ThaiMobile};
use pratu_storage::records::User;
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AccountError, AccountService, CITIZEN_ID_AAD, Result};

/// `GET /api/v1/account`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Profile {
    pub user_id: Uuid,
    pub username: String,
    /// `1-2345-xxxxx-xx-1`; `null` for an account without a citizen ID
    /// (staff).
    #[schema(example = "1-2345-xxxxx-xx-1")]
    pub citizen_id_masked: Option<String>,
    /// `08x-xxx-5678`; `null` without a phone.
    #[schema(example = "08x-xxx-5678")]
    pub phone_masked: Option<String>,
    pub given_name: String,
    pub family_name: String,
    /// Identity assurance of the proofing (`2.1`…); `null` when not
    /// proofed.
    pub ial: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
}

/// `1-2345-xxxxx-xx-1` of 13 digits; a value that is not a valid citizen
/// ID (which the store never holds) is masked whole.
pub fn mask_citizen_id(digits: &str) -> String {
    CitizenId::parse(digits).map_or_else(|_| "x-xxxx-xxxxx-xx-x".to_owned(), |c| c.masked())
}

/// `08x-xxx-5678` of an E.164 Thai mobile number; anything else masked
/// whole.
pub fn mask_phone(e164: &str) -> String {
    ThaiMobile::parse(e164).map_or_else(|_| "xxx-xxx-xxxx".to_owned(), |m| m.masked())
}

impl AccountService {
    /// The account's profile, personal data masked.
    pub async fn profile(&self, user_id: Uuid) -> Result<Profile> {
        let user = self.active_user(user_id).await?;
        let citizen = self.citizen_id(&user)?;
        Ok(Profile {
            user_id: user.id,
            citizen_id_masked: citizen.as_deref().map(mask_citizen_id),
            phone_masked: user.phone.as_deref().map(mask_phone),
            given_name: user.name.given_name,
            family_name: user.name.family_name,
            ial: user.proofing.map(|p| p.ial),
            created_at: user.created_at,
            username: user.username,
        })
    }

    /// The account's citizen ID in clear (for masking or the owner's
    /// export only; never logged).
    pub(crate) fn citizen_id(&self, user: &User) -> Result<Option<String>> {
        let Some(sealed) = &user.citizen_id else {
            return Ok(None);
        };
        let opened = self
            .pii
            .open(&sealed.ciphertext, CITIZEN_ID_AAD)
            .map_err(AccountError::internal)?;
        let digits = String::from_utf8(opened.to_vec()).map_err(AccountError::internal)?;
        Ok(Some(digits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_citizen_id_shows_first_office_and_check_digits_only() {
        assert_eq!(mask_citizen_id("1101700207030"), "1-1017-xxxxx-xx-0");
        assert_eq!(mask_citizen_id("not an id"), "x-xxxx-xxxxx-xx-x");
    }

    #[test]
    fn the_phone_shows_its_prefix_and_last_four_digits() {
        assert_eq!(mask_phone("+66812345678"), "08x-xxx-5678");
        assert_eq!(mask_phone("+4420"), "xxx-xxx-xxxx");
    }
}

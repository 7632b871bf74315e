//! The identity-proofing port: does a valid card exist with this citizen
//! ID, laser code, Thai name and birth date? Enrollment proves a card with
//! it, and recovery proves the card again, so the port lives here and the
//! adapters (the CSV registry file, the DOPA SOAP client) in
//! `pratu-registration`, as for the SMS port.
//!
//! The answer distinguishes "not verified" (counts against the citizen's
//! attempts) from "unavailable" (the provider could not answer: never
//! counted, never a verified identity).

use async_trait::async_trait;

use crate::domain::{BirthDate, CitizenId, LaserCode, ThaiName};

/// What is checked: DOPA's five inputs, names without prefix or middle name.
#[derive(Debug, Clone)]
pub struct ProofingRequest {
    pub citizen_id: CitizenId,
    pub first_name: ThaiName,
    pub last_name: ThaiName,
    pub birth_date: BirthDate,
    pub laser_code: LaserCode,
}

/// Why a check said no (DOMAIN.md §3 codes 2, 4, 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotVerifiedReason {
    /// No card with this laser code for this citizen ID.
    NotFound,
    /// The name or birth date differs from the card's.
    Mismatch,
    /// The card exists but is no longer valid (expired, replaced).
    CardInactive,
    /// The provider says an input was missing.
    MissingField,
}

impl NotVerifiedReason {
    /// Stable name for audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "not_found",
            Self::Mismatch => "mismatch",
            Self::CardInactive => "card_inactive",
            Self::MissingField => "missing_field",
        }
    }
}

/// The provider's answer. `code` is the provider's own result code (`"0"`
/// for DOPA's valid), kept on the account; descriptions never leave the
/// adapter except to support logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofingOutcome {
    Verified {
        code: String,
    },
    NotVerified {
        reason: NotVerifiedReason,
        code: String,
    },
    /// Transport error, timeout, SOAP fault, unreadable answer.
    Unavailable,
}

#[async_trait]
pub trait IdentityProofing: Send + Sync + std::fmt::Debug {
    /// Recorded on the account as the proofing provider
    /// (`"registry_file"`, `"dopa"`).
    fn provider(&self) -> &'static str;
    async fn check(&self, request: &ProofingRequest) -> ProofingOutcome;
}

//! Identity proofing: does a valid card exist with this citizen ID, laser
//! code, Thai name and birth date? The port is [`IdentityProofing`]; the
//! adapters are the CSV [`registry_file`] (default, fictional citizens) and
//! the [`dopa`] SOAP client.
//!
//! The answer distinguishes "not verified" (counts against the citizen's
//! attempts) from "unavailable" (the provider could not answer: never
//! counted, never a verified identity).

use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{ConfigError, ProofingConfig, ProofingProvider};
use crate::domain::{BirthDate, CitizenId, LaserCode, ThaiName};

pub mod dopa;
pub mod registry_file;

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

#[derive(Debug, thiserror::Error)]
pub enum BuildProofingError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot load the proofing registry file")]
    Registry(#[from] registry_file::RegistryError),
    #[error("cannot build the DOPA client")]
    Dopa(#[from] dopa::DopaBuildError),
}

/// Builds the configured provider.
pub fn build_proofing(
    config: &ProofingConfig,
) -> Result<Arc<dyn IdentityProofing>, BuildProofingError> {
    config.validate()?;
    Ok(match config.provider {
        ProofingProvider::RegistryFile => {
            Arc::new(registry_file::RegistryFile::load(&config.registry_file)?)
        }
        ProofingProvider::Dopa => Arc::new(dopa::DopaClient::new(&config.dopa)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_provider_is_the_shipped_dev_registry() {
        let config = ProofingConfig {
            registry_file: std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../config/dev-registry.csv"),
            ..Default::default()
        };
        assert_eq!(build_proofing(&config).unwrap().provider(), "registry_file");
        let missing = ProofingConfig {
            registry_file: "/nonexistent.csv".into(),
            ..Default::default()
        };
        assert!(matches!(
            build_proofing(&missing),
            Err(BuildProofingError::Registry(_))
        ));
        let dopa = ProofingConfig {
            provider: ProofingProvider::Dopa,
            ..Default::default()
        };
        assert_eq!(build_proofing(&dopa).unwrap().provider(), "dopa");
    }
}

//! Identity-proofing adapters: the CSV [`registry_file`] (default,
//! fictional citizens) and the [`dopa`] SOAP client, for the port
//! [`IdentityProofing`] in `pratu-core` (recovery proves a card too).

use std::sync::Arc;

use crate::config::{ConfigError, ProofingConfig, ProofingProvider};

pub mod dopa;
pub mod registry_file;

pub use pratu_core::proofing::{
    IdentityProofing, NotVerifiedReason, ProofingOutcome, ProofingRequest,
};

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

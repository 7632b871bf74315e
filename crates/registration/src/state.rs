//! The state this crate's routes need, and how the server builds it.

use std::sync::Arc;

use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::password::PasswordHasher;
use pratu_storage::pii::{BlindIndex, PiiCipher};
use pratu_storage::ports::SmsSender;
use pratu_storage::{Clock, Store};

use crate::config::{EnrollmentConfig, LimitsConfig, OtpConfig, ProofingConfig};
use crate::proofing::IdentityProofing;
use crate::service::{Assurance, EnrollmentService, ServiceDeps};

/// What the server hands over to build [`RegistrationState`].
#[derive(Debug, Clone)]
pub struct RegistrationDeps {
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    /// From [`crate::proofing::build_proofing`].
    pub proofing: Arc<dyn IdentityProofing>,
    /// From [`crate::sms::build_sms`].
    pub sms: Arc<dyn SmsSender>,
    /// Argon2id at the configured cost (tests pass cheap parameters).
    pub hasher: PasswordHasher,
    /// Seals citizen IDs (aad `b"citizen_id"`).
    pub pii: PiiCipher,
    /// Indexes citizen IDs (domain `"citizen_id"`).
    pub blind_index: BlindIndex,
    pub proofing_config: ProofingConfig,
    pub enrollment: EnrollmentConfig,
    pub otp: OtpConfig,
    pub limits: LimitsConfig,
    /// Key of the wizard's CSRF tokens (at least 32 bytes; the same on every
    /// node).
    pub csrf_key: Vec<u8>,
    /// `Secure` on cookies; false only for a loopback `http://` issuer.
    pub secure_cookies: bool,
}

/// Cheap to clone: one `Arc`.
#[derive(Debug, Clone)]
pub struct RegistrationState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    service: EnrollmentService,
    csrf_key: zeroize::Zeroizing<Vec<u8>>,
    secure_cookies: bool,
}

impl RegistrationState {
    pub fn new(deps: RegistrationDeps) -> Self {
        let service = EnrollmentService::new(ServiceDeps {
            store: deps.store,
            ephemeral: deps.ephemeral,
            clock: deps.clock,
            proofing: deps.proofing,
            sms: deps.sms,
            hasher: deps.hasher,
            pii: deps.pii,
            blind_index: deps.blind_index,
            assurance: Assurance::from(&deps.proofing_config),
            enrollment: deps.enrollment,
            otp: deps.otp,
            limits: deps.limits,
        });
        Self {
            inner: Arc::new(Inner {
                service,
                csrf_key: zeroize::Zeroizing::new(deps.csrf_key),
                secure_cookies: deps.secure_cookies,
            }),
        }
    }

    pub fn service(&self) -> &EnrollmentService {
        &self.inner.service
    }

    pub fn csrf_key(&self) -> &[u8] {
        &self.inner.csrf_key
    }

    pub fn secure_cookies(&self) -> bool {
        self.inner.secure_cookies
    }
}

//! The state this crate's routes need, and how the server builds it.

use std::sync::Arc;

use pratu_core::Random;
use pratu_core::password::PasswordHasher;
use pratu_core::pii::{BlindIndex, PiiCipher, SecretKey};
use pratu_core::random::SharedRandom;
use pratu_core::sms::SmsSender;
use pratu_core::web::{CookiePolicy, Csrf};
use pratu_storage::ephemeral::EphemeralStore;
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
    /// Draws OTPs, CSRF cookie values and the enrollment tokens.
    pub random: SharedRandom,
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
    /// Key of the wizard's CSRF tokens (the same on every node).
    pub csrf_key: SecretKey,
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
    csrf: Csrf,
    cookies: CookiePolicy,
    random: SharedRandom,
}

impl RegistrationState {
    pub fn new(deps: RegistrationDeps) -> Self {
        let service = EnrollmentService::new(ServiceDeps {
            store: deps.store,
            ephemeral: deps.ephemeral,
            clock: deps.clock,
            random: deps.random.clone(),
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
                csrf: Csrf::new(deps.csrf_key),
                cookies: CookiePolicy {
                    secure: deps.secure_cookies,
                },
                random: deps.random,
            }),
        }
    }

    pub fn service(&self) -> &EnrollmentService {
        &self.inner.service
    }

    pub(crate) fn csrf(&self) -> &Csrf {
        &self.inner.csrf
    }

    pub(crate) fn cookies(&self) -> CookiePolicy {
        self.inner.cookies
    }

    pub(crate) fn random(&self) -> &dyn Random {
        &*self.inner.random
    }
}

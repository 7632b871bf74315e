//! The enrollment state machine (DESIGN.md "Enrollment"). Each public
//! method is one step; it reloads the persisted enrollment, checks that the
//! step may run now (`step_out_of_order` otherwise), and writes with an
//! optimistic version check. Repeating a step that already succeeded with the
//! same input answers as before without writing (reloads, double submits).
//!
//! Both the JSON API and the HTML wizard call this service; neither touches
//! storage directly.

use std::net::IpAddr;
use std::sync::Arc;

use pratu_core::audit::Auditor;
use pratu_core::otp::OtpService;
use pratu_core::password::PasswordHasher;
use pratu_core::pii::{BlindIndex, PiiCipher};
use pratu_core::random::SharedRandom;
use pratu_core::sms::SmsSender;
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::records::{Enrollment, EnrollmentStep};
use pratu_storage::{Clock, StorageError, Store};

use crate::config::{EnrollmentConfig, LimitsConfig, OtpConfig, ProofingConfig};
use crate::proofing::IdentityProofing;

mod audit;
mod data;
mod error;
mod fields;
pub(crate) mod limits;
mod steps;
mod token;

pub(crate) use data::EnrollmentData;
pub use error::{EnrollmentError, FieldError, InvalidKind};
pub use steps::{
    Confirmed, IdentityInput, OtpSent, PendingPhone, PersonalInput, Progress, Review,
    ReviewConsent, ReviewPersonal, StartInput, Started,
};
pub use token::{EnrollmentAccess, EnrollmentToken};

use limits::Limiter;

/// Associated data for sealing citizen IDs; the blind-index domain.
pub const CITIZEN_ID_AAD: &[u8] = b"citizen_id";
pub const CITIZEN_ID_INDEX_DOMAIN: &str = "citizen_id";

/// Where a request came from: for per-IP limits and audit correlation.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub ip: Option<IpAddr>,
    pub request_id: Option<String>,
    /// `web` or `api`, recorded with the consent.
    pub channel: &'static str,
}

/// The deployment's assurance labels recorded on proofed accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assurance {
    pub ial: String,
    pub trust_framework: String,
}

impl From<&ProofingConfig> for Assurance {
    fn from(c: &ProofingConfig) -> Self {
        Self {
            ial: c.ial.clone(),
            trust_framework: c.trust_framework.clone(),
        }
    }
}

/// Everything the service needs; the server builds it once.
#[derive(Debug, Clone)]
pub struct ServiceDeps {
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    pub proofing: Arc<dyn IdentityProofing>,
    pub sms: Arc<dyn SmsSender>,
    pub hasher: PasswordHasher,
    pub pii: PiiCipher,
    pub blind_index: BlindIndex,
    pub enrollment: EnrollmentConfig,
    pub otp: OtpConfig,
    pub limits: LimitsConfig,
    pub assurance: Assurance,
}

#[derive(Debug)]
pub struct EnrollmentService {
    store: Arc<dyn Store>,
    random: SharedRandom,
    clock: Arc<dyn Clock>,
    proofing: Arc<dyn IdentityProofing>,
    sms: Arc<dyn SmsSender>,
    hasher: PasswordHasher,
    pii: PiiCipher,
    blind_index: BlindIndex,
    otp: OtpService,
    auditor: Auditor,
    limiter: Limiter,
    config: EnrollmentConfig,
    otp_config: OtpConfig,
    limits: LimitsConfig,
    assurance: Assurance,
}

/// Attempts of a step when another request changed the enrollment first.
const CONFLICT_RETRIES: usize = 3;

impl EnrollmentService {
    pub fn new(deps: ServiceDeps) -> Self {
        Self {
            otp: OtpService::new(
                deps.ephemeral.clone(),
                deps.clock.clone(),
                deps.random.clone(),
                deps.otp.policy(),
            ),
            auditor: Auditor::new(deps.store.clone(), deps.clock.clone()),
            limiter: Limiter::new(deps.ephemeral),
            store: deps.store,
            random: deps.random,
            clock: deps.clock,
            proofing: deps.proofing,
            sms: deps.sms,
            hasher: deps.hasher,
            pii: deps.pii,
            blind_index: deps.blind_index,
            config: deps.enrollment,
            otp_config: deps.otp,
            limits: deps.limits,
            assurance: deps.assurance,
        }
    }

    pub fn config(&self) -> &EnrollmentConfig {
        &self.config
    }

    pub fn otp_config(&self) -> &OtpConfig {
        &self.otp_config
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Reads an enrollment for whoever holds its token (`InvalidToken`
    /// otherwise, before anything about it is looked at); unfinished ones
    /// past their expiry are refused.
    async fn load(
        &self,
        access: &EnrollmentAccess,
    ) -> Result<(Enrollment, EnrollmentData), EnrollmentError> {
        let e = self
            .store
            .enrollment_by_id(access.id)
            .await?
            .ok_or(EnrollmentError::NotFound)?;
        if !access.token.fits(&e.token_digest) {
            tracing::info!(
                event.kind = "security",
                enrollment.id = %access.id,
                "enrollment token refused"
            );
            return Err(EnrollmentError::InvalidToken);
        }
        if e.step != EnrollmentStep::Completed && self.clock.now() >= e.expires_at {
            return Err(EnrollmentError::Expired);
        }
        let data = EnrollmentData::from_json(&e.data).map_err(EnrollmentError::internal)?;
        Ok((e, data))
    }

    /// Writes `data` and `step` if nobody changed the enrollment since it was
    /// read (`Conflict` otherwise).
    async fn save(
        &self,
        mut e: Enrollment,
        data: &EnrollmentData,
        step: EnrollmentStep,
    ) -> Result<Enrollment, EnrollmentError> {
        e.data = data.to_json().map_err(EnrollmentError::internal)?;
        e.step = step;
        e.version += 1;
        e.updated_at = self.clock.now();
        match self.store.update_enrollment(&e).await {
            Ok(()) => Ok(e),
            Err(StorageError::Conflict { .. }) => Err(EnrollmentError::Conflict),
            Err(StorageError::NotFound { .. }) => Err(EnrollmentError::NotFound),
            Err(other) => Err(other.into()),
        }
    }

    /// Deletes unfinished enrollments past their expiry (PDPA: they are not
    /// kept). For the server's periodic maintenance; returns how many.
    pub async fn purge_expired(&self) -> Result<u64, EnrollmentError> {
        Ok(self
            .store
            .delete_expired_enrollments(self.clock.now())
            .await?)
    }

    fn citizen_index(&self, digits: &str) -> Vec<u8> {
        self.blind_index
            .compute(CITIZEN_ID_INDEX_DOMAIN, digits.as_bytes())
    }
}

/// Re-runs a step while it loses optimistic-concurrency races; every step is
/// idempotent, so the re-run sees the winner's write and answers from it.
macro_rules! retry_on_conflict {
    ($body:expr) => {{
        let mut last = Err($crate::service::EnrollmentError::Conflict);
        for _ in 0..$crate::service::CONFLICT_RETRIES {
            last = $body;
            if !matches!(last, Err($crate::service::EnrollmentError::Conflict)) {
                break;
            }
        }
        last
    }};
}
pub(crate) use retry_on_conflict;

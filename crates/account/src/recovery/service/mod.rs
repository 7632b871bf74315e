//! The recovery service: one public method per step (one module each:
//! `identity`, `code`, `password`; the start is here). Each reloads the
//! recovery, checks its token (in constant time, before anything else
//! about it is looked at) and that the step may run now, and writes the
//! state back. Both the JSON API and the wizard call it.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::access::ProviderAccess;
use pratu_core::audit::{AuditAction, Auditor, Entry, Outcome};
use pratu_core::domain::{CitizenId, ThaiMobile};
use pratu_core::limits::{Limiter, keys};
use pratu_core::otp::OtpService;
use pratu_core::web::RequestContext;
use pratu_storage::records::{User, UserStatus};
use uuid::Uuid;

use super::error::{FieldCode, InvalidKind, RecoveryError};
use super::state::{Recovery, Stage, Step, key};
use super::token::{RecoveryAccess, RecoveryToken};
use crate::state::AccountState;

mod code;
mod identity;
mod password;

pub use password::Recovered;

/// Associated data of sealed citizen IDs and the blind-index domain, as
/// enrollment writes them.
const CITIZEN_ID_AAD: &[u8] = b"citizen_id";
const CITIZEN_ID_INDEX_DOMAIN: &str = "citizen_id";
/// The one proofing method available online.
const LASER_CODE: &str = "laser_code";
const OFFLINE_METHODS: &[&str] = &["no_laser_code", "counter", "card_reader"];

/// The recovery exists; `token` is the one credential that continues it.
#[derive(Debug, Clone)]
pub struct Started {
    pub id: Uuid,
    pub token: RecoveryToken,
}

/// The card's details as on the enrollment's identity step.
#[derive(Debug, Clone, Default)]
pub struct IdentityInput {
    pub method: String,
    pub first_name: String,
    pub last_name: String,
    /// `YYYY-MM-DD` (B.E. or C.E., `00` for unknown parts).
    pub birth_date: String,
    pub laser_code: String,
}

/// The card is proofed and the account found.
#[derive(Debug, Clone)]
pub struct Proofed {
    /// The registered phone, masked (`08x-xxx-5678`), if the account has one.
    pub phone_masked: Option<String>,
    /// The code sent to it, when asked to send one at once.
    pub sent: Option<CodeSent>,
}

/// A code went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSent {
    pub reference: String,
    pub expires_in: u64,
    pub resend_in: u64,
    pub phone_masked: String,
}

/// Where a code goes.
#[derive(Debug, Clone)]
pub enum Destination {
    Registered,
    /// The phone is lost: a new number, which becomes the account's once
    /// its code is verified.
    New(String),
}

/// What a page shows about a recovery (after the token check).
#[derive(Debug, Clone)]
pub struct Status {
    pub stage: Stage,
    pub registered_phone_masked: Option<String>,
    pub code_to_masked: Option<String>,
    pub code_to_new_number: bool,
    pub reference: Option<String>,
    pub username: Option<String>,
}

#[derive(Debug)]
pub struct RecoveryService {
    state: AccountState,
    otp: OtpService,
    limiter: Limiter,
    auditor: Auditor,
}

fn seconds_until(now: time::OffsetDateTime, then: time::OffsetDateTime) -> u64 {
    (then - now).whole_seconds().max(0).unsigned_abs()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn masked(e164: &str) -> Option<String> {
    ThaiMobile::parse(e164).ok().map(|m| m.masked())
}

impl RecoveryService {
    pub fn new(state: &AccountState) -> Self {
        let d = state.deps();
        Self {
            otp: OtpService::new(
                d.ephemeral.clone(),
                d.clock.clone(),
                d.random.clone(),
                d.otp,
            ),
            limiter: Limiter::new(d.ephemeral.clone()),
            auditor: Auditor::new(d.store.clone(), d.clock.clone()),
            state: state.clone(),
        }
    }

    fn provider(&self) -> &Arc<dyn ProviderAccess> {
        &self.state.deps().provider
    }

    fn now(&self) -> time::OffsetDateTime {
        self.state.deps().clock.now()
    }

    async fn audit(
        &self,
        ctx: &RequestContext,
        actor: String,
        target: String,
        action: AuditAction,
        outcome: Outcome,
        details: serde_json::Value,
    ) {
        let entry = Entry::new(actor, action, outcome)
            .target(target)
            .request_id(ctx.request_id.clone())
            .details(details);
        self.auditor.record(entry).await;
    }

    /// Step 1: the citizen ID. Whether it has a Digital ID is not looked
    /// at: an enrolled and an unenrolled ID get the same answer after the
    /// same work (one counter, one seal, one write).
    #[tracing::instrument(name = "pratu.recovery.start", skip_all, err(Display))]
    pub async fn start(
        &self,
        ctx: &RequestContext,
        citizen_id: &str,
    ) -> Result<Started, RecoveryError> {
        let d = self.state.deps();
        let policy = &d.recovery;
        let cid = CitizenId::parse_with(citizen_id, policy.first_digits).map_err(|e| {
            RecoveryError::invalid(InvalidKind::CitizenId, vec![e.on("citizen_id")])
        })?;
        if let Some(ip) = ctx.ip {
            let rule = &policy.citizen_id_per_ip;
            if !self.limiter.hit(rule, &keys::citizen_id_per_ip(ip)).await? {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        let token = RecoveryToken::generate(&*d.random);
        let id = Uuid::new_v4();
        let ttl = d.config.recovery_ttl_seconds;
        let recovery = Recovery {
            token_digest: B64.encode(token.digest()),
            citizen_sealed: B64.encode(d.pii.seal(cid.expose_digits().as_bytes(), CITIZEN_ID_AAD)),
            citizen_index: hex(&d
                .blind_index
                .compute(CITIZEN_ID_INDEX_DOMAIN, cid.expose_digits().as_bytes())),
            stage: Stage::Identity,
            user_id: None,
            code_to: None,
            expires_at: self.now().unix_timestamp() + i64::try_from(ttl).unwrap_or(1800),
        };
        let bytes = recovery.to_bytes().map_err(RecoveryError::internal)?;
        d.ephemeral
            .put(&key(id), &bytes, std::time::Duration::from_secs(ttl))
            .await?;
        Ok(Started { id, token })
    }

    /// Reads a recovery for whoever holds its token. Unknown, expired and
    /// wrong-token recoveries are one answer, `InvalidToken`.
    async fn load(&self, access: &RecoveryAccess) -> Result<Recovery, RecoveryError> {
        let d = self.state.deps();
        let Some(bytes) = d.ephemeral.get(&key(access.id)).await? else {
            return Err(RecoveryError::InvalidToken);
        };
        let r = Recovery::from_bytes(&bytes).map_err(RecoveryError::internal)?;
        let digest = B64.decode(&r.token_digest).unwrap_or_default();
        if !access.token.fits(&digest) {
            tracing::info!(
                event.kind = "security",
                recovery.id = %access.id,
                "recovery token refused"
            );
            return Err(RecoveryError::InvalidToken);
        }
        if self.now().unix_timestamp() >= r.expires_at {
            return Err(RecoveryError::InvalidToken);
        }
        Ok(r)
    }

    /// Checks the token of `access` (and that the recovery is live).
    pub async fn authorize(&self, access: &RecoveryAccess) -> Result<(), RecoveryError> {
        self.load(access).await.map(|_| ())
    }

    async fn save(&self, id: Uuid, r: &Recovery) -> Result<(), RecoveryError> {
        let left = r.expires_at - self.now().unix_timestamp();
        let ttl = std::time::Duration::from_secs(left.max(1).unsigned_abs());
        let bytes = r.to_bytes().map_err(RecoveryError::internal)?;
        self.state
            .deps()
            .ephemeral
            .put(&key(id), &bytes, ttl)
            .await?;
        Ok(())
    }

    fn require(r: &Recovery, step: Step) -> Result<(), RecoveryError> {
        if r.allows(step) {
            Ok(())
        } else {
            Err(RecoveryError::StepOutOfOrder { current: r.stage })
        }
    }

    async fn user(&self, r: &Recovery) -> Result<User, RecoveryError> {
        let id = r
            .user_id
            .ok_or(RecoveryError::StepOutOfOrder { current: r.stage })?;
        let user = self
            .state
            .deps()
            .store
            .user_by_id(id)
            .await?
            .ok_or(RecoveryError::NoDigitalId)?;
        if user.status != UserStatus::Active {
            return Err(RecoveryError::AccountDisabled);
        }
        Ok(user)
    }

    /// What the wizard's pages show.
    pub async fn status(&self, access: &RecoveryAccess) -> Result<Status, RecoveryError> {
        let r = self.load(access).await?;
        let user = match r.user_id {
            Some(_) => Some(self.user(&r).await?),
            None => None,
        };
        let reference = match &r.code_to {
            Some(t) => self
                .otp
                .pending(&Recovery::otp_subject(access.id, t.new_number))
                .await?
                .map(|p| p.reference),
            None => None,
        };
        Ok(Status {
            stage: r.stage,
            registered_phone_masked: user
                .as_ref()
                .and_then(|u| u.phone.as_deref())
                .and_then(masked),
            code_to_masked: r.code_to.as_ref().and_then(|t| masked(&t.e164)),
            code_to_new_number: r.code_to.as_ref().is_some_and(|t| t.new_number),
            reference,
            username: user
                .filter(|_| r.stage == Stage::Password)
                .map(|u| u.username),
        })
    }
}

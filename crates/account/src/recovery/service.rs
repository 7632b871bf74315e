//! The recovery service: one public method per step. Each reloads the
//! recovery, checks its token (in constant time, before anything else
//! about it is looked at) and that the step may run now, and writes the
//! state back. Both the JSON API and the wizard call it.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::access::ProviderAccess;
use pratu_core::audit::{AuditAction, Auditor, Entry, Outcome};
use pratu_core::domain::{
    BirthDate, CitizenId, FirstDigits, LaserCode, OtpCode, Password, ThaiMobile, ThaiName,
    Username, UsernamePolicy,
};
use pratu_core::limits::{Limiter, count_phone_send, keys};
use pratu_core::otp::{OtpError, OtpOutcome, OtpService};
use pratu_core::proofing::{ProofingOutcome, ProofingRequest};
use pratu_core::sms::SmsMessage;
use pratu_core::web::RequestContext;
use pratu_storage::records::{User, UserStatus};
use serde_json::json;
use uuid::Uuid;

use super::error::{FieldCode, InvalidKind, RecoveryError, password_kind};
use super::state::{CodeTarget, Recovery, Stage, Step, key};
use super::token::{RecoveryAccess, RecoveryToken};
use crate::state::AccountState;

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

    /// Step 2: the card's details, checked with the proofing provider as at
    /// enrollment, on the same failure counters per citizen. Only once the
    /// card is proofed is it told whether it has a Digital ID. With
    /// `send_code`, a code goes to the registered phone at once (the API);
    /// the wizard asks first where it should go.
    #[tracing::instrument(name = "pratu.recovery.identity", skip_all, fields(recovery.id = %access.id), err(Display))]
    pub async fn verify_identity(
        &self,
        ctx: &RequestContext,
        access: &RecoveryAccess,
        input: &IdentityInput,
        send_code: bool,
    ) -> Result<Proofed, RecoveryError> {
        let d = self.state.deps();
        let mut r = self.load(access).await?;
        let request_parts = parse_identity(input, self.today())?;
        Self::require(&r, Step::ProveIdentity)?;
        let policy = &d.recovery;
        let rec_key = format!("proof:rec:{}", access.id);
        let index = unhex(&r.citizen_index)
            .ok_or_else(|| RecoveryError::internal(std::io::Error::other("bad index")))?;
        let cid_key = keys::proofing_per_citizen(&index);
        let (rec_rule, cid_rule) = (
            &policy.proofing_failures_per_recovery,
            &policy.proofing_failures_per_citizen,
        );
        if self.limiter.is_locked(&rec_key).await? || self.limiter.is_locked(&cid_key).await? {
            return Err(RecoveryError::TooManyAttempts {
                retry_after: Some(rec_rule.window_seconds.max(cid_rule.window_seconds)),
            });
        }
        if let Some(ip) = ctx.ip {
            let rule = &policy.proofing_per_ip;
            if !self.limiter.hit(rule, &keys::proofing_per_ip(ip)).await? {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        let sealed = B64
            .decode(&r.citizen_sealed)
            .map_err(RecoveryError::internal)?;
        let digits = d
            .pii
            .open(&sealed, CITIZEN_ID_AAD)
            .map_err(RecoveryError::internal)?;
        let digits = std::str::from_utf8(&digits).map_err(RecoveryError::internal)?;
        let any = FirstDigits::parse("0123456789").unwrap_or_default();
        let citizen_id = CitizenId::parse_with(digits, any).map_err(RecoveryError::internal)?;
        let (first_name, last_name, birth_date, laser_code) = request_parts;
        let request = ProofingRequest {
            citizen_id,
            first_name,
            last_name,
            birth_date,
            laser_code,
        };
        let provider = d.proofing.provider();
        let target = format!("recovery:{}", access.id);
        match d.proofing.check(&request).await {
            ProofingOutcome::Verified { .. } => {}
            ProofingOutcome::NotVerified { reason, code } => {
                let left_rec = self.limiter.failure(rec_rule, &rec_key).await?;
                let left_cid = self.limiter.failure(cid_rule, &cid_key).await?;
                let left = left_rec.min(left_cid);
                self.audit(
                    ctx,
                    "anonymous".into(),
                    target.clone(),
                    AuditAction::RecoveryProofingFailed,
                    Outcome::Failure,
                    json!({"provider": provider, "code": code, "reason": reason.as_str(),
                           "attempts_left": left}),
                )
                .await;
                if left == 0 {
                    self.audit(
                        ctx,
                        "anonymous".into(),
                        target,
                        AuditAction::RecoveryProofingLocked,
                        Outcome::Locked,
                        json!({"provider": provider}),
                    )
                    .await;
                }
                tracing::info!(
                    event.kind = "security",
                    proofing.reason = reason.as_str(),
                    "recovery: identity not verified"
                );
                return Err(RecoveryError::IdentityNotVerified {
                    attempts_left: left,
                });
            }
            ProofingOutcome::Unavailable => {
                self.audit(
                    ctx,
                    "anonymous".into(),
                    target,
                    AuditAction::RecoveryProofingUnavailable,
                    Outcome::Failure,
                    json!({"provider": provider}),
                )
                .await;
                return Err(RecoveryError::IdentityServiceUnavailable);
            }
        }
        // The card is proofed: only now may the answer say whether it has
        // a Digital ID.
        let user = d.store.user_by_citizen_index(&index).await?;
        let (outcome, result) = match &user {
            None => ("no_digital_id", Err(RecoveryError::NoDigitalId)),
            Some(u) if u.status != UserStatus::Active => {
                ("disabled", Err(RecoveryError::AccountDisabled))
            }
            Some(u) => ("recoverable", Ok(u.id)),
        };
        self.audit(
            ctx,
            user.as_ref()
                .map_or_else(|| "anonymous".to_owned(), |u| format!("user:{}", u.id)),
            target,
            AuditAction::RecoveryIdentityVerified,
            if result.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            json!({"provider": provider, "outcome": outcome}),
        )
        .await;
        let user_id = result?;
        r.proofed(user_id);
        self.save(access.id, &r).await?;
        let phone_masked = user
            .as_ref()
            .and_then(|u| u.phone.as_deref())
            .and_then(masked);
        let sent = if send_code && phone_masked.is_some() {
            Some(
                self.send_code(ctx, access, &Destination::Registered)
                    .await?,
            )
        } else {
            None
        };
        Ok(Proofed { phone_masked, sent })
    }

    fn today(&self) -> time::Date {
        // Thai calendar day: a birth "today" in Bangkok is not in the future.
        self.now().to_offset(time::macros::offset!(+7)).date()
    }

    /// Step 3: a code to the registered phone, or (lost phone) to a new
    /// number. Allowed only after proofing; within the OTP service's
    /// cooldown and caps and the per-number and per-IP limits enrollment
    /// counts too.
    #[tracing::instrument(name = "pratu.recovery.send_code", skip_all, fields(recovery.id = %access.id), err(Display))]
    pub async fn send_code(
        &self,
        ctx: &RequestContext,
        access: &RecoveryAccess,
        to: &Destination,
    ) -> Result<CodeSent, RecoveryError> {
        let d = self.state.deps();
        let mut r = self.load(access).await?;
        let new_phone =
            match to {
                Destination::Registered => None,
                Destination::New(raw) => Some(ThaiMobile::parse(raw).map_err(|e| {
                    RecoveryError::invalid(InvalidKind::Request, vec![e.on("phone")])
                })?),
            };
        Self::require(&r, Step::SendCode)?;
        let user = self.user(&r).await?;
        let target = match &new_phone {
            Some(m) => CodeTarget {
                e164: m.e164().to_owned(),
                new_number: true,
            },
            None => CodeTarget {
                e164: user
                    .phone
                    .clone()
                    .ok_or(RecoveryError::StepOutOfOrder { current: r.stage })?,
                new_number: false,
            },
        };
        let subject = Recovery::otp_subject(access.id, target.new_number);
        let now = self.now();
        if let Some(p) = self.otp.pending(&subject).await?
            && now < p.resend_at
        {
            return Err(RecoveryError::TooManyAttempts {
                retry_after: Some(seconds_until(now, p.resend_at).max(1)),
            });
        }
        if !count_phone_send(d.ephemeral.as_ref(), d.phone_sends, &target.e164).await? {
            return Err(RecoveryError::TooManyAttempts {
                retry_after: Some(d.phone_sends.window_seconds),
            });
        }
        if let Some(ip) = ctx.ip {
            let rule = &d.recovery.otp_sends_per_ip;
            if !self.limiter.hit(rule, &keys::otp_sends_per_ip(ip)).await? {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        let issued = match self.otp.issue(&subject, &target.e164).await {
            Ok(i) => i,
            Err(OtpError::Cooldown { retry_after }) => {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(retry_after.as_secs().max(1)),
                });
            }
            Err(OtpError::TooManySends) => {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(self.otp.policy().send_window.as_secs()),
                });
            }
            Err(OtpError::Storage(e)) => return Err(e.into()),
        };
        let actor = format!("user:{}", user.id);
        let audit_target = format!("recovery:{}", access.id);
        let message = SmsMessage {
            to: target.e164.clone(),
            text: issued.sms_text(),
        };
        if let Err(err) = d.sms.send(&message).await {
            tracing::warn!(error = %err, "recovery: SMS not sent");
            self.otp.cancel(&subject).await?;
            self.audit(
                ctx,
                actor,
                audit_target,
                AuditAction::RecoveryOtpSendFailed,
                Outcome::Failure,
                json!({}),
            )
            .await;
            return Err(RecoveryError::SmsUnavailable);
        }
        // A code to the other number is void now.
        let other = Recovery::otp_subject(access.id, !target.new_number);
        self.otp.cancel(&other).await?;
        let phone_masked = masked(&target.e164).unwrap_or_default();
        let new_number = target.new_number;
        r.code_sent(target);
        self.save(access.id, &r).await?;
        self.audit(
            ctx,
            actor,
            audit_target,
            AuditAction::RecoveryOtpSent,
            Outcome::Success,
            json!({"ref": issued.reference(), "new_number": new_number}),
        )
        .await;
        Ok(CodeSent {
            reference: issued.reference().to_owned(),
            expires_in: seconds_until(now, issued.expires_at),
            resend_in: seconds_until(now, issued.resend_at),
            phone_masked,
        })
    }

    /// Step 4: the code. For a new number it becomes the account's verified
    /// phone now, and the old number gets a notice.
    #[tracing::instrument(name = "pratu.recovery.verify_code", skip_all, fields(recovery.id = %access.id), err(Display))]
    pub async fn verify_code(
        &self,
        ctx: &RequestContext,
        access: &RecoveryAccess,
        code: &str,
    ) -> Result<String, RecoveryError> {
        let d = self.state.deps();
        let mut r = self.load(access).await?;
        let code = OtpCode::parse(code)
            .map_err(|e| RecoveryError::invalid(InvalidKind::Request, vec![e.on("code")]))?;
        Self::require(&r, Step::VerifyCode)?;
        let user = self.user(&r).await?;
        let Some(target) = r.code_to.clone() else {
            return Err(RecoveryError::StepOutOfOrder { current: r.stage });
        };
        if let Some(ip) = ctx.ip {
            let rule = &d.recovery.otp_checks_per_ip;
            if !self.limiter.hit(rule, &keys::otp_checks_per_ip(ip)).await? {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        let actor = format!("user:{}", user.id);
        let audit_target = format!("recovery:{}", access.id);
        let subject = Recovery::otp_subject(access.id, target.new_number);
        match self
            .otp
            .verify(&subject, &target.e164, code.expose())
            .await?
        {
            OtpOutcome::Verified => {}
            OtpOutcome::Invalid { attempts_left } => {
                self.audit(
                    ctx,
                    actor,
                    audit_target,
                    AuditAction::RecoveryOtpFailed,
                    Outcome::Failure,
                    json!({"attempts_left": attempts_left}),
                )
                .await;
                tracing::info!(event.kind = "security", "recovery: wrong OTP");
                return Err(RecoveryError::OtpInvalid { attempts_left });
            }
            OtpOutcome::Locked => {
                self.audit(
                    ctx,
                    actor,
                    audit_target,
                    AuditAction::RecoveryOtpLocked,
                    Outcome::Locked,
                    json!({}),
                )
                .await;
                return Err(RecoveryError::TooManyAttempts { retry_after: None });
            }
            OtpOutcome::Expired | OtpOutcome::NoChallenge => return Err(RecoveryError::OtpExpired),
        }
        if target.new_number {
            let old = user.phone.clone();
            d.store
                .set_user_phone(user.id, &target.e164, self.now())
                .await?;
            self.audit(
                ctx,
                actor.clone(),
                format!("user:{}", user.id),
                AuditAction::AccountPhoneChanged,
                Outcome::Success,
                json!({"via": "recovery", "recovery": access.id}),
            )
            .await;
            if let Some(old) = old.filter(|o| *o != target.e164) {
                self.notify_old_number(&old).await;
            }
        }
        r.code_verified();
        self.save(access.id, &r).await?;
        Ok(user.username)
    }

    /// Tells the old number that the account's phone changed. The change
    /// stands whether or not the notice goes out (the old phone may well be
    /// gone); a failure is logged.
    async fn notify_old_number(&self, old_e164: &str) {
        let message = SmsMessage {
            to: old_e164.to_owned(),
            text: "Pratu: the mobile number of your Digital ID was changed after the ID card \
                   was proved again. If this was not you, call the Digital ID service desk. / \
                   หมายเลขโทรศัพท์ของ Digital ID ของท่านถูกเปลี่ยนแล้ว หากท่านไม่ได้ทำรายการ \
                   กรุณาติดต่อศูนย์บริการ"
                .to_owned(),
        };
        if let Err(e) = self.state.deps().sms.send(&message).await {
            tracing::warn!(error = %e, "recovery: notice to the old number not sent");
        }
    }

    /// Step 5: the new password. Every session and refresh token of the
    /// account ends; the recovery is over.
    #[tracing::instrument(name = "pratu.recovery.password", skip_all, fields(recovery.id = %access.id), err(Display))]
    pub async fn set_password(
        &self,
        ctx: &RequestContext,
        access: &RecoveryAccess,
        password: &str,
    ) -> Result<String, RecoveryError> {
        let d = self.state.deps();
        let r = self.load(access).await?;
        Self::require(&r, Step::SetPassword)?;
        let user = self.user(&r).await?;
        let any_length = UsernamePolicy {
            min_length: 1,
            max_length: 256,
        };
        let username = Username::parse(&user.username, &any_length).ok();
        let pass = Password::parse(password, username.as_ref(), &d.recovery.password)
            .map_err(|e| RecoveryError::invalid(password_kind(e), vec![e.on("password")]))?;
        let hash = d.hasher.hash(pass.expose()).await?;
        d.store
            .set_user_password(user.id, &hash, self.now())
            .await?;
        let ended = self.provider().end_user_sessions(user.id).await?;
        let actor = format!("user:{}", user.id);
        self.auditor
            .try_record(
                Entry::new(actor, AuditAction::AccountRecovered, Outcome::Success)
                    .target(format!("user:{}", user.id))
                    .request_id(ctx.request_id.clone())
                    .details(json!({"recovery": access.id, "refresh_tokens_revoked": ended})),
            )
            .await?;
        // Done: the token continues nothing any more.
        let _gone = d.ephemeral.delete(&key(access.id)).await?;
        Ok(user.username)
    }
}

/// The checked parts of the identity step.
fn parse_identity(
    input: &IdentityInput,
    today: time::Date,
) -> Result<(ThaiName, ThaiName, BirthDate, LaserCode), RecoveryError> {
    let method = input.method.trim();
    if OFFLINE_METHODS.contains(&method) {
        return Err(RecoveryError::ProofingMethodUnsupported);
    }
    let mut errors = Vec::new();
    if method != LASER_CODE {
        errors.push(super::error::FieldError {
            field: "method",
            code: "unknown",
            message: "the method must be laser_code".into(),
        });
    }
    let first = ThaiName::parse(&input.first_name).map_err(|e| errors.push(e.on("first_name")));
    let last = ThaiName::parse(&input.last_name).map_err(|e| errors.push(e.on("last_name")));
    let birth =
        BirthDate::parse(&input.birth_date, today).map_err(|e| errors.push(e.on("birth_date")));
    let laser = LaserCode::parse(&input.laser_code).map_err(|e| errors.push(e.on("laser_code")));
    match (first, last, birth, laser) {
        (Ok(f), Ok(l), Ok(b), Ok(c)) if errors.is_empty() => Ok((f, l, b, c)),
        _ => Err(RecoveryError::invalid(InvalidKind::Request, errors)),
    }
}

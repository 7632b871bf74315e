//! Step 2: the card proved again, on enrollment's proofing provider and
//! failure counters.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::domain::{BirthDate, CitizenId, FirstDigits, LaserCode, ThaiName};
use pratu_core::limits::keys;
use pratu_core::proofing::{ProofingOutcome, ProofingRequest};
use pratu_core::web::RequestContext;
use pratu_storage::records::UserStatus;
use serde_json::json;

use super::{
    CITIZEN_ID_AAD, Destination, IdentityInput, LASER_CODE, OFFLINE_METHODS, Proofed,
    RecoveryService, masked, unhex,
};
use crate::recovery::error::{FieldCode, FieldError, InvalidKind, RecoveryError};
use crate::recovery::state::Step;
use crate::recovery::token::RecoveryAccess;

impl RecoveryService {
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
        errors.push(FieldError {
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

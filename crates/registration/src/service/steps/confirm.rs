//! Steps 8–9: confirm, and the account exists. `complete_enrollment` inserts
//! the user, closes the enrollment and appends the `enrollment.confirmed`
//! record in one transaction, guarded by the enrollment's version: of many
//! concurrent confirms exactly one creates the account and the others read
//! the result it left. Since a repeated confirm is answered from that result,
//! the record cannot be a write of its own after the commit: a node dying
//! between the two would leave an account acknowledged on the client's retry
//! and never audited.

use pratu_core::audit::{AuditAction, Outcome};
use pratu_storage::StorageError;
use pratu_storage::records::{EnrollmentStep, Proofing, User, UserStatus};
use serde_json::json;
use uuid::Uuid;

use super::Confirmed;
use crate::service::data::EnrollmentData;
use crate::service::{
    CONFLICT_RETRIES, Context, EnrollmentAccess, EnrollmentError, EnrollmentService,
};

impl EnrollmentService {
    #[tracing::instrument(name = "pratu.enrollment.confirm", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn confirm(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
    ) -> Result<Confirmed, EnrollmentError> {
        let id = access.id;
        // Each loser of a race re-reads once per winner; enough rounds for
        // any realistic burst of duplicate clicks.
        for _ in 0..CONFLICT_RETRIES * 4 {
            let (e, data) = self.load(access).await?;
            if e.step == EnrollmentStep::Completed {
                return completed(e.user_id, &data);
            }
            if e.step != EnrollmentStep::Review {
                return Err(EnrollmentError::StepOutOfOrder { current: e.step });
            }
            let user = self.user_from(&e, &data)?;
            let record = self.auditor.event(Self::entry(
                ctx,
                id,
                AuditAction::EnrollmentConfirmed,
                Outcome::Success,
                json!({
                    "user_id": user.id,
                    "provider": user.proofing.as_ref().map(|p| p.provider.clone()),
                }),
            ));
            match self
                .store
                .complete_enrollment(id, e.version, &user, self.clock.now(), &record)
                .await
            {
                Ok(()) => {
                    tracing::info!(
                        event.kind = "security",
                        action = AuditAction::EnrollmentConfirmed.as_str(),
                        outcome = Outcome::Success.as_str(),
                        "audit"
                    );
                    tracing::info!(user.id = %user.id, "Digital ID account created");
                    return Ok(Confirmed {
                        user_id: user.id,
                        username: user.username,
                    });
                }
                Err(StorageError::Conflict { .. }) => {}
                Err(StorageError::AlreadyExists { what: "username" }) => {
                    return Err(EnrollmentError::UsernameTaken);
                }
                Err(StorageError::AlreadyExists { .. }) => {
                    return Err(EnrollmentError::CitizenIdTaken);
                }
                Err(StorageError::NotFound { .. }) => return Err(EnrollmentError::NotFound),
                Err(other) => return Err(other.into()),
            }
        }
        Err(EnrollmentError::Conflict)
    }

    fn user_from(
        &self,
        e: &pratu_storage::records::Enrollment,
        data: &EnrollmentData,
    ) -> Result<User, EnrollmentError> {
        let missing = |what: &str| {
            EnrollmentError::internal(std::io::Error::other(format!(
                "enrollment at review without {what}"
            )))
        };
        let personal = data
            .personal
            .as_ref()
            .ok_or_else(|| missing("personal data"))?;
        let proofing = data.proofing.as_ref().ok_or_else(|| missing("proofing"))?;
        let account = data.account.as_ref().ok_or_else(|| missing("account"))?;
        let phone = data
            .phone
            .as_ref()
            .filter(|p| p.verified)
            .ok_or_else(|| missing("verified phone"))?;
        let citizen_id = e.citizen_id.clone().ok_or_else(|| missing("citizen ID"))?;
        let now = self.clock.now();
        Ok(User {
            id: Uuid::new_v4(),
            username: account.username.clone(),
            password_hash: account.password_hash.clone(),
            status: UserStatus::Active,
            roles: vec!["citizen".to_owned()],
            name: personal.name.clone(),
            birth_date: Some(personal.birth_date),
            phone: Some(phone.e164.clone()),
            phone_verified: true,
            citizen_id: Some(citizen_id),
            proofing: Some(Proofing {
                method: "dopa_laser".to_owned(),
                provider: proofing.provider.clone(),
                verified_at: proofing.verified_at,
                result: proofing.code.clone(),
                ial: self.assurance.ial.clone(),
                trust_framework: self.assurance.trust_framework.clone(),
            }),
            locale: data.locale.clone(),
            created_at: now,
            updated_at: now,
        })
    }
}

fn completed(user_id: Option<Uuid>, data: &EnrollmentData) -> Result<Confirmed, EnrollmentError> {
    match (user_id, data.account.as_ref()) {
        (Some(user_id), Some(account)) => Ok(Confirmed {
            user_id,
            username: account.username.clone(),
        }),
        _ => Err(EnrollmentError::internal(std::io::Error::other(
            "completed enrollment without user",
        ))),
    }
}

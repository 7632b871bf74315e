//! Step 8's read side: everything entered so far, the citizen ID masked.

use pratu_storage::records::EnrollmentStep;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{BirthDate, ThaiMobile};
use crate::service::{EnrollmentAccess, EnrollmentError, EnrollmentService};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewConsent {
    pub terms_version: String,
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewPersonal {
    pub title: Option<String>,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name: String,
    pub title_en: Option<String>,
    pub first_name_en: Option<String>,
    pub middle_name_en: Option<String>,
    pub last_name_en: Option<String>,
    /// C.E. `YYYY-MM-DD`, `00` for unknown parts.
    pub birth_date: String,
    #[serde(skip)]
    pub birth: Option<BirthDate>,
}

/// An enrollment as the citizen may see it (`GET /api/v1/enrollments/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub enrollment_id: Uuid,
    /// `in_progress` or `completed`.
    pub status: &'static str,
    /// The step the enrollment waits for.
    pub next: &'static str,
    #[serde(skip)]
    pub step: EnrollmentStep,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub consent: Option<ReviewConsent>,
    /// Masked: `1-2345-xxxxx-xx-1`.
    pub citizen_id: Option<String>,
    pub method: Option<String>,
    pub personal: Option<ReviewPersonal>,
    pub identity_verified: bool,
    pub username: Option<String>,
    /// Masked: `08x-xxx-5678`.
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub user_id: Option<Uuid>,
}

impl EnrollmentService {
    #[tracing::instrument(name = "pratu.enrollment.review", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn review(&self, access: &EnrollmentAccess) -> Result<Review, EnrollmentError> {
        let (e, data) = self.load(access).await?;
        let personal = data.personal.map(|p| {
            let birth = BirthDate::try_from(p.birth_date).ok();
            ReviewPersonal {
                title: p.name.title,
                first_name: p.name.given_name,
                middle_name: p.name.middle_name,
                last_name: p.name.family_name,
                title_en: p.name.title_en,
                first_name_en: p.name.given_name_en,
                middle_name_en: p.name.middle_name_en,
                last_name_en: p.name.family_name_en,
                birth_date: birth.map(|b| b.iso_with_zeros()).unwrap_or_default(),
                birth,
            }
        });
        let phone = data.phone.as_ref();
        Ok(Review {
            enrollment_id: e.id,
            status: if e.step == EnrollmentStep::Completed {
                "completed"
            } else {
                "in_progress"
            },
            next: e.step.as_str(),
            step: e.step,
            expires_at: e.expires_at,
            consent: data.consent.map(|c| ReviewConsent {
                terms_version: c.terms_version,
                accepted_at: c.accepted_at,
            }),
            citizen_id: data.citizen_id_masked,
            method: data.method,
            personal,
            identity_verified: data.proofing.is_some(),
            username: data.account.map(|a| a.username),
            phone: phone
                .and_then(|p| ThaiMobile::parse(&p.e164).ok())
                .map(|m| m.masked()),
            phone_verified: phone.is_some_and(|p| p.verified),
            user_id: e.user_id,
        })
    }
}

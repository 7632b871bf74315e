//! One module per step, in the order of DESIGN.md "Enrollment".

use pratu_storage::records::EnrollmentStep;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{EnrollmentAccess, EnrollmentToken};

mod account;
mod citizen_id;
mod confirm;
mod identity;
mod phone;
mod review;
mod start;

pub use identity::{IdentityInput, PersonalInput};
pub use phone::{OtpSent, PendingPhone};
pub use review::{Review, ReviewConsent, ReviewPersonal};
pub use start::StartInput;

/// A step succeeded; `next` is what the enrollment waits for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub next: EnrollmentStep,
}

/// The enrollment exists; `token` is the one credential that continues
/// it, handed to the caller once and kept only as a digest.
#[derive(Debug, Clone)]
pub struct Started {
    pub enrollment_id: Uuid,
    pub token: EnrollmentToken,
    pub next: EnrollmentStep,
}

impl Started {
    /// What later steps present.
    pub fn access(&self) -> EnrollmentAccess {
        EnrollmentAccess::new(self.enrollment_id, self.token.clone())
    }
}

/// The enrollment is complete: the account exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confirmed {
    pub user_id: Uuid,
    pub username: String,
}

fn seconds_until(now: OffsetDateTime, then: OffsetDateTime) -> u64 {
    (then - now).whole_seconds().max(0).unsigned_abs()
}

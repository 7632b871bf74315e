//! The citizen's own account operations, the one place for their logic:
//! the JSON API (`crate::api`) and the portal's pages call exactly these.
//!
//! Every operation takes the account's `user_id` (whoever calls has
//! already proved it is that citizen: an access token of scope `account`,
//! or a portal session) and the request's [`RequestContext`] (request id
//! for the audit trail, client address). Operations that change the
//! password or delete the account take the current password again
//! ([`AccountService::verify_password`] is that check on its own, for the
//! portal's re-authentication before a phone change).

mod activity;
mod apps;
mod delete;
mod error;
mod export;
mod notices;
mod passkeys;
mod password;
mod phone;
mod profile;
mod sessions;
mod totp;

use std::sync::Arc;

use pratu_core::access::ProviderAccess;
use pratu_core::audit::{AuditAction, Auditor, Entry, Outcome};
use pratu_core::domain::PasswordPolicy;
use pratu_core::limits::PhoneSendLimit;
use pratu_core::otp::OtpService;
use pratu_core::password::PasswordHasher;
use pratu_core::pii::PiiCipher;
use pratu_core::random::SharedRandom;
use pratu_core::sms::SmsSender;
use pratu_core::web::RequestContext;
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::records::{User, UserStatus};
use pratu_storage::{Clock, Store};
use serde_json::Value;
use uuid::Uuid;

pub use activity::ActivityItem;
pub use apps::ConnectedApp;
pub use error::AccountError;
pub use export::EXPORT_FILENAME;
pub use passkeys::PasskeyView;
pub use phone::PhoneChallenge;
pub use profile::{Profile, mask_citizen_id, mask_phone};
pub use sessions::Session;
pub use totp::{TOTP_ISSUER, TotpEnrolment, TotpStatus};

use crate::state::AccountDeps;

/// The additional authenticated data citizen IDs are sealed with (the
/// enrollment seals them so).
pub(crate) const CITIZEN_ID_AAD: &[u8] = b"citizen_id";

pub type Result<T, E = AccountError> = std::result::Result<T, E>;

/// The account operations. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AccountService {
    store: Arc<dyn Store>,
    ephemeral: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
    provider: Arc<dyn ProviderAccess>,
    sms: Arc<dyn SmsSender>,
    hasher: PasswordHasher,
    pii: PiiCipher,
    password_policy: PasswordPolicy,
    otp: OtpService,
    phone_sends: PhoneSendLimit,
    auditor: Auditor,
    /// Draws authenticator secrets and recovery codes.
    random: SharedRandom,
}

impl AccountService {
    pub fn new(deps: &AccountDeps) -> Self {
        Self {
            store: Arc::clone(&deps.store),
            ephemeral: Arc::clone(&deps.ephemeral),
            clock: Arc::clone(&deps.clock),
            provider: Arc::clone(&deps.provider),
            sms: Arc::clone(&deps.sms),
            hasher: deps.hasher.clone(),
            pii: deps.pii.clone(),
            password_policy: deps.password_policy,
            otp: OtpService::new(
                Arc::clone(&deps.ephemeral),
                Arc::clone(&deps.clock),
                deps.random.clone(),
                deps.otp,
            ),
            phone_sends: deps.phone_sends,
            auditor: Auditor::new(Arc::clone(&deps.store), Arc::clone(&deps.clock)),
            random: deps.random.clone(),
        }
    }

    /// The account, if it exists and may be used: a disabled or deleted
    /// account is [`AccountError::AccountGone`].
    pub async fn active_user(&self, user_id: Uuid) -> Result<User> {
        match self.store.user_by_id(user_id).await? {
            Some(u) if u.status == UserStatus::Active => Ok(u),
            _ => Err(AccountError::AccountGone),
        }
    }

    /// The audit entry of the account's own action.
    fn entry(ctx: &RequestContext, user_id: Uuid, action: AuditAction, outcome: Outcome) -> Entry {
        Entry::new(format!("user:{user_id}"), action, outcome)
            .target(format!("user:{user_id}"))
            .request_id(ctx.request_id.clone())
    }

    /// Records an action that must not go unrecorded: a failed write fails
    /// the call.
    async fn audit(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        action: AuditAction,
        outcome: Outcome,
        details: Value,
    ) -> Result<()> {
        let entry = Self::entry(ctx, user_id, action, outcome).details(details);
        self.auditor.try_record(entry).await?;
        Ok(())
    }
}

/// Whole seconds from `now` until `then` (0 when past).
fn seconds_until(now: time::OffsetDateTime, then: time::OffsetDateTime) -> u64 {
    u64::try_from((then - now).whole_seconds()).unwrap_or(0)
}

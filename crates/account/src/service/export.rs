//! Download my data (PDPA s.30–31, access and portability): everything
//! Pratu holds about the account, as one JSON document. The citizen ID is
//! opened: it is the citizen's own data and only they can ask for it (a
//! token of their own). The password hash is not data about the citizen
//! but a verifier, and is left out.

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::web::RequestContext;
use serde_json::{Value, json};
use uuid::Uuid;

use super::activity::ActivityItem;
use super::{AccountService, Result};

/// The attachment's file name.
pub const EXPORT_FILENAME: &str = "digital-id-my-data.json";

/// Audit events included at most (the backend's page cap).
const EXPORT_EVENTS: u32 = 1000;

impl AccountService {
    /// Every record about the account, as JSON; audited
    /// (`account.exported`).
    pub async fn export(&self, ctx: &RequestContext, user_id: Uuid) -> Result<Value> {
        let user = self.active_user(user_id).await?;
        let citizen_id = self.citizen_id(&user)?;
        let apps = self.connected_apps(user.id).await?;
        let sessions = self.sessions(user.id).await?;
        let activity: Vec<ActivityItem> = self
            .events_of(user.id, EXPORT_EVENTS)
            .await?
            .iter()
            .map(ActivityItem::of)
            .collect();
        let rfc3339 = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        let doc = json!({
            "exported_at": rfc3339(self.clock.now()),
            "account": {
                "user_id": user.id,
                "username": user.username,
                "status": user.status.as_str(),
                "roles": user.roles,
                "locale": user.locale,
                "created_at": rfc3339(user.created_at),
                "updated_at": rfc3339(user.updated_at),
            },
            "citizen_id": citizen_id,
            "name": user.name,
            "birth_date": user.birth_date,
            "phone": {
                "number": user.phone,
                "verified": user.phone_verified,
            },
            "identity_proofing": user.proofing,
            "connected_apps": apps,
            "sessions": sessions,
            "activity": activity,
        });
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountExported,
            Outcome::Success,
            json!({}),
        )
        .await?;
        Ok(doc)
    }
}

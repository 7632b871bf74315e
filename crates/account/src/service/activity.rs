//! The account's own activity: the audit events about it. An event is the
//! account's when it is the actor (`user:<uuid>`: its sign-ins, consents,
//! changes) or the target (an operator disabling it or signing it out).
//! Only time, action, outcome and the application are shown: no request
//! ids, addresses or details.

use pratu_storage::records::{AuditEvent, AuditFilter};
use serde::Serialize;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AccountService, Result};

/// Events shown at most.
pub const ACTIVITY_LIMIT: u32 = 100;

/// One thing that happened to or by the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActivityItem {
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub time: OffsetDateTime,
    /// The audit action, e.g. `login.succeeded`, `account.password_changed`.
    pub action: String,
    /// `success`, `failure`, `locked` or `forbidden`.
    pub outcome: String,
    /// The application concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

impl ActivityItem {
    pub(crate) fn of(e: &AuditEvent) -> Self {
        let client_id = e.target.as_deref().and_then(|t| {
            t.strip_prefix("client:")
                .or_else(|| {
                    // `consent:<user>:<client>` (the admin API's withdrawal).
                    t.strip_prefix("consent:")
                        .and_then(|rest| rest.split_once(':').map(|(_, c)| c))
                })
                .map(str::to_owned)
        });
        Self {
            time: e.at,
            action: e.action.clone(),
            outcome: e.outcome.clone(),
            client_id,
        }
    }
}

impl AccountService {
    /// The newest [`ACTIVITY_LIMIT`] events about the account, newest
    /// first.
    pub async fn activity(&self, user_id: Uuid) -> Result<Vec<ActivityItem>> {
        let user = self.active_user(user_id).await?;
        Ok(self
            .events_of(user.id, ACTIVITY_LIMIT)
            .await?
            .iter()
            .map(ActivityItem::of)
            .collect())
    }

    /// The audit events with the account as actor or target, newest first,
    /// at most `limit`.
    pub(crate) async fn events_of(&self, user_id: Uuid, limit: u32) -> Result<Vec<AuditEvent>> {
        let me = format!("user:{user_id}");
        let by = self
            .store
            .list_audit(&AuditFilter {
                actor: Some(me.clone()),
                limit,
                ..AuditFilter::default()
            })
            .await?;
        let about = self
            .store
            .list_audit(&AuditFilter {
                target: Some(me),
                limit,
                ..AuditFilter::default()
            })
            .await?;
        Ok(merge_newest_first(by, about, limit as usize))
    }
}

/// Both lists as one, newest first, each event once.
fn merge_newest_first(a: Vec<AuditEvent>, b: Vec<AuditEvent>, limit: usize) -> Vec<AuditEvent> {
    let mut all: Vec<AuditEvent> = a.into_iter().chain(b).collect();
    all.sort_by(|x, y| y.at.cmp(&x.at).then_with(|| y.id.cmp(&x.id)));
    all.dedup_by(|x, y| x.id == y.id);
    all.truncate(limit);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(secs: i64, target: Option<&str>) -> AuditEvent {
        AuditEvent {
            id: Uuid::now_v7(),
            at: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(secs),
            actor: "user:x".into(),
            action: "login.succeeded".into(),
            target: target.map(str::to_owned),
            request_id: Some("r".into()),
            outcome: "success".into(),
            details: serde_json::json!({"ip": "192.0.2.1"}),
        }
    }

    #[test]
    fn events_by_and_about_the_account_merge_once_newest_first() {
        let (a, b, c) = (event(1, None), event(3, None), event(2, None));
        let merged = merge_newest_first(vec![b.clone(), a.clone()], vec![b.clone(), c.clone()], 10);
        assert_eq!(merged, [b.clone(), c, a]);
        assert_eq!(merge_newest_first(vec![b.clone()], vec![], 0), []);
    }

    #[test]
    fn an_item_names_the_app_and_nothing_internal() {
        let item = ActivityItem::of(&event(1, Some("client:info")));
        assert_eq!(item.client_id.as_deref(), Some("info"));
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(
            json.as_object().unwrap().keys().collect::<Vec<_>>(),
            ["action", "client_id", "outcome", "time"]
        );
        let item = ActivityItem::of(&event(1, Some("consent:u:info")));
        assert_eq!(item.client_id.as_deref(), Some("info"));
        assert_eq!(ActivityItem::of(&event(1, Some("user:u"))).client_id, None);
    }
}

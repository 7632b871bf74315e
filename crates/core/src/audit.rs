//! The audit trail: every security-relevant action Pratu records, as a
//! type, and the one way events are written.
//!
//! [`AuditAction`] lists every action (the README's table is generated
//! from [`AuditAction::ALL`], and a test fails when they differ), each with
//! the area it belongs to. [`Outcome`] is the closed set of outcomes, so
//! the same situation reads the same in every area (a lock-out is
//! `locked`, whether of a sign-in or an enrollment).
//!
//! [`Auditor`] is the one write policy: the write is awaited (an event is
//! never lost to a shutdown or a detached task), and a failed write is
//! logged with the action — never silently dropped. Callers whose action
//! must not go unrecorded use [`Auditor::try_record`] and refuse on error;
//! units of work that commit the event with other rows take
//! [`Auditor::event`].

use std::sync::Arc;

use pratu_storage::records::AuditEvent;
use pratu_storage::{Clock, StorageError, Store};
use serde_json::Value;
use uuid::Uuid;

/// Where an action belongs (the README table's rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditArea {
    Enrollment,
    SignIn,
    ConsentAndTokens,
    Clients,
    KeysAndAccounts,
    Account,
    Admin,
}

impl AuditArea {
    pub const ALL: [AuditArea; 7] = [
        Self::Enrollment,
        Self::SignIn,
        Self::ConsentAndTokens,
        Self::Clients,
        Self::KeysAndAccounts,
        Self::Account,
        Self::Admin,
    ];

    /// The README table's first column.
    pub fn title(self) -> &'static str {
        match self {
            Self::Enrollment => "enrollment (target `enrollment:<id>`)",
            Self::SignIn => "sign-in (target `client:<id>`)",
            Self::ConsentAndTokens => "consent and tokens",
            Self::Clients => "clients",
            Self::KeysAndAccounts => "keys and accounts",
            Self::Account => {
                "the citizen's own account and its recovery (actor and target `user:<uuid>`, \
                 or target `recovery:<id>`)"
            }
            Self::Admin => {
                "operators' reads, sign-ins and second-factor resets (admin API, console)"
            }
        }
    }
}

/// Defines [`AuditAction`] with its spelling and area from one table, so
/// the list, `as_str` and `area` cannot drift apart.
macro_rules! audit_actions {
    ($($variant:ident => $name:literal, $area:ident;)+) => {
        /// Every action the audit trail records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($variant,)+
        }

        impl AuditAction {
            /// Every action, in the README's order.
            pub const ALL: &'static [AuditAction] = &[$(Self::$variant,)+];

            /// The stable name stored in `audit_events.action`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            pub fn area(self) -> AuditArea {
                match self {
                    $(Self::$variant => AuditArea::$area,)+
                }
            }
        }
    };
}

audit_actions! {
    EnrollmentConsent => "enrollment.consent", Enrollment;
    EnrollmentIdentityVerified => "enrollment.identity_verified", Enrollment;
    EnrollmentCitizenIdTaken => "enrollment.citizen_id_taken", Enrollment;
    EnrollmentProofingFailed => "enrollment.proofing_failed", Enrollment;
    EnrollmentProofingLocked => "enrollment.proofing_locked", Enrollment;
    EnrollmentProofingUnavailable => "enrollment.proofing_unavailable", Enrollment;
    EnrollmentOtpSent => "enrollment.otp_sent", Enrollment;
    EnrollmentOtpSendFailed => "enrollment.otp_send_failed", Enrollment;
    EnrollmentOtpFailed => "enrollment.otp_failed", Enrollment;
    EnrollmentOtpLocked => "enrollment.otp_locked", Enrollment;
    EnrollmentPhoneVerified => "enrollment.phone_verified", Enrollment;
    EnrollmentConfirmed => "enrollment.confirmed", Enrollment;
    LoginSucceeded => "login.succeeded", SignIn;
    LoginFailed => "login.failed", SignIn;
    LoginLocked => "login.locked", SignIn;
    LoginAccountLocked => "login.account_locked", SignIn;
    LoginOtpSent => "login.otp_sent", SignIn;
    LoginOtpSendFailed => "login.otp_send_failed", SignIn;
    LoginOtpFailed => "login.otp_failed", SignIn;
    LoginOtpLocked => "login.otp_locked", SignIn;
    LoginStepUp => "login.step_up", SignIn;
    Logout => "logout", SignIn;
    ConsentGranted => "consent.granted", ConsentAndTokens;
    ConsentDenied => "consent.denied", ConsentAndTokens;
    ConsentRevoked => "consent.revoked", ConsentAndTokens;
    TokenRevoked => "token.revoked", ConsentAndTokens;
    TokenRefreshReused => "token.refresh_reused", ConsentAndTokens;
    TokenCodeReplayed => "token.code_replayed", ConsentAndTokens;
    ConsentWithdrawn => "consent.withdrawn", ConsentAndTokens;
    ClientCreated => "client.created", Clients;
    ClientChanged => "client.changed", Clients;
    ClientDeleted => "client.deleted", Clients;
    ClientSecretRotated => "client.secret_rotated", Clients;
    ClientDisabled => "client.disabled", Clients;
    ClientEnabled => "client.enabled", Clients;
    ClientRegistrationTokenIssued => "client.registration_token_issued", Clients;
    KeyRotated => "key.rotated", KeysAndAccounts;
    UserCreated => "user.created", KeysAndAccounts;
    UserDisabled => "user.disabled", KeysAndAccounts;
    UserEnabled => "user.enabled", KeysAndAccounts;
    UserLoggedOut => "user.logged_out", KeysAndAccounts;
    AccountPasswordChanged => "account.password_changed", Account;
    AccountPhoneChanged => "account.phone_changed", Account;
    AccountReauthFailed => "account.reauth_failed", Account;
    AccountSignedOutEverywhere => "account.signed_out_everywhere", Account;
    AccountExported => "account.exported", Account;
    AccountDeleted => "account.deleted", Account;
    AccountTotpAdded => "account.totp_added", Account;
    AccountTotpFailed => "account.totp_failed", Account;
    AccountTotpRemoved => "account.totp_removed", Account;
    AccountRecoveryCodesCreated => "account.recovery_codes_created", Account;
    AccountPasskeyAdded => "account.passkey_added", Account;
    AccountPasskeyRemoved => "account.passkey_removed", Account;
    AdminDenied => "admin.denied", Admin;
    AdminConsoleSignIn => "admin.console.sign_in", Admin;
    AdminClientListed => "admin.client.listed", Admin;
    AdminClientShown => "admin.client.shown", Admin;
    AdminUserSearched => "admin.user.searched", Admin;
    AdminUserShown => "admin.user.shown", Admin;
    AdminUserFactorsShown => "admin.user.factors_shown", Admin;
    AdminUserFactorsReset => "admin.user.factors_reset", Admin;
    AdminKeyListed => "admin.key.listed", Admin;
    AdminAuditListed => "admin.audit.listed", Admin;
    RecoveryIdentityVerified => "recovery.identity_verified", Account;
    RecoveryProofingFailed => "recovery.proofing_failed", Account;
    RecoveryProofingLocked => "recovery.proofing_locked", Account;
    RecoveryProofingUnavailable => "recovery.proofing_unavailable", Account;
    RecoveryOtpSent => "recovery.otp_sent", Account;
    RecoveryOtpSendFailed => "recovery.otp_send_failed", Account;
    RecoveryOtpFailed => "recovery.otp_failed", Account;
    RecoveryOtpLocked => "recovery.otp_locked", Account;
    AccountRecovered => "account.recovered", Account;
}

impl AuditAction {
    /// What the README adds after the name, where the name alone does not
    /// say enough.
    pub fn note(self) -> Option<&'static str> {
        match self {
            Self::LoginFailed => Some(
                "`details.reason`: `unknown_user`, `bad_password`, `disabled`, `unknown_passkey`, `bad_passkey`",
            ),
            Self::LoginAccountLocked => Some(
                "`limits.login.max_consecutive_failures` reached: locked for `lockout_seconds`",
            ),
            Self::ConsentRevoked => Some("admin API"),
            Self::ConsentWithdrawn => Some("by the citizen, account API or portal"),
            Self::AccountReauthFailed => Some(
                "a wrong password re-entered before a sensitive change; outcome `locked` past 10 \
                 checks per account in 15 minutes",
            ),
            Self::AccountDeleted => Some("no personal data in the event"),
            Self::AccountTotpFailed => Some(
                "a wrong authenticator code while adding the app; counts with \
                 password re-entries toward the per-account limit",
            ),
            Self::AccountTotpRemoved => Some("its recovery codes go too"),
            Self::AccountRecoveryCodesCreated => Some("a new set of 10 replaces the old"),
            Self::TokenRefreshReused => Some("the family is revoked"),
            Self::AdminDenied => Some("outcome `forbidden`, `details.code` says why"),
            Self::AdminUserFactorsReset => Some(
                "`details`: the operator's `identity_check`, `totp_removed`, `passkeys_removed`, `phone_notified`",
            ),
            Self::RecoveryIdentityVerified => {
                Some("`details.outcome`: `recoverable`, `no_digital_id`, `disabled`")
            }
            Self::AccountRecovered => Some("every session and refresh token of the account ends"),
            Self::AccountPhoneChanged => Some("a notice goes to the old number"),
            _ => None,
        }
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Success,
    /// Refused or failed (a wrong password, a wrong code, a replay).
    Failure,
    /// Refused because a limit was reached (a lock-out).
    Locked,
    /// Refused because the caller lacks the right (scope, role).
    Forbidden,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Locked => "locked",
            Self::Forbidden => "forbidden",
        }
    }
}

/// One event about to be recorded.
#[derive(Debug, Clone)]
pub struct Entry {
    /// `user:<uuid>`, `client:<id>`, `cli`, `anonymous`, …
    pub actor: String,
    pub action: AuditAction,
    pub target: Option<String>,
    pub request_id: Option<String>,
    pub outcome: Outcome,
    /// Never a secret, a code, a name, a phone number or a citizen ID.
    pub details: Value,
}

impl Entry {
    pub fn new(actor: impl Into<String>, action: AuditAction, outcome: Outcome) -> Self {
        Self {
            actor: actor.into(),
            action,
            target: None,
            request_id: None,
            outcome,
            details: Value::Object(serde_json::Map::new()),
        }
    }

    #[must_use]
    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    #[must_use]
    pub fn maybe_target(mut self, target: Option<String>) -> Self {
        self.target = target;
        self
    }

    #[must_use]
    pub fn request_id(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }

    #[must_use]
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Writes audit events; cheap to clone.
#[derive(Debug, Clone)]
pub struct Auditor {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl Auditor {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The record of `entry`, stamped now (for units of work that write it
    /// in their own transaction).
    pub fn event(&self, entry: Entry) -> AuditEvent {
        event_at(self.clock.now(), entry)
    }

    /// Records `entry`, awaited; a failed write is logged (with the action
    /// and the request id), and the caller's answer stands.
    pub async fn record(&self, entry: Entry) {
        record_in(self.store.as_ref(), self.clock.as_ref(), entry).await;
    }

    /// Records `entry`, awaited, and says whether it was written: for
    /// actions that must not happen unrecorded.
    pub async fn try_record(&self, entry: Entry) -> Result<(), StorageError> {
        try_record_in(self.store.as_ref(), self.clock.as_ref(), entry).await
    }
}

/// The record of `entry` at `at`.
pub fn event_at(at: time::OffsetDateTime, entry: Entry) -> AuditEvent {
    AuditEvent {
        id: Uuid::now_v7(),
        at,
        actor: entry.actor,
        action: entry.action.as_str().to_owned(),
        target: entry.target,
        request_id: entry.request_id,
        outcome: entry.outcome.as_str().to_owned(),
        details: entry.details,
    }
}

/// [`Auditor::record`] for callers holding the store by reference (the
/// CLI).
pub async fn record_in(store: &dyn Store, clock: &dyn Clock, entry: Entry) {
    let (action, request_id) = (entry.action, entry.request_id.clone());
    if let Err(e) = try_record_in(store, clock, entry).await {
        tracing::error!(
            error = %e,
            audit.action = action.as_str(),
            request_id = request_id.as_deref().unwrap_or("-"),
            "audit write failed"
        );
    }
}

/// [`Auditor::try_record`] for callers holding the store by reference.
pub async fn try_record_in(
    store: &dyn Store,
    clock: &dyn Clock,
    entry: Entry,
) -> Result<(), StorageError> {
    tracing::info!(
        event.kind = "security",
        action = entry.action.as_str(),
        outcome = entry.outcome.as_str(),
        "audit"
    );
    store.append_audit(&event_at(clock.now(), entry)).await
}

/// The README's table of audit actions, generated from [`AuditAction::ALL`]
/// (a test in the server crate compares it with README.md).
pub fn readme_table() -> String {
    let mut out = String::from("| area | actions |\n| --- | --- |\n");
    for area in AuditArea::ALL {
        let names: Vec<String> = AuditAction::ALL
            .iter()
            .filter(|a| a.area() == area)
            .map(|a| match a.note() {
                Some(note) => format!("`{a}` ({note})"),
                None => format!("`{a}`"),
            })
            .collect();
        out.push_str(&format!("| {} | {} |\n", area.title(), names.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_distinct_name_in_its_area_namespace() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            assert!(seen.insert(a.as_str()), "{a} twice");
            let prefix = match a.area() {
                AuditArea::Enrollment => "enrollment.",
                AuditArea::SignIn => "log",
                AuditArea::ConsentAndTokens => "",
                AuditArea::Clients => "client.",
                AuditArea::KeysAndAccounts => "",
                AuditArea::Account if a.as_str().starts_with("recovery.") => "recovery.",
                AuditArea::Account => "account.",
                AuditArea::Admin => "admin.",
            };
            assert!(a.as_str().starts_with(prefix), "{a} in {:?}", a.area());
        }
    }

    /// The README's table is this list: change one, change both (the
    /// message carries the table to paste).
    #[test]
    fn the_readme_table_is_generated_from_the_list() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .unwrap();
        let start = readme
            .find("| area | actions |")
            .expect("the README's audit table");
        let end = readme[start..]
            .find("\n\n")
            .map_or(readme.len(), |e| start + e + 1);
        let expected = readme_table();
        assert_eq!(
            &readme[start..end],
            expected,
            "README.md's audit table differs from AuditAction::ALL; it should read:\n{expected}"
        );
    }

    #[test]
    fn the_table_lists_every_action_once() {
        let table = readme_table();
        for a in AuditAction::ALL {
            assert_eq!(table.matches(&format!("`{a}`")).count(), 1, "{a}");
        }
    }
}

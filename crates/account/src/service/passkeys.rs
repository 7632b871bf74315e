//! The account's passkeys: listing them, registering one (a WebAuthn
//! ceremony in two requests, its pending state in the ephemeral store so
//! any node finishes what another started), and removing one after the
//! password is re-entered.
//!
//! The WebAuthn challenge is drawn by `webauthn-rs` itself; the handle
//! under which the pending state waits is Pratu's own random.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::passkey::{PasskeyError, RelyingParty};
use pratu_core::random::Random;
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;
use pratu_storage::records::Passkey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::notices::Notice;
use super::{AccountError, AccountService, Result};

/// How long a registration may take between the options and the answer:
/// the browser's dialog, a PIN or a fingerprint.
pub const REGISTRATION_TTL: Duration = Duration::from_secs(5 * 60);
/// The longest name a passkey may be given, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Passkeys per account: enough for every device a person has.
pub const MAX_PASSKEYS: usize = 20;

/// A passkey as its owner sees it.
#[derive(Debug, Clone)]
pub struct PasskeyView {
    /// The credential ID, base64url: what removing it names.
    pub id: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// A registration in progress: whose, and the library's state.
#[derive(Serialize, Deserialize)]
struct Pending {
    user_id: Uuid,
    state: Vec<u8>,
}

fn pending_key(handle: &str) -> String {
    format!("account:passkey_reg:{handle}")
}

impl From<PasskeyError> for AccountError {
    fn from(e: PasskeyError) -> Self {
        match e {
            PasskeyError::Unsupported => Self::PasskeysUnsupported,
            PasskeyError::Malformed | PasskeyError::Refused => Self::PasskeyRefused,
            PasskeyError::State => Self::internal(e),
        }
    }
}

impl AccountService {
    fn relying_party(&self) -> Result<RelyingParty> {
        Ok(RelyingParty::for_issuer(self.provider.issuer())?)
    }

    /// Whether this deployment can register passkeys at all (its issuer is
    /// a domain name; browsers refuse IP addresses).
    pub fn passkeys_supported(&self) -> bool {
        self.relying_party().is_ok()
    }

    /// The account's passkeys, oldest first.
    pub async fn passkeys(&self, user_id: Uuid) -> Result<Vec<PasskeyView>> {
        Ok(self
            .store
            .passkeys_of_user(user_id)
            .await?
            .into_iter()
            .map(|p| PasskeyView {
                id: URL_SAFE_NO_PAD.encode(&p.credential_id),
                name: p.name,
                created_at: p.created_at,
                last_used_at: p.last_used_at,
            })
            .collect())
    }

    /// Starts registering a passkey: the options for
    /// `navigator.credentials.create` and the handle to answer with.
    pub async fn start_passkey_registration(
        &self,
        random: &dyn Random,
        user_id: Uuid,
    ) -> Result<(String, Value)> {
        let user = self.active_user(user_id).await?;
        let existing: Vec<Vec<u8>> = self
            .store
            .passkeys_of_user(user.id)
            .await?
            .into_iter()
            .map(|p| p.credential_id)
            .collect();
        if existing.len() >= MAX_PASSKEYS {
            return Err(AccountError::TooManyPasskeys);
        }
        let (options, state) =
            self.relying_party()?
                .start_registration(user.id, &user.username, existing)?;
        let handle = random.token(24);
        let pending = serde_json::to_vec(&Pending {
            user_id: user.id,
            state,
        })
        .map_err(AccountError::internal)?;
        self.ephemeral
            .put(&pending_key(&handle), &pending, REGISTRATION_TTL)
            .await?;
        Ok((handle, options))
    }

    /// Finishes a registration: the browser's answer (JSON text) verified
    /// against the pending state (used once), the passkey stored under
    /// `name` and audited (`account.passkey_added`; the name stays out of
    /// the audit, it may be personal).
    pub async fn finish_passkey_registration(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        handle: &str,
        name: &str,
        answer: &str,
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(AccountError::InvalidPasskeyName);
        }
        let pending = match self.ephemeral.take(&pending_key(handle)).await? {
            Some(p) => p,
            None => return Err(AccountError::PasskeyExpired),
        };
        let pending: Pending = serde_json::from_slice(&pending).map_err(AccountError::internal)?;
        if pending.user_id != user_id {
            // Another account's ceremony: not this one's to finish.
            return Err(AccountError::PasskeyExpired);
        }
        let user = self.active_user(user_id).await?;
        let new = self
            .relying_party()?
            .finish_registration(answer, &pending.state)?;
        let passkey = Passkey {
            credential_id: new.credential_id,
            user_id: user.id,
            name: name.to_owned(),
            credential: new.credential,
            created_at: self.clock.now(),
            last_used_at: None,
        };
        match self.store.add_passkey(&passkey).await {
            Ok(()) => {}
            // Registered already (here or to another account): the
            // authenticator should have refused; nothing is stored twice.
            Err(StorageError::AlreadyExists { .. }) => return Err(AccountError::PasskeyRefused),
            Err(StorageError::NotFound { .. }) => return Err(AccountError::AccountGone),
            Err(e) => return Err(e.into()),
        }
        let notified = self.notify(&user, Notice::PasskeyAdded).await;
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountPasskeyAdded,
            Outcome::Success,
            json!({"phone_notified": notified}),
        )
        .await?;
        Ok(())
    }

    /// Removes one of the account's passkeys, `id` as
    /// [`PasskeyView::id`], after the password is re-entered (a passkey
    /// signs in alone: taking one away is as sensitive as changing the
    /// password). Audited (`account.passkey_removed`).
    pub async fn remove_passkey(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        id: &str,
        password: &str,
    ) -> Result<()> {
        let user = self.active_user(user_id).await?;
        self.reauthenticate(ctx, &user, password).await?;
        let credential_id = URL_SAFE_NO_PAD
            .decode(id)
            .map_err(|_| AccountError::PasskeyNotFound)?;
        if !self.store.remove_passkey(user.id, &credential_id).await? {
            return Err(AccountError::PasskeyNotFound);
        }
        let notified = self.notify(&user, Notice::PasskeyRemoved).await;
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountPasskeyRemoved,
            Outcome::Success,
            json!({"phone_notified": notified}),
        )
        .await?;
        Ok(())
    }
}

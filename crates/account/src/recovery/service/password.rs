//! Step 5: the new password; every session and refresh token of the
//! account ends.

use pratu_core::audit::{AuditAction, Entry, Outcome};
use pratu_core::domain::{Password, Username, UsernamePolicy};
use pratu_core::web::RequestContext;
use serde_json::json;

use super::RecoveryService;
use crate::recovery::error::{FieldCode, RecoveryError, password_kind};
use crate::recovery::state::{Step, key};
use crate::recovery::token::RecoveryAccess;

/// What the finished recovery did beyond the password: the second factors
/// it removed, which the citizen is told about so they add them again
/// (and notice if one was not theirs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    pub username: String,
    /// The authenticator app (and its recovery codes) was removed.
    pub authenticator_app_removed: bool,
    pub passkeys_removed: u32,
}

impl Recovered {
    pub fn second_factors_removed(&self) -> bool {
        self.authenticator_app_removed || self.passkeys_removed > 0
    }
}

impl RecoveryService {
    /// Step 5: the new password. Every session and refresh token of the
    /// account ends, and every second factor is removed; the recovery is
    /// over.
    #[tracing::instrument(name = "pratu.recovery.password", skip_all, fields(recovery.id = %access.id), err(Display))]
    pub async fn set_password(
        &self,
        ctx: &RequestContext,
        access: &RecoveryAccess,
        password: &str,
    ) -> Result<Recovered, RecoveryError> {
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
        // Proving the card again stands in for a lost authenticator app
        // too: the app and its recovery codes go, and the audit says so.
        // So do the passkeys: one signs in alone, and one planted by
        // whoever held the account must not outlive its recovery.
        let totp_removed = d.store.delete_totp(user.id).await?;
        let mut passkeys_removed = 0u32;
        for passkey in d.store.passkeys_of_user(user.id).await? {
            if d.store
                .remove_passkey(user.id, &passkey.credential_id)
                .await?
            {
                passkeys_removed += 1;
            }
        }
        let second_factors_removed = totp_removed || passkeys_removed > 0;
        let ended = self.provider().end_user_sessions(user.id).await?;
        // The card was proved again: a lock-out run up by someone guessing
        // must not keep the owner out of the account just recovered.
        self.provider()
            .forgive_sign_in_failures(&user.username)
            .await?;
        let actor = format!("user:{}", user.id);
        self.auditor
            .try_record(
                Entry::new(actor, AuditAction::AccountRecovered, Outcome::Success)
                    .target(format!("user:{}", user.id))
                    .request_id(ctx.request_id.clone())
                    .details(json!({
                        "recovery": access.id,
                        "refresh_tokens_revoked": ended,
                        "second_factors_removed": second_factors_removed,
                        "passkeys_removed": passkeys_removed,
                    })),
            )
            .await?;
        // Done: the token continues nothing any more.
        let _gone = d.ephemeral.delete(&key(access.id)).await?;
        Ok(Recovered {
            username: user.username,
            authenticator_app_removed: totp_removed,
            passkeys_removed,
        })
    }
}

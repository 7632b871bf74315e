//! `/admin/api/v1/users/{id}/factors`: which second factors an account
//! has, and their reset by an operator for a citizen who lost them (a new
//! phone without the authenticator app, a lost security key) and came to
//! a service counter. Without this the citizen's only way back is the
//! self-service recovery, which needs the card reader and the phone.
//!
//! The view says what exists, never what it is: no TOTP secret, no
//! credential bytes, no phone number. A reset needs the operator to write
//! down how they verified the person (`identity_check`): removing a factor
//! weakens an account, so the audit trail must show on what ground.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use pratu_core::audit::{AuditAction, Entry, Outcome};
use pratu_core::sms::{Notice, SmsMessage};
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{audited, body};
use crate::auth::Operator;
use crate::problem::{ApiError, Problem};
use crate::state::AdminState;

/// The longest `identity_check` kept: a sentence, not a file.
pub const IDENTITY_CHECK_MAX_CHARS: usize = 200;

/// The account's phone as a factor: only whether it is verified.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmsFactor {
    pub phone_verified: bool,
}

/// The authenticator app (TOTP), without its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotpView {
    /// `false` while enrolled but no code verified yet (not a factor yet).
    pub active: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub activated_at: Option<OffsetDateTime>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
}

/// A passkey, without its credential.
#[derive(Debug, Serialize, ToSchema)]
pub struct PasskeyView {
    /// The name the citizen gave it.
    pub name: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<OffsetDateTime>,
}

/// The second factors of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Factors {
    pub sms: SmsFactor,
    /// `null` when the account has no authenticator app.
    pub totp: Option<TotpView>,
    /// Oldest first.
    pub passkeys: Vec<PasskeyView>,
}

/// A reset's request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ResetRequest {
    /// How the operator verified that the person asking is the account's
    /// holder, e.g. "in person at the Bang Rak office with the ID card".
    /// Required, at most 200 characters; kept in the audit trail, so it
    /// must not hold the citizen's personal data.
    pub identity_check: Option<String>,
    /// Which factors to remove: `totp` (with its recovery codes) and/or
    /// `passkeys` (every one). Both when absent.
    pub factors: Option<Vec<String>>,
}

/// What a reset removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResetResult {
    /// Whether an authenticator app (active or pending) was removed.
    pub totp_removed: bool,
    /// How many passkeys were removed.
    pub passkeys_removed: u32,
}

/// A reset's checked request: what to remove and on what ground.
#[derive(Debug, PartialEq, Eq)]
struct Reset {
    identity_check: String,
    totp: bool,
    passkeys: bool,
}

impl TryFrom<ResetRequest> for Reset {
    type Error = ApiError;

    fn try_from(r: ResetRequest) -> Result<Self, ApiError> {
        let check = r.identity_check.as_deref().map(str::trim).unwrap_or("");
        if check.is_empty() {
            return Err(ApiError::BadRequest(
                "identity_check is required: say how you verified the person, \
                 e.g. in person with the ID card"
                    .into(),
            ));
        }
        if check.chars().count() > IDENTITY_CHECK_MAX_CHARS {
            return Err(ApiError::BadRequest(format!(
                "identity_check is longer than {IDENTITY_CHECK_MAX_CHARS} characters"
            )));
        }
        if check.chars().any(char::is_control) {
            return Err(ApiError::BadRequest(
                "identity_check must be one line of text".into(),
            ));
        }
        let (mut totp, mut passkeys) = (false, false);
        match r.factors {
            None => (totp, passkeys) = (true, true),
            Some(names) => {
                for name in &names {
                    match name.as_str() {
                        "totp" => totp = true,
                        "passkeys" => passkeys = true,
                        _ => {
                            return Err(ApiError::BadRequest(
                                "factors may hold only totp and passkeys".into(),
                            ));
                        }
                    }
                }
                if !(totp || passkeys) {
                    return Err(ApiError::BadRequest(
                        "factors is empty: name totp, passkeys or both (or leave it out)".into(),
                    ));
                }
            }
        }
        Ok(Self {
            identity_check: check.to_owned(),
            totp,
            passkeys,
        })
    }
}

fn target(id: Uuid) -> Option<String> {
    Some(format!("user:{id}"))
}

async fn factors_of(s: &AdminState, id: Uuid) -> Result<Factors, ApiError> {
    let user = super::users::load(s, id).await?;
    let store = &s.0.store;
    let totp = match store.totp_of_user(id).await? {
        Some(t) => Some(TotpView {
            active: t.is_active(),
            activated_at: t.activated_at,
            recovery_codes_left: store.recovery_codes_left(id).await?,
        }),
        None => None,
    };
    let passkeys = store
        .passkeys_of_user(id)
        .await?
        .into_iter()
        .map(|p| PasskeyView {
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        })
        .collect();
    Ok(Factors {
        sms: SmsFactor {
            phone_verified: user.phone_verified,
        },
        totp,
        passkeys,
    })
}

#[utoipa::path(get, path = "/admin/api/v1/users/{user_id}/factors", tag = "users",
    params(("user_id" = Uuid, Path)),
    responses((status = 200, description = "The account's second factors; no secrets, credentials or phone number", body = Factors), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn show(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<Uuid>,
) -> Result<Json<Factors>, ApiError> {
    let r = factors_of(&s, id).await;
    let f = audited(&s, &op, AuditAction::AdminUserFactorsShown, target(id), r).await?;
    Ok(Json(f))
}

/// Removes the factors asked for, then records what was removed.
///
/// The removals are separate writes (the TOTP with its recovery codes in
/// one transaction, each passkey in its own), as in the self-service
/// recovery, and the record comes after them with the counts that
/// actually happened. If the record cannot be written the answer is an
/// error, not success: the operator retries, which removes whatever is
/// left and records the reset then. Sessions are kept: the person at the
/// counter is the holder, and what they lost was a factor, not the
/// account.
async fn reset_factors(
    s: &AdminState,
    op: &Operator,
    id: Uuid,
    reset: &Reset,
) -> Result<ResetResult, ApiError> {
    let user = super::users::load(s, id).await?;
    let store = &s.0.store;
    let totp_removed = reset.totp && store.delete_totp(id).await?;
    let mut passkeys_removed = 0u32;
    if reset.passkeys {
        for passkey in store.passkeys_of_user(id).await? {
            if store.remove_passkey(id, &passkey.credential_id).await? {
                passkeys_removed += 1;
            }
        }
    }
    // The holder is told, so a reset talked out of a clerk by someone else
    // does not go unnoticed; a courtesy the gateway may fail to carry.
    let phone = user.phone.as_deref().filter(|_| user.phone_verified);
    let phone_notified = match phone {
        Some(to) if totp_removed || passkeys_removed > 0 => {
            let notice = SmsMessage {
                to: to.to_owned(),
                text: Notice::FactorsReset.text().to_owned(),
            };
            match s.0.sms.send(&notice).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "the factor reset notice was not sent");
                    false
                }
            }
        }
        _ => false,
    };
    let entry = Entry::new(
        op.actor.clone(),
        AuditAction::AdminUserFactorsReset,
        Outcome::Success,
    )
    .maybe_target(target(id))
    .request_id(op.request_id.clone())
    .details(json!({
        "identity_check": reset.identity_check,
        "totp_removed": totp_removed,
        "passkeys_removed": passkeys_removed,
        "phone_notified": phone_notified,
    }));
    s.0.auditor.try_record(entry).await?;
    Ok(ResetResult {
        totp_removed,
        passkeys_removed,
    })
}

#[utoipa::path(post, path = "/admin/api/v1/users/{user_id}/factors/reset", tag = "users",
    params(("user_id" = Uuid, Path)),
    request_body = ResetRequest,
    responses((status = 200, description = "The factors asked for are removed (TOTP with its recovery codes, every passkey); sessions are kept", body = ResetResult), (status = 400, description = "No identity_check, or a bad body", body = Problem), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn reset(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<Uuid>,
    b: Result<Json<ResetRequest>, JsonRejection>,
) -> Result<Json<ResetResult>, ApiError> {
    let checked = body(b).and_then(Reset::try_from);
    let r = match checked {
        Ok(reset) => reset_factors(&s, &op, id, &reset).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(done) => Ok(Json(done)),
        // A refusal is recorded like any refused admin call.
        Err(e) => audited(
            &s,
            &op,
            AuditAction::AdminUserFactorsReset,
            target(id),
            Err(e),
        )
        .await
        .map(Json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(check: Option<&str>, factors: Option<&[&str]>) -> Result<Reset, ApiError> {
        Reset::try_from(ResetRequest {
            identity_check: check.map(str::to_owned),
            factors: factors.map(|f| f.iter().map(|s| (*s).to_owned()).collect()),
        })
    }

    #[test]
    fn a_reset_needs_a_short_one_line_identity_check() {
        for bad in [None, Some(""), Some("   "), Some("in person\nwith card")] {
            assert!(
                matches!(req(bad, None), Err(ApiError::BadRequest(_))),
                "{bad:?}"
            );
        }
        let long = "x".repeat(IDENTITY_CHECK_MAX_CHARS + 1);
        assert!(matches!(
            req(Some(&long), None),
            Err(ApiError::BadRequest(_))
        ));
        // Thai text counts in characters, not bytes.
        let thai = "ก".repeat(IDENTITY_CHECK_MAX_CHARS);
        assert!(req(Some(&thai), None).is_ok());
        let r = req(Some("  in person with the ID card "), None).unwrap();
        assert_eq!(r.identity_check, "in person with the ID card");
    }

    #[test]
    fn factors_default_to_both_and_refuse_unknown_or_none() {
        let both = req(Some("card"), None).unwrap();
        assert!(both.totp && both.passkeys);
        let totp = req(Some("card"), Some(&["totp"])).unwrap();
        assert!(totp.totp && !totp.passkeys);
        let pk = req(Some("card"), Some(&["passkeys"])).unwrap();
        assert!(!pk.totp && pk.passkeys);
        assert!(matches!(
            req(Some("card"), Some(&["sms"])),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            req(Some("card"), Some(&[])),
            Err(ApiError::BadRequest(_))
        ));
    }
}

//! The recovery state machine: what a recovery remembers between steps, kept
//! in the ephemeral store under `recovery:<id>` until it expires
//! (`account.recovery_ttl_seconds`) or succeeds. Never holds the citizen ID
//! in clear (sealed, plus its blind index), a laser code, a code or a
//! password; the token only as its digest.
//!
//! ```text
//! identity --card proofed, account found--> phone --code sent--> otp
//!   otp --code sent again / to another number--> otp
//!   otp --code verified--> password --password set--> (deleted)
//! ```

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a recovery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Started with a citizen ID; waiting for the card's details.
    Identity,
    /// The card is proofed and the account found; waiting for where the code
    /// goes (the registered phone or a new number).
    Phone,
    /// A code went out; waiting for it.
    Otp,
    /// The code was right; waiting for the new password.
    Password,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Phone => "phone",
            Self::Otp => "otp",
            Self::Password => "password",
        }
    }
}

/// What a caller asks a recovery to do, for [`Recovery::allows`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    ProveIdentity,
    SendCode,
    VerifyCode,
    SetPassword,
}

/// Where the live code went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeTarget {
    /// E.164.
    pub e164: String,
    /// A new number (lost phone) rather than the registered one.
    pub new_number: bool,
}

/// The persisted recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// SHA-256 of the recovery token (base64url).
    pub token_digest: String,
    /// The citizen ID sealed with aad `citizen_id` (base64url).
    pub citizen_sealed: String,
    /// The citizen ID's blind index (hex): the account lookup and the
    /// per-citizen proofing counter.
    pub citizen_index: String,
    pub stage: Stage,
    /// The account, once the card is proofed.
    pub user_id: Option<Uuid>,
    pub code_to: Option<CodeTarget>,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Recovery {
    /// Whether `step` may run now.
    pub fn allows(&self, step: Step) -> bool {
        match step {
            Step::ProveIdentity => self.stage == Stage::Identity,
            Step::SendCode => {
                matches!(self.stage, Stage::Phone | Stage::Otp) && self.user_id.is_some()
            }
            Step::VerifyCode => self.stage == Stage::Otp && self.code_to.is_some(),
            Step::SetPassword => self.stage == Stage::Password && self.user_id.is_some(),
        }
    }

    /// The card was proofed and belongs to `user`.
    pub fn proofed(&mut self, user: Uuid) {
        self.user_id = Some(user);
        self.stage = Stage::Phone;
    }

    /// A code went to `target`; an earlier one is void.
    pub fn code_sent(&mut self, target: CodeTarget) {
        self.code_to = Some(target);
        self.stage = Stage::Otp;
    }

    /// The code was right: the new password may be set.
    pub fn code_verified(&mut self) {
        self.stage = Stage::Password;
    }

    /// The OTP subject of codes to the registered or to a new number: two,
    /// so the resend cooldown of one does not hold up the other (a citizen
    /// who finds out the old phone is gone asks for a new number at once).
    pub fn otp_subject(id: Uuid, new_number: bool) -> String {
        if new_number {
            format!("recover:{id}:new")
        } else {
            format!("recover:{id}:registered")
        }
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// The ephemeral-store key of a recovery.
pub fn key(id: Uuid) -> String {
    format!("recovery:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Recovery {
        Recovery {
            token_digest: "d".into(),
            citizen_sealed: "s".into(),
            citizen_index: "ab".into(),
            stage: Stage::Identity,
            user_id: None,
            code_to: None,
            expires_at: 0,
        }
    }

    #[test]
    fn each_step_opens_only_the_next() {
        let mut r = fresh();
        assert!(r.allows(Step::ProveIdentity));
        for step in [Step::SendCode, Step::VerifyCode, Step::SetPassword] {
            assert!(!r.allows(step), "{step:?} before proofing");
        }
        r.proofed(Uuid::new_v4());
        assert!(!r.allows(Step::ProveIdentity), "proofed once");
        assert!(r.allows(Step::SendCode));
        assert!(!r.allows(Step::VerifyCode), "no code sent yet");
        assert!(!r.allows(Step::SetPassword), "no code verified yet");
        r.code_sent(CodeTarget {
            e164: "+66812345678".into(),
            new_number: false,
        });
        assert!(r.allows(Step::VerifyCode));
        assert!(r.allows(Step::SendCode), "again, or to a new number");
        assert!(!r.allows(Step::SetPassword));
        r.code_verified();
        assert!(r.allows(Step::SetPassword));
        for step in [Step::ProveIdentity, Step::SendCode, Step::VerifyCode] {
            assert!(!r.allows(step), "{step:?} after the code");
        }
    }

    #[test]
    fn it_round_trips_and_codes_to_each_number_have_their_own_subject() {
        let mut r = fresh();
        r.proofed(Uuid::nil());
        let back = Recovery::from_bytes(&r.to_bytes().unwrap()).unwrap();
        assert_eq!(back, r);
        let id = Uuid::new_v4();
        assert_ne!(
            Recovery::otp_subject(id, true),
            Recovery::otp_subject(id, false)
        );
    }
}

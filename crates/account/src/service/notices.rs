//! Notices by SMS after a change to how the account signs in (password,
//! authenticator app, passkeys, phone), so a change made by whoever holds
//! a stolen session or password does not go unnoticed (OWASP ASVS 2.2.3).
//!
//! A notice carries no link a phisher could imitate and no personal data:
//! what changed, and what to do if it was not the citizen. It is a
//! courtesy: the change is made and audited whether or not the gateway
//! carries it (the audit record says whether it went).

use pratu_core::sms::SmsMessage;
use pratu_storage::records::User;

use super::AccountService;

/// What changed (Thai first, then English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Notice {
    PasswordChanged,
    /// Sent to the old number.
    PhoneChanged,
    AuthenticatorAdded,
    AuthenticatorRemoved,
    PasskeyAdded,
    PasskeyRemoved,
}

impl Notice {
    fn text(self) -> &'static str {
        match self {
            Self::PasswordChanged => {
                "Pratu: รหัสผ่านของบัญชี Digital ID ของคุณถูกเปลี่ยนแล้ว \
                 หากคุณไม่ได้ทำ โปรดกู้คืนบัญชีทันที / The password of your Digital ID \
                 was changed. If this was not you, recover your account now."
            }
            Self::PhoneChanged => {
                "Pratu: เบอร์มือถือของบัญชี Digital ID ของคุณถูกเปลี่ยนแล้ว \
                 หากคุณไม่ได้ทำ โปรดกู้คืนบัญชีทันที / The mobile number of your Digital ID \
                 was changed. If this was not you, recover your account now."
            }
            Self::AuthenticatorAdded => {
                "Pratu: มีการเพิ่มแอปยืนยันตัวตนในบัญชี Digital ID ของคุณ \
                 หากคุณไม่ได้ทำ โปรดกู้คืนบัญชีทันที / An authenticator app was added to \
                 your Digital ID. If this was not you, recover your account now."
            }
            Self::AuthenticatorRemoved => {
                "Pratu: แอปยืนยันตัวตนถูกลบออกจากบัญชี Digital ID ของคุณ \
                 หากคุณไม่ได้ทำ โปรดกู้คืนบัญชีทันที / The authenticator app was removed \
                 from your Digital ID. If this was not you, recover your account now."
            }
            Self::PasskeyAdded => {
                "Pratu: มีการเพิ่มพาสคีย์ในบัญชี Digital ID ของคุณ \
                 หากคุณไม่ได้ทำ โปรดกู้คืนบัญชีทันที / A passkey was added to your \
                 Digital ID. If this was not you, recover your account now."
            }
            Self::PasskeyRemoved => {
                "Pratu: พาสคีย์ถูกลบออกจากบัญชี Digital ID ของคุณ \
                 หากคุณไม่ได้ทำ โปรดกู้คืนบัญชีทันที / A passkey was removed from your \
                 Digital ID. If this was not you, recover your account now."
            }
        }
    }
}

impl AccountService {
    /// Sends `notice` to the account's verified phone; whether it went
    /// (an account without one is told nothing).
    pub(crate) async fn notify(&self, user: &User, notice: Notice) -> bool {
        match user.phone.as_deref().filter(|_| user.phone_verified) {
            Some(phone) => self.notify_number(phone, notice).await,
            None => false,
        }
    }

    /// Sends `notice` to `phone` (E.164); whether it went.
    pub(crate) async fn notify_number(&self, phone: &str, notice: Notice) -> bool {
        let message = SmsMessage {
            to: phone.to_owned(),
            text: notice.text().to_owned(),
        };
        match self.sms.send(&message).await {
            Ok(()) => true,
            Err(err) => {
                tracing::warn!(error = %err, notice = ?notice, "a change notice was not sent");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_is_in_thai_and_english_without_a_link() {
        for n in [
            Notice::PasswordChanged,
            Notice::PhoneChanged,
            Notice::AuthenticatorAdded,
            Notice::AuthenticatorRemoved,
            Notice::PasskeyAdded,
            Notice::PasskeyRemoved,
        ] {
            let t = n.text();
            assert!(t.contains("Digital ID") && t.contains("บัญชี"), "{t}");
            assert!(!t.contains("http") && !t.contains("www."), "{t}");
            assert!(
                t.chars().count() < 320,
                "{n:?} is {} characters",
                t.chars().count()
            );
        }
    }
}

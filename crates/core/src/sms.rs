//! The SMS port: how OTPs and notices reach a phone. The adapters (outbox
//! file, HTTP gateway) live in `pratu-registration`; the server wires one.

use async_trait::async_trait;

/// One SMS to send. `to` is E.164.
#[derive(Clone)]
pub struct SmsMessage {
    pub to: String,
    pub text: String,
}

impl std::fmt::Debug for SmsMessage {
    // The text carries a one-time code: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsMessage")
            .field("to", &"[redacted]")
            .field("text", &"[redacted]")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The gateway could not be reached or refused; retrying later may work.
    #[error("SMS gateway unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

#[async_trait]
pub trait SmsSender: Send + Sync + std::fmt::Debug {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError>;
}

/// A notice of a change to how an account signs in, sent to its phone so
/// a change made by whoever holds a stolen session, password or a
/// counter clerk's ear does not go unnoticed (OWASP ASVS 2.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    PasswordChanged,
    /// Sent to the old number.
    PhoneChanged,
    AuthenticatorAdded,
    AuthenticatorRemoved,
    PasskeyAdded,
    PasskeyRemoved,
    /// An operator reset the second factors (at a service counter).
    FactorsReset,
}

impl Notice {
    /// The message: what changed, and what to do if it was not the
    /// citizen; no link a phisher could imitate, no personal data.
    pub fn text(self) -> &'static str {
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
            Self::FactorsReset => {
                "Pratu: เจ้าหน้าที่ได้ลบแอปยืนยันตัวตนหรือพาสคีย์ของบัญชี Digital ID ของคุณตามคำขอ \
                 หากคุณไม่ได้ขอ โปรดกู้คืนบัญชีทันที / An officer removed the authenticator app \
                 or passkeys of your Digital ID at your request. If you did not ask, recover your \
                 account now."
            }
            Self::PasskeyRemoved => {
                "Pratu: พาสคีย์ถูกลบออกจากบัญชี Digital ID ของคุณ \
                 หากคุณไม่ได้ทำ โปรดกู้คืนบัญชีทันที / A passkey was removed from your \
                 Digital ID. If this was not you, recover your account now."
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
            Notice::FactorsReset,
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

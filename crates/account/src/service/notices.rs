//! Notices by SMS after a change to how the account signs in (password,
//! authenticator app, passkeys, phone), so a change made by whoever holds
//! a stolen session or password does not go unnoticed (OWASP ASVS 2.2.3).
//!
//! The texts are [`Notice`]'s (`pratu-core`, shared with the admin API's
//! factor reset). A notice is a courtesy: the change is made and audited
//! whether or not the gateway carries it (the audit record says whether
//! it went).

pub(crate) use pratu_core::sms::Notice;
use pratu_core::sms::SmsMessage;
use pratu_storage::records::User;

use super::AccountService;

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

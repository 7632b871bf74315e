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

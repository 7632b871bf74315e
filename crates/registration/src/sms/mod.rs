//! SMS senders (the [`SmsSender`] port of `pratu-storage`): the [`outbox`]
//! file for development and tests, and a generic [`http`] gateway.

use std::path::Path;
use std::sync::Arc;

use pratu_storage::Clock;
use pratu_storage::ports::SmsSender;

use crate::config::{ConfigError, SmsConfig, SmsProvider};

pub mod http;
pub mod outbox;

#[derive(Debug, thiserror::Error)]
pub enum BuildSmsError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot build the SMS gateway client")]
    Http(#[from] http::HttpSmsBuildError),
}

/// Builds the configured sender. The outbox defaults to
/// `<data_dir>/sms-outbox.jsonl`; `clock` stamps `sent_at`.
pub fn build_sms(
    config: &SmsConfig,
    data_dir: &Path,
    clock: Arc<dyn Clock>,
) -> Result<Arc<dyn SmsSender>, BuildSmsError> {
    config.validate()?;
    Ok(match config.provider {
        SmsProvider::Outbox => {
            let path = config
                .outbox
                .clone()
                .unwrap_or_else(|| data_dir.join("sms-outbox.jsonl"));
            Arc::new(outbox::OutboxSender::new(path, clock))
        }
        SmsProvider::Http => Arc::new(http::HttpSmsSender::new(&config.http)?),
    })
}

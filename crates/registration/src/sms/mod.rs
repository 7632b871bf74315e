//! SMS senders (the [`SmsSender`] port of `pratu-storage`): the [`outbox`]
//! file for development and tests, and a generic [`http`] gateway.

use std::path::Path;
use std::sync::Arc;

use pratu_core::sms::SmsSender;
use pratu_storage::{Clock, SystemClock};

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
/// `<data_dir>/sms-outbox.jsonl` and stamps `sent_at` from the wall clock.
pub fn build_sms(config: &SmsConfig, data_dir: &Path) -> Result<Arc<dyn SmsSender>, BuildSmsError> {
    build_sms_with_clock(config, data_dir, Arc::new(SystemClock))
}

/// [`build_sms`] with the clock that stamps the outbox's `sent_at`.
pub fn build_sms_with_clock(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HttpSmsConfig;

    #[tokio::test]
    async fn the_outbox_defaults_to_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let sender = build_sms(&SmsConfig::default(), dir.path()).unwrap();
        let msg = pratu_core::sms::SmsMessage {
            to: "+66812345678".into(),
            text: "t".into(),
        };
        sender.send(&msg).await.unwrap();
        let lines = outbox::read_outbox(&dir.path().join("sms-outbox.jsonl")).unwrap();
        assert_eq!(lines.len(), 1);
    }

    #[test]
    fn an_invalid_http_gateway_is_refused_naming_the_key() {
        let config = SmsConfig {
            provider: SmsProvider::Http,
            http: HttpSmsConfig::default(),
            ..Default::default()
        };
        match build_sms(&config, Path::new(".")) {
            Err(BuildSmsError::Config(e)) => assert_eq!(e.key, "sms.http.url"),
            other => panic!("expected a config error, got {other:?}"),
        }
    }
}

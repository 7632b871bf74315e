use std::time::Duration;

use pratu_core::otp::OtpPolicy;
use serde::{Deserialize, Serialize};

use super::ConfigError;

/// Top-level key `otp`: the SMS one-time codes of the phone step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OtpConfig {
    pub ttl_seconds: u64,
    /// Wrong guesses allowed per code before it is locked.
    pub max_attempts: u32,
    pub resend_cooldown_seconds: u64,
    /// Codes sent per enrollment within `send_window_seconds`.
    pub max_sends: u32,
    pub send_window_seconds: u64,
}

impl Default for OtpConfig {
    fn default() -> Self {
        let p = OtpPolicy::default();
        Self {
            ttl_seconds: p.ttl.as_secs(),
            max_attempts: p.max_attempts,
            resend_cooldown_seconds: p.resend_cooldown.as_secs(),
            max_sends: p.max_sends,
            send_window_seconds: p.send_window.as_secs(),
        }
    }
}

impl OtpConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(30..=3600).contains(&self.ttl_seconds) {
            return Err(ConfigError::new(
                "otp.ttl_seconds",
                "must be between 30 and 3600",
            ));
        }
        if !(1..=10).contains(&self.max_attempts) {
            return Err(ConfigError::new(
                "otp.max_attempts",
                "must be between 1 and 10",
            ));
        }
        if self.resend_cooldown_seconds > self.ttl_seconds {
            return Err(ConfigError::new(
                "otp.resend_cooldown_seconds",
                "must not exceed otp.ttl_seconds",
            ));
        }
        if self.max_sends == 0 {
            return Err(ConfigError::new("otp.max_sends", "must be at least 1"));
        }
        if self.send_window_seconds < 60 {
            return Err(ConfigError::new(
                "otp.send_window_seconds",
                "must be at least 60",
            ));
        }
        Ok(())
    }

    pub fn policy(&self) -> OtpPolicy {
        OtpPolicy {
            ttl: Duration::from_secs(self.ttl_seconds),
            max_attempts: self.max_attempts,
            resend_cooldown: Duration::from_secs(self.resend_cooldown_seconds),
            max_sends: self.max_sends,
            send_window: Duration::from_secs(self.send_window_seconds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_domain_recommendation() {
        let c = OtpConfig::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(
            (c.ttl_seconds, c.max_attempts, c.resend_cooldown_seconds),
            (300, 5, 60)
        );
        assert_eq!(c.policy(), OtpPolicy::default());
    }

    #[test]
    fn out_of_range_values_name_their_key() {
        let c = OtpConfig {
            ttl_seconds: 5,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "otp.ttl_seconds");
        let c = OtpConfig {
            max_attempts: 0,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "otp.max_attempts");
    }
}

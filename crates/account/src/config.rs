//! The `[account]` configuration section.

use serde::{Deserialize, Serialize};

/// `[account]`: the citizen's front door, portal, account API and recovery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AccountConfig {
    /// How long a portal sign-in lasts, in seconds (the portal's session
    /// cookie; the account is checked on every page too).
    pub portal_session_seconds: u64,
    /// How long a recovery may take from its first step, in seconds.
    pub recovery_ttl_seconds: u64,
}

impl Default for AccountConfig {
    fn default() -> Self {
        Self {
            portal_session_seconds: 1800,
            recovery_ttl_seconds: 1800,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("account.{key}: {problem}")]
pub struct AccountConfigError {
    pub key: &'static str,
    pub problem: &'static str,
}

impl AccountConfig {
    pub fn validate(&self) -> Result<(), AccountConfigError> {
        if !(60..=86_400).contains(&self.portal_session_seconds) {
            return Err(AccountConfigError {
                key: "portal_session_seconds",
                problem: "must be between 60 and 86400",
            });
        }
        if !(300..=86_400).contains(&self.recovery_ttl_seconds) {
            return Err(AccountConfigError {
                key: "recovery_ttl_seconds",
                problem: "must be between 300 and 86400",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bounds_are_checked() {
        assert!(AccountConfig::default().validate().is_ok());
        let c = AccountConfig {
            portal_session_seconds: 10,
            ..AccountConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "portal_session_seconds");
    }
}

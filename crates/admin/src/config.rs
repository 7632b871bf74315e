//! The `[admin]` configuration section.

use serde::{Deserialize, Serialize};

/// `[admin]`: the admin API and the operator console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdminConfig {
    /// Serve the admin API under `/admin/api` (and its OpenAPI document).
    /// Callers still need an access token with scope `pratu:admin`.
    pub api: bool,
    /// Serve the operator console under `/admin`. At start the server
    /// registers (or updates) the console's own first-party client
    /// `console_client_id`, through which operators sign in.
    pub console: bool,
    /// The console's client id (an internal public client using PKCE).
    pub console_client_id: String,
    /// How long a console sign-in lasts, in seconds (the console's session
    /// cookie; the operator role is checked on every page too).
    pub console_session_seconds: u64,
    /// Largest page a list endpoint returns (`limit` is capped at this).
    pub max_page_size: u32,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            api: true,
            console: true,
            console_client_id: "pratu-console".to_owned(),
            console_session_seconds: 3600,
            max_page_size: 200,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("admin.{key}: {problem}")]
pub struct AdminConfigError {
    pub key: &'static str,
    pub problem: &'static str,
}

impl AdminConfig {
    pub fn validate(&self) -> Result<(), AdminConfigError> {
        if self.max_page_size == 0 || self.max_page_size > 1000 {
            return Err(AdminConfigError {
                key: "max_page_size",
                problem: "must be between 1 and 1000",
            });
        }
        if !(60..=86_400).contains(&self.console_session_seconds) {
            return Err(AdminConfigError {
                key: "console_session_seconds",
                problem: "must be between 60 and 86400",
            });
        }
        let id = &self.console_client_id;
        if id.is_empty()
            || id.len() > 128
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
        {
            return Err(AdminConfigError {
                key: "console_client_id",
                problem: "1-128 characters of A-Z a-z 0-9 - . _ ~",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_bad_values_name_their_key() {
        AdminConfig::default().validate().unwrap();
        let c = AdminConfig {
            max_page_size: 0,
            ..AdminConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "max_page_size");
        let c = AdminConfig {
            console_client_id: "has space".into(),
            ..AdminConfig::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "console_client_id");
    }
}

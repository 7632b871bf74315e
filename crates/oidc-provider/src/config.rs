//! Configuration sections of the provider. The server places each under its
//! key in `pratu.toml` (`tokens`, `session`, `keys`, `clients`,
//! `limits.login`, `assurance`) and hands them over bundled as
//! [`OidcConfig`]. Every section has documented defaults and a `validate()`
//! that names the offending key.

use serde::{Deserialize, Serialize};

pub use pratu_core::limits::PhoneSendLimit;

/// Lifetime of back-channel logout tokens (fixed: they are delivered at
/// once, and short-lived by Back-Channel Logout 1.0's advice).
pub(crate) const LOGOUT_TOKEN_LIFETIME_SECONDS: u64 = 120;

/// A configuration value out of its allowed range; `key` is the full path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

fn check_range(key: &str, value: u64, min: u64, max: u64) -> Result<(), ConfigError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError {
            key: key.to_owned(),
            problem: format!("{value} is outside {min}..={max}"),
        })
    }
}

/// Token lifetimes (key `tokens`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokensConfig {
    /// JWT access tokens; short because they are checked offline by APIs.
    pub access_token_lifetime_seconds: u64,
    pub id_token_lifetime_seconds: u64,
    /// Opaque refresh tokens, rotated on every use: each rotation's token
    /// lives this long (the idle lifetime).
    pub refresh_token_lifetime_seconds: u64,
    /// The most a refresh family lives, counted from the sign-in that
    /// started it, however often it is refreshed: without it every refresh
    /// extends the family, and a token lives for ever.
    pub refresh_absolute_lifetime_seconds: u64,
    /// Authorization codes; RFC 6749 recommends at most 10 minutes.
    pub code_lifetime_seconds: u64,
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self {
            access_token_lifetime_seconds: 600,
            id_token_lifetime_seconds: 600,
            refresh_token_lifetime_seconds: 30 * 24 * 3600,
            refresh_absolute_lifetime_seconds: 90 * 24 * 3600,
            code_lifetime_seconds: 60,
        }
    }
}

impl TokensConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "tokens.access_token_lifetime_seconds",
            self.access_token_lifetime_seconds,
            60,
            3600,
        )?;
        check_range(
            "tokens.id_token_lifetime_seconds",
            self.id_token_lifetime_seconds,
            60,
            3600,
        )?;
        check_range(
            "tokens.refresh_token_lifetime_seconds",
            self.refresh_token_lifetime_seconds,
            300,
            366 * 24 * 3600,
        )?;
        check_range(
            "tokens.refresh_absolute_lifetime_seconds",
            self.refresh_absolute_lifetime_seconds,
            1,
            5 * 366 * 24 * 3600,
        )?;
        check_range(
            "tokens.code_lifetime_seconds",
            self.code_lifetime_seconds,
            10,
            600,
        )
    }

    /// The longest a JWT we signed stays valid: a retired key must stay in
    /// JWKS at least this long.
    pub fn max_signed_token_lifetime_seconds(&self) -> u64 {
        self.access_token_lifetime_seconds
            .max(self.id_token_lifetime_seconds)
            .max(LOGOUT_TOKEN_LIFETIME_SECONDS)
    }
}

/// SSO session (key `session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Absolute lifetime from sign-in.
    pub lifetime_seconds: u64,
    /// The session ends after this long without use.
    pub idle_timeout_seconds: u64,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            lifetime_seconds: 8 * 3600,
            idle_timeout_seconds: 30 * 60,
        }
    }
}

impl SessionConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "session.lifetime_seconds",
            self.lifetime_seconds,
            60,
            30 * 24 * 3600,
        )?;
        check_range(
            "session.idle_timeout_seconds",
            self.idle_timeout_seconds,
            60,
            self.lifetime_seconds.max(60),
        )
    }
}

/// Signing keys (key `keys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeysConfig {
    /// ID-token algorithm for clients that do not name one
    /// (`id_token_signed_response_alg`): `ES256`, `RS256` or `EdDSA`.
    pub default_alg: String,
    /// How often each node re-reads the key table, so a rotation made on
    /// another node (or by `pratu keys rotate`) is published everywhere.
    pub reload_interval_seconds: u64,
    /// A rotated-in key is published this long before it signs, so relying
    /// parties that cached JWKS have fetched it by then. Keep it at least
    /// `jwks_max_age_seconds + reload_interval_seconds`.
    pub activation_delay_seconds: u64,
    /// `Cache-Control: max-age` of the JWKS response.
    pub jwks_max_age_seconds: u64,
}

impl Default for KeysConfig {
    fn default() -> Self {
        Self {
            default_alg: "ES256".to_owned(),
            reload_interval_seconds: 60,
            activation_delay_seconds: 360,
            jwks_max_age_seconds: 300,
        }
    }
}

impl KeysConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if crate::keys::SigningAlg::parse(&self.default_alg).is_none() {
            return Err(ConfigError {
                key: "keys.default_alg".to_owned(),
                problem: "must be ES256, RS256 or EdDSA".to_owned(),
            });
        }
        check_range(
            "keys.reload_interval_seconds",
            self.reload_interval_seconds,
            1,
            3600,
        )?;
        check_range(
            "keys.activation_delay_seconds",
            self.activation_delay_seconds,
            0,
            7 * 24 * 3600,
        )?;
        check_range(
            "keys.jwks_max_age_seconds",
            self.jwks_max_age_seconds,
            0,
            24 * 3600,
        )
    }
}

/// Client registry (key `clients`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientsConfig {
    /// Serve RFC 7591 dynamic client registration at `/connect/register`
    /// (and RFC 7592 management below it). Registrants need an initial
    /// access token from `pratu client registration-token`.
    pub dynamic_registration: bool,
    /// How long a node trusts its cached copy of a client record. Changes
    /// made on the same node take effect at once; on other nodes (or through
    /// the CLI) within this many seconds.
    pub cache_ttl_seconds: u64,
}

impl Default for ClientsConfig {
    fn default() -> Self {
        Self {
            dynamic_registration: false,
            cache_ttl_seconds: 5,
        }
    }
}

impl ClientsConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("clients.cache_ttl_seconds", self.cache_ttl_seconds, 0, 300)
    }
}

/// Sign-in attempt limits (key `limits.login`). Every attempt counts
/// against the typed account name before the password is checked, and only
/// one attempt per account is checked at a time (a concurrent one is refused
/// as locked). After `free_failures` consecutive failures for one account
/// (or `free_failures_per_ip` within `window_seconds` for one address, IPv6
/// by /64), each further failure locks that account or address for
/// `backoff_base_seconds · 2^(excess−1)`, capped at `backoff_max_seconds`.
/// At `max_consecutive_failures` the account is locked for
/// `lockout_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginLimits {
    pub free_failures: u64,
    /// Generous: many citizens share one address behind carrier NAT.
    pub free_failures_per_ip: u64,
    /// The window of an address's failure count. An account's count has no
    /// window: it runs until a successful sign-in or `lockout_seconds`
    /// without a failure.
    pub window_seconds: u64,
    pub backoff_base_seconds: u64,
    pub backoff_max_seconds: u64,
    /// Consecutive failures (wrong passwords and wrong step-up codes) after
    /// which an account is locked even to the right password (NIST SP
    /// 800-63B §5.2.2: at most 100).
    pub max_consecutive_failures: u64,
    /// How long that lock lasts; the failure count is forgotten as long
    /// after the last failure, so at most `max_consecutive_failures`
    /// guesses per account get through in this time.
    pub lockout_seconds: u64,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            free_failures: 5,
            free_failures_per_ip: 100,
            window_seconds: 15 * 60,
            backoff_base_seconds: 2,
            backoff_max_seconds: 15 * 60,
            max_consecutive_failures: 100,
            lockout_seconds: 24 * 3600,
        }
    }
}

impl LoginLimits {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("limits.login.free_failures", self.free_failures, 1, 1000)?;
        check_range(
            "limits.login.free_failures_per_ip",
            self.free_failures_per_ip,
            1,
            1_000_000,
        )?;
        check_range(
            "limits.login.window_seconds",
            self.window_seconds,
            1,
            24 * 3600,
        )?;
        check_range(
            "limits.login.backoff_base_seconds",
            self.backoff_base_seconds,
            1,
            3600,
        )?;
        check_range(
            "limits.login.backoff_max_seconds",
            self.backoff_max_seconds,
            self.backoff_base_seconds,
            24 * 3600,
        )?;
        check_range(
            "limits.login.max_consecutive_failures",
            self.max_consecutive_failures,
            self.free_failures.min(100),
            100,
        )?;
        check_range(
            "limits.login.lockout_seconds",
            self.lockout_seconds,
            60,
            30 * 24 * 3600,
        )
    }
}

/// Assurance (key `assurance`): what the provider says about proofing and
/// which authentication levels it offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssuranceConfig {
    /// Trust frameworks named in `verified_claims` (must match what the
    /// enrollment records in each account's proofing).
    pub trust_frameworks: Vec<String>,
    /// Offer `urn:pratu:acr:aal2` (password + SMS OTP) when an SMS sender
    /// is configured.
    pub step_up: bool,
    /// Lifetime of a step-up OTP.
    pub otp_ttl_seconds: u64,
    /// Wrong guesses allowed per step-up OTP.
    pub otp_max_attempts: u32,
    /// Least time between two step-up codes for one account.
    pub otp_resend_cooldown_seconds: u64,
    /// Step-up codes sent per account a day. Every SMS also counts toward
    /// `limits.otp_sends_per_phone`, shared with enrollment.
    pub otp_max_sends: u32,
}

impl Default for AssuranceConfig {
    fn default() -> Self {
        Self {
            trust_frameworks: vec![pratu_core::assurance::DOPA_LASER_TRUST_FRAMEWORK.to_owned()],
            step_up: true,
            otp_ttl_seconds: 300,
            otp_max_attempts: 5,
            otp_resend_cooldown_seconds: 60,
            otp_max_sends: 5,
        }
    }
}

impl AssuranceConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("assurance.otp_ttl_seconds", self.otp_ttl_seconds, 30, 600)?;
        check_range(
            "assurance.otp_max_attempts",
            u64::from(self.otp_max_attempts),
            1,
            10,
        )?;
        check_range(
            "assurance.otp_resend_cooldown_seconds",
            self.otp_resend_cooldown_seconds,
            0,
            self.otp_ttl_seconds,
        )?;
        check_range(
            "assurance.otp_max_sends",
            u64::from(self.otp_max_sends),
            1,
            20,
        )
    }
}

/// Authorization-request limits (key `limits.authorize`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthorizeLimits {
    /// Authorization requests one address may make in 30 minutes (IPv6:
    /// one /64), each of which may leave a pending request in the ephemeral
    /// store for that long. Generous: many citizens share one address
    /// behind carrier NAT; the store's own bound is the backstop.
    pub pending_per_ip: u64,
}

impl Default for AuthorizeLimits {
    fn default() -> Self {
        Self {
            pending_per_ip: 1000,
        }
    }
}

impl AuthorizeLimits {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "limits.authorize.pending_per_ip",
            self.pending_per_ip,
            1,
            1_000_000,
        )
    }
}

/// Every section the provider reads, bundled for [`crate::OidcDeps`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcConfig {
    pub tokens: TokensConfig,
    pub session: SessionConfig,
    pub keys: KeysConfig,
    pub clients: ClientsConfig,
    pub login: LoginLimits,
    pub authorize: AuthorizeLimits,
    pub assurance: AssuranceConfig,
    /// `limits.otp_sends_per_phone`: step-up codes count on the same
    /// per-phone counter as enrollment's.
    pub otp_sends_per_phone: PhoneSendLimit,
}

impl OidcConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.tokens.validate()?;
        self.session.validate()?;
        self.keys.validate()?;
        self.clients.validate()?;
        self.login.validate()?;
        self.authorize.validate()?;
        self.assurance.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        OidcConfig::default().validate().unwrap();
    }

    #[test]
    fn an_out_of_range_value_names_its_key() {
        let mut c = OidcConfig::default();
        c.tokens.access_token_lifetime_seconds = 10;
        let e = c.validate().unwrap_err();
        assert_eq!(e.key, "tokens.access_token_lifetime_seconds");
        let mut c = OidcConfig::default();
        c.keys.default_alg = "HS256".into();
        assert_eq!(c.validate().unwrap_err().key, "keys.default_alg");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let r: Result<SessionConfig, _> = serde_json::from_str(r#"{"lifetime": 5}"#);
        assert!(r.is_err());
        let s: SessionConfig = serde_json::from_str(r#"{"idle_timeout_seconds": 120}"#).unwrap();
        assert_eq!(
            s.lifetime_seconds,
            SessionConfig::default().lifetime_seconds
        );
    }
}

use serde::{Deserialize, Serialize};

use super::ConfigError;

/// At most `max` events per `window_seconds`: the rule type is shared with
/// recovery, which counts on the same keys.
pub use pratu_core::limits::LimitRule;

fn validate_rule(rule: &LimitRule, key: &str) -> Result<(), ConfigError> {
    if rule.max == 0 {
        return Err(ConfigError::new(format!("{key}.max"), "must be at least 1"));
    }
    if rule.window_seconds == 0 {
        return Err(ConfigError::new(
            format!("{key}.window_seconds"),
            "must be at least 1",
        ));
    }
    Ok(())
}

/// Top-level key `limits`: abuse limits of the enrollment (DESIGN.md). Limits
/// per enrollment, citizen ID and phone are tight; per-IP limits are generous
/// because many citizens share an address behind mobile carrier NAT.
/// `*_failures` limits count refusals only and then lock for the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Enrollments started per IP address.
    pub enrollments_per_ip: LimitRule,
    /// Citizen-ID submissions per IP (slows probing which IDs are enrolled).
    pub citizen_id_per_ip: LimitRule,
    /// Failed proofing checks (wrong laser code, names, date) per enrollment.
    pub proofing_failures_per_enrollment: LimitRule,
    /// Failed proofing checks per citizen ID, across enrollments.
    pub proofing_failures_per_citizen: LimitRule,
    /// Proofing checks per IP address.
    pub proofing_per_ip: LimitRule,
    /// SMS codes sent per phone number, across enrollments.
    pub otp_sends_per_phone: LimitRule,
    /// SMS codes sent per IP address.
    pub otp_sends_per_ip: LimitRule,
    /// Code checks per IP address.
    pub otp_checks_per_ip: LimitRule,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        const HOUR: u64 = 3600;
        const DAY: u64 = 24 * HOUR;
        Self {
            enrollments_per_ip: LimitRule::new(300, HOUR),
            citizen_id_per_ip: LimitRule::new(300, HOUR),
            proofing_failures_per_enrollment: LimitRule::new(5, HOUR),
            proofing_failures_per_citizen: LimitRule::new(10, DAY),
            proofing_per_ip: LimitRule::new(300, HOUR),
            otp_sends_per_phone: LimitRule::new(10, DAY),
            otp_sends_per_ip: LimitRule::new(300, HOUR),
            otp_checks_per_ip: LimitRule::new(1000, HOUR),
        }
    }
}

impl LimitsConfig {
    /// Checks the section as the top-level key `limits`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_at("limits")
    }

    /// Checks the section where the server mounts it (e.g.
    /// `limits.enrollment`), so errors name the real key.
    pub fn validate_at(&self, prefix: &str) -> Result<(), ConfigError> {
        let rules = [
            ("enrollments_per_ip", &self.enrollments_per_ip),
            ("citizen_id_per_ip", &self.citizen_id_per_ip),
            (
                "proofing_failures_per_enrollment",
                &self.proofing_failures_per_enrollment,
            ),
            (
                "proofing_failures_per_citizen",
                &self.proofing_failures_per_citizen,
            ),
            ("proofing_per_ip", &self.proofing_per_ip),
            ("otp_sends_per_phone", &self.otp_sends_per_phone),
            ("otp_sends_per_ip", &self.otp_sends_per_ip),
            ("otp_checks_per_ip", &self.otp_checks_per_ip),
        ];
        for (name, rule) in rules {
            validate_rule(rule, &format!("{prefix}.{name}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_a_zero_limit_names_its_key() {
        assert_eq!(LimitsConfig::default().validate(), Ok(()));
        let c = LimitsConfig {
            otp_sends_per_phone: LimitRule::new(0, 60),
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().key,
            "limits.otp_sends_per_phone.max"
        );
    }

    #[test]
    fn a_partial_section_keeps_the_other_defaults() {
        let c: LimitsConfig =
            serde_json::from_str(r#"{"proofing_per_ip": {"max": 7, "window_seconds": 60}}"#)
                .unwrap();
        assert_eq!(c.proofing_per_ip, LimitRule::new(7, 60));
        assert_eq!(c.otp_sends_per_ip, LimitsConfig::default().otp_sends_per_ip);
    }
}

//! The rules recovery shares with enrollment, handed over by the server from
//! `[enrollment]` and `[limits]`: the same citizen-ID categories, password
//! policy and abuse limits (on the same counters, `pratu_core::limits`).

use pratu_core::domain::{FirstDigits, PasswordPolicy};
use pratu_core::limits::LimitRule;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryPolicy {
    /// `enrollment.citizen_id_first_digits`.
    pub first_digits: FirstDigits,
    /// `enrollment.password`.
    pub password: PasswordPolicy,
    /// `limits.citizen_id_per_ip`: recovery starts count with enrollment's
    /// citizen-ID submissions.
    pub citizen_id_per_ip: LimitRule,
    /// `limits.proofing_failures_per_enrollment`, per recovery here.
    pub proofing_failures_per_recovery: LimitRule,
    /// `limits.proofing_failures_per_citizen`, across enrollments and
    /// recoveries.
    pub proofing_failures_per_citizen: LimitRule,
    /// `limits.proofing_per_ip`.
    pub proofing_per_ip: LimitRule,
    /// `limits.otp_sends_per_ip`.
    pub otp_sends_per_ip: LimitRule,
    /// `limits.otp_checks_per_ip`.
    pub otp_checks_per_ip: LimitRule,
}

impl Default for RecoveryPolicy {
    /// As `[limits]` defaults.
    fn default() -> Self {
        const HOUR: u64 = 3600;
        const DAY: u64 = 24 * HOUR;
        Self {
            first_digits: FirstDigits::default(),
            password: PasswordPolicy::default(),
            citizen_id_per_ip: LimitRule::new(300, HOUR),
            proofing_failures_per_recovery: LimitRule::new(5, HOUR),
            proofing_failures_per_citizen: LimitRule::new(10, DAY),
            proofing_per_ip: LimitRule::new(300, HOUR),
            otp_sends_per_ip: LimitRule::new(300, HOUR),
            otp_checks_per_ip: LimitRule::new(1000, HOUR),
        }
    }
}

//! Names of how an identity was proofed, shared by the enrollment (which
//! records them on the account) and the provider (which advertises them in
//! discovery and releases them in `verified_claims`): one constant, so an
//! app that checks `verified_claims` against discovery accepts Pratu's
//! citizens.

/// The trust framework of laser-code proofing against DOPA's card register
/// (`proofing.trust_framework`, and the default of
/// `assurance.trust_frameworks`).
pub const DOPA_LASER_TRUST_FRAMEWORK: &str = "th_dopa_laser";

/// What accounts proofed before the names were unified record. Released as
/// [`DOPA_LASER_TRUST_FRAMEWORK`]: the same framework, misnamed.
pub const LEGACY_DOPA_LASER_TRUST_FRAMEWORK: &str = "pratu_dopa_laser";

/// The trust framework to release for one recorded on an account.
pub fn released_trust_framework(recorded: &str) -> &str {
    if recorded == LEGACY_DOPA_LASER_TRUST_FRAMEWORK {
        DOPA_LASER_TRUST_FRAMEWORK
    } else {
        recorded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_proofed_under_the_old_name_release_the_advertised_one() {
        assert_eq!(
            released_trust_framework(LEGACY_DOPA_LASER_TRUST_FRAMEWORK),
            DOPA_LASER_TRUST_FRAMEWORK
        );
        assert_eq!(released_trust_framework("eidas"), "eidas");
    }
}

//! Authentication context: `acr` says how the sign-in event was performed,
//! never how the identity was proofed (that is the `ial` claim; DOMAIN.md
//! §4).

/// Password alone.
pub const AAL1: &str = "urn:pratu:acr:aal1";
/// Password plus an SMS OTP to the account's verified phone (step-up).
pub const AAL2: &str = "urn:pratu:acr:aal2";

/// RFC 8176 method references.
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";
pub const AMR_SMS: &str = "sms";

/// Whether a sign-in at `have` satisfies a request for `want`.
pub fn satisfies(have: &str, want: &str) -> bool {
    rank(have) >= rank(want)
}

fn rank(acr: &str) -> u8 {
    match acr {
        AAL2 => 2,
        AAL1 => 1,
        _ => 0,
    }
}

/// Whether any of the requested values (`acr_values`, or the `acr` claim's
/// `value`/`values`) asks for step-up.
pub fn wants_aal2<'a>(requested: impl IntoIterator<Item = &'a str>) -> bool {
    requested.into_iter().any(|v| v == AAL2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aal2_satisfies_aal1_but_not_the_reverse() {
        assert!(satisfies(AAL2, AAL1));
        assert!(satisfies(AAL1, AAL1));
        assert!(!satisfies(AAL1, AAL2));
        assert!(wants_aal2(["x", AAL2]));
        assert!(!wants_aal2([AAL1]));
    }
}

//! Authentication context: `acr` says how the sign-in event was performed,
//! never how the identity was proofed (that is the `ial` claim; DOMAIN.md
//! §4).

/// Password alone.
pub const AAL1: &str = "urn:pratu:acr:aal1";
/// Two factors: the password plus a code from the authenticator app (or
/// one of its recovery codes), plus an SMS code to the account's verified
/// phone, or plus a passkey; or a user-verified passkey alone.
pub const AAL2: &str = "urn:pratu:acr:aal2";

/// RFC 8176 method references.
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";
pub const AMR_SMS: &str = "sms";
/// More than one factor was used.
pub const AMR_MFA: &str = "mfa";

/// Every `acr` value Pratu knows; an operator may name any of them in a
/// client's `default_acr_values`.
pub const KNOWN: [&str; 2] = [AAL1, AAL2];

/// The `acr` values this deployment can reach, as discovery lists them
/// (`acr_values_supported`): aal2 is reached by step-up after the password
/// (`step_up`, `assurance.step_up`: an authenticator app, an SMS code or a
/// passkey), or by a user-verified passkey alone, which a domain issuer
/// offers on its sign-in page. A self-registering client may ask only for
/// these.
pub fn supported(issuer_url: &str, step_up: bool) -> Vec<&'static str> {
    let mut values = vec![AAL1];
    let passkeys = pratu_core::passkey::RelyingParty::for_issuer(issuer_url).is_ok();
    if step_up || passkeys {
        values.push(AAL2);
    }
    values
}

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

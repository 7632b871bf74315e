//! The laser code on the back of a Thai ID card (DOMAIN.md §2): two Latin
//! letters and ten digits. It is used once, for the proofing check, and never
//! stored or logged, so this type has no `Display` and a redacted `Debug`.

use std::fmt;

use zeroize::Zeroizing;

/// Why a laser code was refused. Never carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LaserCodeError {
    #[error("laser code is empty")]
    Empty,
    #[error("laser code must have 2 letters and 10 digits ({found} characters given)")]
    WrongLength { found: usize },
    #[error("laser code must start with 2 Latin letters")]
    LettersExpected,
    #[error("laser code must end with 10 digits")]
    DigitsExpected,
}

/// A well-formed laser code in compact form (`AB1123456789`).
#[derive(Clone, PartialEq, Eq)]
pub struct LaserCode {
    compact: Zeroizing<String>,
}

impl LaserCode {
    /// Normalises as DOMAIN.md §2 says: drop dashes and spaces, upper-case,
    /// read a letter `O` in third place as the digit `0` (a common slip: that
    /// place is always a digit), then require `^[A-Z]{2}[0-9]{10}$`.
    pub fn parse(input: &str) -> Result<Self, LaserCodeError> {
        let mut compact: Vec<char> = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(LaserCodeError::Empty);
        }
        if compact.len() != 12 {
            return Err(LaserCodeError::WrongLength {
                found: compact.len(),
            });
        }
        if compact[2] == 'O' {
            compact[2] = '0';
        }
        if !compact[..2].iter().all(char::is_ascii_uppercase) {
            return Err(LaserCodeError::LettersExpected);
        }
        if !compact[2..].iter().all(char::is_ascii_digit) {
            return Err(LaserCodeError::DigitsExpected);
        }
        Ok(Self {
            compact: Zeroizing::new(compact.into_iter().collect()),
        })
    }

    /// `AB1123456789`: the form the proofing provider takes.
    pub fn expose_compact(&self) -> &str {
        &self.compact
    }

    /// `AB1-1234567-89`: the form printed on the card.
    pub fn expose_printed(&self) -> String {
        let c = self.compact.as_str();
        format!("{}-{}-{}", &c[..3], &c[3..10], &c[10..])
    }
}

impl fmt::Debug for LaserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LaserCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn printed_slipped_and_lower_case_forms_normalise_to_one_compact_code() {
        for input in [
            "JT0-1234567-89",
            "JTO-1234567-89",
            "jto123456789",
            " jt0 1234567 89 ",
        ] {
            assert_eq!(
                LaserCode::parse(input).unwrap().expose_compact(),
                "JT0123456789",
                "{input}"
            );
        }
        assert_eq!(
            LaserCode::parse("jt1232145632").unwrap().expose_compact(),
            "JT1232145632"
        );
    }

    #[test]
    fn the_printed_form_is_three_seven_two() {
        let code = LaserCode::parse("AB1123456789").unwrap();
        assert_eq!(code.expose_printed(), "AB1-1234567-89");
    }

    #[test]
    fn malformed_codes_are_refused() {
        assert_eq!(
            LaserCode::parse("J01234567890"),
            Err(LaserCodeError::LettersExpected)
        );
        assert_eq!(
            LaserCode::parse("JT123456789"),
            Err(LaserCodeError::WrongLength { found: 11 })
        );
        assert_eq!(
            LaserCode::parse("JT1234567890X"),
            Err(LaserCodeError::WrongLength { found: 13 })
        );
        assert_eq!(
            LaserCode::parse("JT12345678O0"),
            Err(LaserCodeError::DigitsExpected)
        );
        assert_eq!(
            LaserCode::parse("ศศ1234567890"),
            Err(LaserCodeError::LettersExpected)
        );
        assert_eq!(LaserCode::parse(" - "), Err(LaserCodeError::Empty));
    }

    #[test]
    fn debug_never_shows_the_code() {
        let code = LaserCode::parse("JT0123456789").unwrap();
        assert_eq!(format!("{code:?}"), "LaserCode([redacted])");
    }

    proptest! {
        #[test]
        fn printed_and_compact_forms_round_trip(letters in "[A-Z]{2}", digits in "[0-9]{10}") {
            let code = LaserCode::parse(&format!("{letters}{digits}")).unwrap();
            let again = LaserCode::parse(&code.expose_printed()).unwrap();
            prop_assert_eq!(again.expose_compact(), code.expose_compact());
            let lower = LaserCode::parse(&code.expose_printed().to_lowercase()).unwrap();
            prop_assert_eq!(lower.expose_compact(), code.expose_compact());
        }
    }
}

//! The 13-digit Thai citizen ID (DOMAIN.md §1). Personal data under the PDPA:
//! it prints masked everywhere, and the digits leave this type only through
//! [`CitizenId::expose_digits`].

use std::fmt;

/// Which first digits (person categories) a deployment accepts. DOMAIN.md §1
/// recommends 1–8: category 0 (stateless) exists but carries no card the laser
/// check knows, and 9 is reserved.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FirstDigits {
    /// Bit `d` set when first digit `d` is allowed.
    mask: u16,
}

impl FirstDigits {
    /// Parses a set written as digits, e.g. `"12345678"`.
    pub fn parse(digits: &str) -> Result<Self, FirstDigitsError> {
        let mut mask = 0u16;
        for c in digits.chars() {
            let d = c.to_digit(10).ok_or(FirstDigitsError::NotADigit)?;
            mask |= 1 << d;
        }
        if mask == 0 {
            return Err(FirstDigitsError::Empty);
        }
        Ok(Self { mask })
    }

    pub fn allows(self, digit: u8) -> bool {
        digit < 10 && self.mask & (1 << digit) != 0
    }

    /// The set written as digits in ascending order.
    pub fn as_string(self) -> String {
        (0..10u8)
            .filter(|d| self.allows(*d))
            .map(|d| char::from(b'0' + d))
            .collect()
    }
}

impl Default for FirstDigits {
    fn default() -> Self {
        // 1..=8
        Self {
            mask: 0b01_1111_1110,
        }
    }
}

impl fmt::Debug for FirstDigits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FirstDigits({})", self.as_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FirstDigitsError {
    #[error("the allowed first digits must be ASCII digits")]
    NotADigit,
    #[error("at least one first digit must be allowed")]
    Empty,
}

/// Why a citizen ID was refused. Never carries the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CitizenIdError {
    #[error("citizen ID is empty")]
    Empty,
    #[error("citizen ID may hold only the digits 0-9, spaces and dashes")]
    InvalidCharacter,
    #[error("citizen ID must have 13 digits, found {found}")]
    WrongLength { found: usize },
    #[error("citizen ID check digit does not match")]
    BadChecksum,
    #[error("citizen IDs starting with this digit are not accepted")]
    FirstDigitNotAllowed,
}

/// A checksum-valid citizen ID whose first digit the policy allows.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CitizenId {
    /// 13 ASCII digits.
    digits: [u8; 13],
}

impl CitizenId {
    /// Parses with the default first-digit policy (1–8).
    pub fn parse(input: &str) -> Result<Self, CitizenIdError> {
        Self::parse_with(input, FirstDigits::default())
    }

    /// Strips spaces and dashes, then requires 13 ASCII digits, a matching
    /// check digit and an allowed first digit. Thai (`๑`) and full-width
    /// digits are refused: the value must match what DOPA holds byte for byte.
    pub fn parse_with(input: &str, allowed: FirstDigits) -> Result<Self, CitizenIdError> {
        let mut digits = [0u8; 13];
        let mut n = 0usize;
        for c in input.chars() {
            match c {
                ' ' | '-' | '\t' => {}
                '0'..='9' => {
                    if n < 13 {
                        digits[n] = c as u8;
                    }
                    n += 1;
                }
                _ => return Err(CitizenIdError::InvalidCharacter),
            }
        }
        match n {
            0 => return Err(CitizenIdError::Empty),
            13 => {}
            found => return Err(CitizenIdError::WrongLength { found }),
        }
        let values = digits.map(|d| d - b'0');
        if check_digit(&values) != values[12] {
            return Err(CitizenIdError::BadChecksum);
        }
        if !allowed.allows(values[0]) {
            return Err(CitizenIdError::FirstDigitNotAllowed);
        }
        Ok(Self { digits })
    }

    /// The 13 digits in clear, for the proofing call, sealing and the blind
    /// index only. Never log or display the result.
    pub fn expose_digits(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.digits).unwrap_or_default()
    }

    /// `1-2345-xxxxx-xx-1`: the form shown on screens after the step that
    /// takes the ID.
    pub fn masked(&self) -> String {
        let d = |i: usize| char::from(self.digits[i]);
        format!(
            "{}-{}{}{}{}-xxxxx-xx-{}",
            d(0),
            d(1),
            d(2),
            d(3),
            d(4),
            d(12)
        )
    }
}

/// The check digit of DOMAIN.md §1: `(11 − Σ dᵢ·(14−i) mod 11) mod 10`.
fn check_digit(values: &[u8; 13]) -> u8 {
    let sum: u32 = values[..12]
        .iter()
        .zip((2..=13u32).rev())
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    // The result is below 11, so it fits.
    ((11 - sum % 11) % 10) as u8
}

/// Completes 12 digits into a checksum-valid ID; for fixtures and the dev
/// registry generator.
pub fn with_check_digit(first12: &str) -> Option<String> {
    let bytes = first12.as_bytes();
    if bytes.len() != 12 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut values = [0u8; 13];
    for (v, b) in values.iter_mut().zip(bytes) {
        *v = b - b'0';
    }
    Some(format!("{first12}{}", check_digit(&values)))
}

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CitizenId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_domain_examples_are_valid() {
        for id in [
            "1234567890121",
            "1101700207030",
            "3101200045673",
            "5000000000001",
        ] {
            assert_eq!(CitizenId::parse(id).unwrap().expose_digits(), id);
        }
    }

    #[test]
    fn dashes_and_spaces_are_ignored() {
        let id = CitizenId::parse("1-2345-67890-12-1").unwrap();
        assert_eq!(id.expose_digits(), "1234567890121");
        assert_eq!(CitizenId::parse(" 1 2345 67890 12 1 ").unwrap(), id);
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        for id in ["1234567890123", "1101700230705", "3101234567894"] {
            assert_eq!(
                CitizenId::parse(id),
                Err(CitizenIdError::BadChecksum),
                "{id}"
            );
        }
    }

    #[test]
    fn letters_thai_and_full_width_digits_are_refused() {
        for id in ["11017002070d3", "๑234567890121", "１234567890121"] {
            assert_eq!(
                CitizenId::parse(id),
                Err(CitizenIdError::InvalidCharacter),
                "{id}"
            );
        }
    }

    #[test]
    fn too_short_too_long_and_empty_are_refused() {
        assert_eq!(
            CitizenId::parse("110170023073"),
            Err(CitizenIdError::WrongLength { found: 12 })
        );
        assert_eq!(
            CitizenId::parse("12345678901210"),
            Err(CitizenIdError::WrongLength { found: 14 })
        );
        assert_eq!(CitizenId::parse(" - "), Err(CitizenIdError::Empty));
    }

    #[test]
    fn first_digits_zero_and_nine_are_refused_by_default_but_configurable() {
        for id in ["9876543210989", "0000000000001"] {
            assert_eq!(
                CitizenId::parse(id),
                Err(CitizenIdError::FirstDigitNotAllowed),
                "{id}"
            );
        }
        let all = FirstDigits::parse("0123456789").unwrap();
        assert!(CitizenId::parse_with("0000000000001", all).is_ok());
        assert!(CitizenId::parse_with("9876543210989", all).is_ok());
        let only3 = FirstDigits::parse("3").unwrap();
        assert_eq!(
            CitizenId::parse_with("1234567890121", only3),
            Err(CitizenIdError::FirstDigitNotAllowed)
        );
    }

    #[test]
    fn first_digit_sets_parse_and_print() {
        assert_eq!(FirstDigits::default().as_string(), "12345678");
        assert_eq!(FirstDigits::parse("81").unwrap().as_string(), "18");
        assert_eq!(FirstDigits::parse(""), Err(FirstDigitsError::Empty));
        assert_eq!(FirstDigits::parse("1a"), Err(FirstDigitsError::NotADigit));
    }

    #[test]
    fn display_and_debug_are_masked() {
        let id = CitizenId::parse("1234567890121").unwrap();
        assert_eq!(id.to_string(), "1-2345-xxxxx-xx-1");
        assert_eq!(format!("{id:?}"), "CitizenId(1-2345-xxxxx-xx-1)");
        assert!(!format!("{id:?}{id}").contains("67890"));
    }

    #[test]
    fn errors_never_carry_the_input() {
        let e = CitizenId::parse("1234567890123").unwrap_err();
        assert!(!e.to_string().contains("123456789"));
    }

    #[test]
    fn check_digit_completion_matches_the_examples() {
        assert_eq!(with_check_digit("123456789012").unwrap(), "1234567890121");
        assert_eq!(with_check_digit("500000000000").unwrap(), "5000000000001");
        assert_eq!(with_check_digit("12345"), None);
    }

    proptest! {
        #[test]
        fn every_completed_id_parses_and_round_trips(first in 1u8..=8, rest in "[0-9]{11}") {
            let id = with_check_digit(&format!("{first}{rest}")).unwrap();
            let parsed = CitizenId::parse(&id).unwrap();
            prop_assert_eq!(parsed.expose_digits(), id.as_str());
            let printed = format!("{}-{}-{}-{}-{}", &id[0..1], &id[1..5], &id[5..10], &id[10..12], &id[12..]);
            prop_assert_eq!(CitizenId::parse(&printed).unwrap(), parsed);
        }

        #[test]
        fn any_other_check_digit_is_refused(rest in "[0-9]{11}", delta in 1u8..10) {
            let id = with_check_digit(&format!("1{rest}")).unwrap();
            let mut bytes = id.into_bytes();
            bytes[12] = b'0' + (bytes[12] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(CitizenId::parse(&changed), Err(CitizenIdError::BadChecksum));
        }
    }
}

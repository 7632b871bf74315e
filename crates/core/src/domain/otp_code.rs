//! The 6-digit one-time code a citizen types back from the SMS.

use std::fmt;

use zeroize::Zeroizing;

pub const OTP_DIGITS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OtpCodeError {
    #[error("the code is empty")]
    Empty,
    #[error("the code must be {OTP_DIGITS} digits")]
    Malformed,
}

/// Six ASCII digits; spaces and dashes typed between them are dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(Zeroizing<String>);

impl OtpCode {
    pub fn parse(input: &str) -> Result<Self, OtpCodeError> {
        let s: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '\t'))
            .collect();
        if s.is_empty() {
            return Err(OtpCodeError::Empty);
        }
        if s.len() != OTP_DIGITS || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OtpCodeError::Malformed);
        }
        Ok(Self(Zeroizing::new(s)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn six_digits_with_separators_are_accepted() {
        assert_eq!(OtpCode::parse(" 123 456 ").unwrap().expose(), "123456");
        assert_eq!(OtpCode::parse("123-456").unwrap().expose(), "123456");
    }

    #[test]
    fn other_lengths_letters_and_thai_digits_are_refused() {
        for s in ["12345", "1234567", "12345a", "๑๒๓๔๕๖"] {
            assert_eq!(OtpCode::parse(s), Err(OtpCodeError::Malformed), "{s}");
        }
        assert_eq!(OtpCode::parse(""), Err(OtpCodeError::Empty));
        assert_eq!(
            format!("{:?}", OtpCode::parse("123456").unwrap()),
            "OtpCode([redacted])"
        );
    }

    proptest! {
        #[test]
        fn any_six_digits_round_trip(s in "[0-9]{6}") {
            let code = OtpCode::parse(&s).unwrap();
            prop_assert_eq!(code.expose(), s.as_str());
        }
    }
}

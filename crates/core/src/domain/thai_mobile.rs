//! Thai mobile numbers (DOMAIN.md §6): ten digits starting 06, 08 or 09, kept
//! in E.164 (`+66812345678`) and shown masked (`08x-xxx-5678`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ThaiMobileError {
    #[error("mobile number is empty")]
    Empty,
    #[error("not a Thai mobile number: use 10 digits starting 06, 08 or 09")]
    Invalid,
}

/// A Thai mobile number in E.164.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ThaiMobile {
    /// `+66` followed by 9 digits.
    e164: String,
}

impl ThaiMobile {
    /// Strips dashes, spaces, dots and parentheses, then accepts
    /// `0[689]xxxxxxxx`, `+66[689]xxxxxxxx` or `66[689]xxxxxxxx`. VoIP ranges
    /// overlap mobile ones, so nothing finer is checked.
    pub fn parse(input: &str) -> Result<Self, ThaiMobileError> {
        let cleaned: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t' | '.' | '(' | ')'))
            .collect();
        if cleaned.is_empty() {
            return Err(ThaiMobileError::Empty);
        }
        let national = if let Some(rest) = cleaned.strip_prefix("+66") {
            rest
        } else if let Some(rest) = cleaned.strip_prefix("66") {
            rest
        } else if let Some(rest) = cleaned.strip_prefix('0') {
            rest
        } else {
            return Err(ThaiMobileError::Invalid);
        };
        let ok = national.len() == 9
            && national.bytes().all(|b| b.is_ascii_digit())
            && matches!(national.as_bytes()[0], b'6' | b'8' | b'9');
        if !ok {
            return Err(ThaiMobileError::Invalid);
        }
        Ok(Self {
            e164: format!("+66{national}"),
        })
    }

    /// `+66812345678`: the stored and sent form.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// `0812345678`: the form Thai users know.
    pub fn national(&self) -> String {
        format!("0{}", &self.e164[3..])
    }

    /// `08x-xxx-5678`.
    pub fn masked(&self) -> String {
        let n = self.national();
        format!("{}x-xxx-{}", &n[..2], &n[6..])
    }
}

impl fmt::Display for ThaiMobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for ThaiMobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ThaiMobile({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn national_and_international_forms_normalise_to_e164() {
        for input in [
            "0812345678",
            "081-234-5678",
            "+66812345678",
            "66812345678",
            "+66 81 234 5678",
            "(081) 234.5678",
        ] {
            assert_eq!(
                ThaiMobile::parse(input).unwrap().e164(),
                "+66812345678",
                "{input}"
            );
        }
        assert_eq!(
            ThaiMobile::parse("0612345678").unwrap().e164(),
            "+66612345678"
        );
        assert_eq!(
            ThaiMobile::parse("0912345678").unwrap().e164(),
            "+66912345678"
        );
    }

    #[test]
    fn landlines_short_long_and_foreign_numbers_are_refused() {
        for input in [
            "021234567",
            "0212345678",
            "081234567",
            "08123456789",
            "+6581234567",
            "08123456a8",
            "๐812345678",
        ] {
            assert_eq!(
                ThaiMobile::parse(input),
                Err(ThaiMobileError::Invalid),
                "{input}"
            );
        }
        assert_eq!(ThaiMobile::parse("  "), Err(ThaiMobileError::Empty));
    }

    #[test]
    fn display_is_masked_and_national_form_is_available() {
        let m = ThaiMobile::parse("+66812345678").unwrap();
        assert_eq!(m.to_string(), "08x-xxx-5678");
        assert_eq!(format!("{m:?}"), "ThaiMobile(08x-xxx-5678)");
        assert_eq!(m.national(), "0812345678");
    }

    proptest! {
        #[test]
        fn e164_and_national_forms_round_trip(first in "[689]", rest in "[0-9]{8}") {
            let m = ThaiMobile::parse(&format!("0{first}{rest}")).unwrap();
            prop_assert_eq!(ThaiMobile::parse(m.e164()).unwrap(), m.clone());
            prop_assert_eq!(ThaiMobile::parse(&m.national()).unwrap(), m);
        }
    }
}

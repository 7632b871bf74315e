//! A name part in Thai script as printed on the ID card (first, middle or
//! last name). The proofing check compares these, so they are normalised
//! exactly as the registry side is.

use std::fmt;

use super::text::normalize;

/// Longest accepted name part, in characters.
pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ThaiNameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("name must be written in Thai script")]
    NotThai,
}

/// A normalised Thai-script name part: characters of the Thai block
/// (U+0E00–U+0E7F, which includes `ๆ` and `ฯ`) and single spaces.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ThaiName(String);

impl ThaiName {
    pub fn parse(input: &str) -> Result<Self, ThaiNameError> {
        let s = normalize(input);
        if s.is_empty() {
            return Err(ThaiNameError::Empty);
        }
        if s.chars().count() > MAX_NAME_CHARS {
            return Err(ThaiNameError::TooLong);
        }
        if !s
            .chars()
            .all(|c| c == ' ' || ('\u{0E00}'..='\u{0E7F}').contains(&c))
        {
            return Err(ThaiNameError::NotThai);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for ThaiName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ThaiName {
    // Personal data: names stay out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ThaiName([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn thai_names_are_normalised() {
        assert_eq!(ThaiName::parse("  สมชาย  ").unwrap().as_str(), "สมชาย");
        assert_eq!(ThaiName::parse("ณ  อยุธยา").unwrap().as_str(), "ณ อยุธยา");
        assert!(ThaiName::parse("กรุงเทพฯ").is_ok());
        assert!(ThaiName::parse("ดีๆ").is_ok());
    }

    #[test]
    fn latin_digits_and_punctuation_are_refused() {
        for s in ["Somchai", "สมชาย1", "สม.ชาย", "สมชาย-ใจดี"]
        {
            assert_eq!(ThaiName::parse(s), Err(ThaiNameError::NotThai), "{s}");
        }
        assert_eq!(ThaiName::parse("   "), Err(ThaiNameError::Empty));
        assert_eq!(
            ThaiName::parse(&"ก".repeat(101)),
            Err(ThaiNameError::TooLong)
        );
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", ThaiName::parse("สมชาย").unwrap()),
            "ThaiName([redacted])"
        );
    }

    proptest! {
        #[test]
        fn parsing_a_parsed_name_changes_nothing(s in "[ก-ฮ]{1,10}( {1,3}[ก-ฮ]{1,10})?") {
            let once = ThaiName::parse(&s).unwrap();
            prop_assert_eq!(ThaiName::parse(once.as_str()).unwrap(), once);
        }
    }
}

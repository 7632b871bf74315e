//! An optional, self-asserted English name part (first, middle or last), as
//! printed on the English side of the card.

use std::fmt;

use super::text::normalize;
use super::thai_name::MAX_NAME_CHARS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnglishNameError {
    #[error("name is empty")]
    Empty,
    #[error("name is longer than {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("English names may use Latin letters, spaces, '-' and '.' only")]
    InvalidCharacter,
}

/// Latin letters, single spaces, `-` and `.`; at least one letter.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EnglishName(String);

impl EnglishName {
    pub fn parse(input: &str) -> Result<Self, EnglishNameError> {
        let s = normalize(input);
        if s.is_empty() {
            return Err(EnglishNameError::Empty);
        }
        if s.chars().count() > MAX_NAME_CHARS {
            return Err(EnglishNameError::TooLong);
        }
        let allowed = |c: char| c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '.');
        if !s.chars().all(allowed) || !s.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(EnglishNameError::InvalidCharacter);
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

impl AsRef<str> for EnglishName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EnglishName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnglishName([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn latin_names_with_dashes_and_dots_are_accepted() {
        assert_eq!(
            EnglishName::parse(" Na  Ayutthaya ").unwrap().as_str(),
            "Na Ayutthaya"
        );
        assert!(EnglishName::parse("Jean-Luc").is_ok());
        assert!(EnglishName::parse("M.L. Somchai").is_ok());
    }

    #[test]
    fn thai_digits_and_symbols_are_refused() {
        for s in ["สมชาย", "R2D2", "O'Brien", "--", "Zoë"] {
            assert_eq!(
                EnglishName::parse(s),
                Err(EnglishNameError::InvalidCharacter),
                "{s}"
            );
        }
        assert_eq!(EnglishName::parse(""), Err(EnglishNameError::Empty));
    }

    proptest! {
        #[test]
        fn parsing_a_parsed_name_changes_nothing(s in "[A-Za-z][A-Za-z.-]{0,9}( [A-Za-z]{1,10})?") {
            let once = EnglishName::parse(&s).unwrap();
            prop_assert_eq!(EnglishName::parse(once.as_str()).unwrap(), once);
        }
    }
}

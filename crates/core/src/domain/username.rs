//! The account's username: English letters and digits only (the enrollment
//! rules), compared and stored lower-case so `Somchai` and `somchai` are one
//! account.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Length bounds, from config (`enrollment.username`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UsernamePolicy {
    pub min_length: usize,
    pub max_length: usize,
}

impl Default for UsernamePolicy {
    fn default() -> Self {
        Self {
            min_length: 4,
            max_length: 32,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("username must have at least {min} characters")]
    TooShort { min: usize },
    #[error("username must have at most {max} characters")]
    TooLong { max: usize },
    #[error("username may use English letters and digits only")]
    InvalidCharacter,
}

/// A canonical (lower-case) username.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Trims surrounding spaces, then requires ASCII letters and digits only
    /// within the policy's length bounds.
    pub fn parse(input: &str, policy: &UsernamePolicy) -> Result<Self, UsernameError> {
        let s = input.trim();
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(UsernameError::InvalidCharacter);
        }
        if s.len() < policy.min_length {
            return Err(UsernameError::TooShort {
                min: policy.min_length,
            });
        }
        if s.len() > policy.max_length {
            return Err(UsernameError::TooLong {
                max: policy.max_length,
            });
        }
        Ok(Self(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<Username, UsernameError> {
        Username::parse(s, &UsernamePolicy::default())
    }

    #[test]
    fn usernames_are_lower_cased() {
        assert_eq!(parse(" Somchai88 ").unwrap().as_str(), "somchai88");
    }

    #[test]
    fn symbols_thai_and_spaces_inside_are_refused() {
        for s in ["som.chai", "som chai", "สมชาย", "somchai_1", "sömchai"] {
            assert_eq!(parse(s), Err(UsernameError::InvalidCharacter), "{s}");
        }
    }

    #[test]
    fn length_bounds_come_from_the_policy() {
        assert_eq!(parse("abc"), Err(UsernameError::TooShort { min: 4 }));
        assert_eq!(
            parse(&"a".repeat(33)),
            Err(UsernameError::TooLong { max: 32 })
        );
        let strict = UsernamePolicy {
            min_length: 6,
            max_length: 8,
        };
        assert_eq!(
            Username::parse("abcde", &strict),
            Err(UsernameError::TooShort { min: 6 })
        );
        assert!(Username::parse("abcdef", &strict).is_ok());
    }

    proptest! {
        #[test]
        fn canonical_form_is_a_fixed_point(s in "[A-Za-z0-9]{4,32}") {
            let once = parse(&s).unwrap();
            prop_assert_eq!(parse(once.as_str()).unwrap(), once.clone());
            prop_assert_eq!(once.as_str(), s.to_ascii_lowercase());
        }
    }
}

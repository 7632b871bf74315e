//! The account password, checked against the deployment's policy
//! (`enrollment.password`). Per the enrollment rules it uses English letters
//! and digits only and needs at least one of each; and, whatever the policy,
//! it is neither one of the most common passwords nor contains the username
//! (`pratu_core::password::blocklist`, shared with every other place a
//! password is chosen). It is hashed with Argon2id by `pratu_core::password`
//! and never printed.

use std::fmt;

use crate::password::blocklist::{self, BlockedPassword};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::Username;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    pub min_length: usize,
    pub max_length: usize,
    pub require_letter: bool,
    pub require_digit: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 64,
            require_letter: true,
            require_digit: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("password must have at least {min} characters")]
    TooShort { min: usize },
    #[error("password must have at most {max} characters")]
    TooLong { max: usize },
    #[error("password may use English letters and digits only")]
    InvalidCharacter,
    #[error("password must contain at least one English letter")]
    NeedsLetter,
    #[error("password must contain at least one digit")]
    NeedsDigit,
    #[error("{0}")]
    Blocked(BlockedPassword),
}

/// A password that satisfies the policy.
#[derive(Clone)]
pub struct Password(Zeroizing<String>);

impl Password {
    /// Taken as typed: no trimming, since spaces would be refused anyway and
    /// silently changing a secret confuses people. `username` is the
    /// account's, when known, which the password must not contain.
    pub fn parse(
        input: &str,
        username: Option<&Username>,
        policy: &PasswordPolicy,
    ) -> Result<Self, PasswordPolicyError> {
        if !input.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(PasswordPolicyError::InvalidCharacter);
        }
        if input.len() < policy.min_length {
            return Err(PasswordPolicyError::TooShort {
                min: policy.min_length,
            });
        }
        if input.len() > policy.max_length {
            return Err(PasswordPolicyError::TooLong {
                max: policy.max_length,
            });
        }
        if policy.require_letter && !input.chars().any(|c| c.is_ascii_alphabetic()) {
            return Err(PasswordPolicyError::NeedsLetter);
        }
        if policy.require_digit && !input.chars().any(|c| c.is_ascii_digit()) {
            return Err(PasswordPolicyError::NeedsDigit);
        }
        blocklist::check(input, username.map(Username::as_str))
            .map_err(PasswordPolicyError::Blocked)?;
        Ok(Self(Zeroizing::new(input.to_owned())))
    }

    /// The password in clear, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(s: &str) -> Result<Password, PasswordPolicyError> {
        Password::parse(s, None, &PasswordPolicy::default())
    }

    fn user(s: &str) -> Username {
        Username::parse(s, &super::super::UsernamePolicy::default()).unwrap()
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for p in ["Password123", "PASSWORD123", "Secret123", "Passw0rd1"] {
            assert_eq!(
                parse(p).err(),
                Some(PasswordPolicyError::Blocked(BlockedPassword::TooCommon)),
                "{p}"
            );
        }
    }

    #[test]
    fn a_password_containing_the_username_is_refused() {
        let somchai = user("Somchai87");
        assert_eq!(
            Password::parse("Xsomchai87Lamp", Some(&somchai), &PasswordPolicy::default()).err(),
            Some(PasswordPolicyError::Blocked(
                BlockedPassword::ContainsUsername
            ))
        );
        assert!(
            Password::parse("Khaosan7Lamp", Some(&somchai), &PasswordPolicy::default()).is_ok()
        );
    }

    #[test]
    fn letters_and_digits_within_bounds_are_accepted() {
        assert_eq!(parse("Correct1horse").unwrap().expose(), "Correct1horse");
    }

    #[test]
    fn each_rule_has_its_own_refusal() {
        assert_eq!(
            parse("abc123").err(),
            Some(PasswordPolicyError::TooShort { min: 8 })
        );
        assert_eq!(
            parse(&"a1".repeat(33)).err(),
            Some(PasswordPolicyError::TooLong { max: 64 })
        );
        assert_eq!(
            parse("correct horse 1").err(),
            Some(PasswordPolicyError::InvalidCharacter)
        );
        assert_eq!(
            parse("correct!horse1").err(),
            Some(PasswordPolicyError::InvalidCharacter)
        );
        assert_eq!(
            parse("รหัสผ่าน12345").err(),
            Some(PasswordPolicyError::InvalidCharacter)
        );
        assert_eq!(
            parse("12345678").err(),
            Some(PasswordPolicyError::NeedsLetter)
        );
        assert_eq!(
            parse("abcdefgh").err(),
            Some(PasswordPolicyError::NeedsDigit)
        );
    }

    #[test]
    fn the_policy_is_configurable() {
        let lax = PasswordPolicy {
            min_length: 4,
            max_length: 10,
            require_letter: false,
            require_digit: false,
        };
        assert!(Password::parse("8264", None, &lax).is_ok());
        assert!(Password::parse("qzvx", None, &lax).is_ok());
    }

    #[test]
    fn debug_is_redacted() {
        assert_eq!(
            format!("{:?}", parse("Correct1horse").unwrap()),
            "Password([redacted])"
        );
    }

    proptest! {
        #[test]
        fn any_policy_conforming_password_is_kept_verbatim(s in "[a-z]{4,30}[0-9]{4,30}") {
            let p = parse(&s).unwrap();
            prop_assert_eq!(p.expose(), s.as_str());
        }
    }
}

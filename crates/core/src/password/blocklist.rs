//! Passwords nobody may choose: the most common ones (a guesser tries them
//! first, and the login throttle only slows a guesser down), and any that
//! contain the account's own username. Every place a password is chosen
//! (enrollment, the staff CLI, and the password change and recovery to
//! come) asks [`check`], so the rule is the same everywhere.
//!
//! The list is compiled in (`data/common-passwords.txt`, whose README names
//! its source and licence): about 750 KB, read into a set on first use.

use std::collections::HashSet;
use std::sync::LazyLock;

use zeroize::Zeroizing;

const LIST: &str = include_str!("../../data/common-passwords.txt");

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| LIST.lines().collect());

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlockedPassword {
    #[error("password is too common; choose one that is harder to guess")]
    TooCommon,
    #[error("password must not contain the username")]
    ContainsUsername,
}

/// Refuses a password on the list, or containing `username`; both checks
/// ignore letter case, since an attacker's guesses do too.
pub fn check(password: &str, username: Option<&str>) -> Result<(), BlockedPassword> {
    let lowered = Zeroizing::new(password.to_lowercase());
    if let Some(user) = username.map(str::trim).filter(|u| !u.is_empty())
        && lowered.contains(&user.to_lowercase())
    {
        return Err(BlockedPassword::ContainsUsername);
    }
    if COMMON.contains(lowered.as_str()) {
        return Err(BlockedPassword::TooCommon);
    }
    Ok(())
}

/// How many passwords the list holds.
pub fn len() -> usize {
    COMMON.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for p in [
            "Password123",
            "password123",
            "PASSWORD123",
            "Secret123",
            "Passw0rd1",
            "qwerty123",
            "123456",
        ] {
            assert_eq!(check(p, None), Err(BlockedPassword::TooCommon), "{p}");
        }
    }

    #[test]
    fn uncommon_passwords_pass() {
        for p in ["Khaosan7Lamp", "Correct1horse", "Ratchada9Night"] {
            assert_eq!(check(p, Some("somchai87")), Ok(()), "{p}");
        }
    }

    #[test]
    fn a_password_containing_the_username_is_refused_in_any_case() {
        assert_eq!(
            check("xxSomchai87Lamp", Some("somchai87")),
            Err(BlockedPassword::ContainsUsername)
        );
        assert_eq!(
            check("somchai87", Some("SOMCHAI87")),
            Err(BlockedPassword::ContainsUsername)
        );
        // No username (or a blank one) is no rule.
        assert_eq!(check("xxSomchai87Lamp", None), Ok(()));
        assert_eq!(check("xxSomchai87Lamp", Some(" ")), Ok(()));
    }

    /// The file is the lower-cased top 100,000 (fewer once case folds
    /// duplicates together): a truncated or empty file fails here, not in
    /// production.
    #[test]
    fn the_list_is_whole_and_lower_case() {
        assert!((90_000..=100_000).contains(&len()), "{}", len());
        assert!(LIST.lines().all(|l| l == l.to_lowercase() && !l.is_empty()));
        assert!(LIST.lines().is_sorted());
    }
}

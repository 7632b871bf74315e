//! Stable field codes of the domain's parse errors (`required`,
//! `checksum`, `too_short`, …): enrollment and recovery answer the same
//! code for the same mistake. Messages come from the errors' `Display`,
//! which never includes the input.

use crate::password::blocklist::BlockedPassword;

use super::{
    BirthDateError, CitizenIdError, EnglishNameError, LaserCodeError, OtpCodeError,
    PasswordPolicyError, ThaiMobileError, ThaiNameError, TitleError, UsernameError,
};

/// A parse error's stable code, for a field error of an API or a form.
pub trait FieldCode: std::fmt::Display {
    fn field_code(&self) -> &'static str;
}

impl FieldCode for CitizenIdError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::InvalidCharacter => "invalid_character",
            Self::WrongLength { .. } => "wrong_length",
            Self::BadChecksum => "checksum",
            Self::FirstDigitNotAllowed => "not_accepted",
        }
    }
}

impl FieldCode for ThaiNameError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong => "too_long",
            Self::NotThai => "not_thai",
        }
    }
}

impl FieldCode for EnglishNameError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong => "too_long",
            Self::InvalidCharacter => "not_latin",
        }
    }
}

impl FieldCode for TitleError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::TooLong => "too_long",
            Self::NotThai => "not_thai",
        }
    }
}

impl FieldCode for BirthDateError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::Malformed => "invalid",
            Self::YearRequired => "year_required",
            Self::DayWithoutMonth => "day_without_month",
            Self::InvalidMonth => "invalid_month",
            Self::InvalidDay => "invalid_day",
            Self::InFuture => "in_future",
            Self::TooOld => "too_old",
        }
    }
}

impl FieldCode for LaserCodeError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::WrongLength { .. } => "wrong_length",
            Self::LettersExpected => "letters_expected",
            Self::DigitsExpected => "digits_expected",
        }
    }
}

impl FieldCode for UsernameError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::InvalidCharacter => "invalid_character",
        }
    }
}

impl FieldCode for PasswordPolicyError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::TooLong { .. } => "too_long",
            Self::InvalidCharacter => "invalid_character",
            Self::NeedsLetter => "needs_letter",
            Self::NeedsDigit => "needs_digit",
            Self::Blocked(BlockedPassword::TooCommon) => "too_common",
            Self::Blocked(BlockedPassword::ContainsUsername) => "contains_username",
        }
    }
}

impl FieldCode for ThaiMobileError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::Invalid => "invalid",
        }
    }
}

impl FieldCode for OtpCodeError {
    fn field_code(&self) -> &'static str {
        match self {
            Self::Empty => "required",
            Self::Malformed => "invalid",
        }
    }
}

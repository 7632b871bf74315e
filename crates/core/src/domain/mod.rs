//! Parsed domain values (the citizen and the card, as Pratu's features take
//! them in): each type's constructor checks everything once, so
//! the service never sees an unchecked citizen ID, laser code or phone
//! number. Types holding personal data print redacted or masked.

mod birth_date;
mod citizen_id;
mod english_name;
mod field_code;
mod laser_code;
mod otp_code;
mod password;
pub mod text;
mod thai_mobile;
mod thai_name;
mod title;
mod username;

pub use birth_date::{BirthDate, BirthDateError};
pub use citizen_id::{CitizenId, CitizenIdError, FirstDigits, FirstDigitsError, with_check_digit};
pub use english_name::{EnglishName, EnglishNameError};
pub use field_code::FieldCode;
pub use laser_code::{LaserCode, LaserCodeError};
pub use otp_code::{OTP_DIGITS, OtpCode, OtpCodeError};
pub use password::{Password, PasswordPolicy, PasswordPolicyError};
pub use thai_mobile::{ThaiMobile, ThaiMobileError};
pub use thai_name::{MAX_NAME_CHARS, ThaiName, ThaiNameError};
pub use title::{Title, TitleError};
pub use username::{Username, UsernameError, UsernamePolicy};

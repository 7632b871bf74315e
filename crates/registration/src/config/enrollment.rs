use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ConfigError;
use crate::domain::{FirstDigits, PasswordPolicy, UsernamePolicy};

/// Top-level key `enrollment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnrollmentConfig {
    /// An unfinished enrollment is refused (and later deleted) this long
    /// after it started.
    pub expiry_minutes: u64,
    /// First digits of citizen IDs accepted (person categories, DOMAIN.md §1).
    pub citizen_id_first_digits: String,
    pub terms: TermsConfig,
    pub username: UsernamePolicy,
    pub password: PasswordPolicy,
    /// Where the result page sends the new account holder to sign in.
    pub sign_in_url: String,
}

impl Default for EnrollmentConfig {
    fn default() -> Self {
        Self {
            expiry_minutes: 30,
            citizen_id_first_digits: FirstDigits::default().as_string(),
            terms: TermsConfig::default(),
            username: UsernamePolicy::default(),
            password: PasswordPolicy::default(),
            sign_in_url: "/account".into(),
        }
    }
}

impl EnrollmentConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(5..=24 * 60).contains(&self.expiry_minutes) {
            return Err(ConfigError::new(
                "enrollment.expiry_minutes",
                "must be between 5 and 1440",
            ));
        }
        FirstDigits::parse(&self.citizen_id_first_digits)
            .map_err(|e| ConfigError::new("enrollment.citizen_id_first_digits", e.to_string()))?;
        self.terms.validate()?;
        let u = &self.username;
        if u.min_length == 0 || u.min_length > u.max_length || u.max_length > 64 {
            return Err(ConfigError::new(
                "enrollment.username",
                "need 1 <= min_length <= max_length <= 64",
            ));
        }
        let p = &self.password;
        if p.min_length < 8 {
            return Err(ConfigError::new(
                "enrollment.password.min_length",
                "must be at least 8",
            ));
        }
        if p.min_length > p.max_length || p.max_length > 256 {
            return Err(ConfigError::new(
                "enrollment.password.max_length",
                "must be at least min_length and at most 256",
            ));
        }
        if self.sign_in_url.trim().is_empty() {
            return Err(ConfigError::new(
                "enrollment.sign_in_url",
                "must not be empty",
            ));
        }
        Ok(())
    }

    /// The parsed first-digit set (the default when the value is invalid;
    /// `validate` reports that).
    pub fn first_digits(&self) -> FirstDigits {
        FirstDigits::parse(&self.citizen_id_first_digits).unwrap_or_default()
    }
}

/// Key `enrollment.terms`: the identity-proofing notice and consent
/// (PDPA §§19–23). Change `version` whenever the text changes: the consent
/// recorded with each enrollment names it and a hash of the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TermsConfig {
    pub version: String,
    pub th: String,
    pub en: String,
}

impl TermsConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.version.trim().is_empty() {
            return Err(ConfigError::new(
                "enrollment.terms.version",
                "must not be empty",
            ));
        }
        if self.th.trim().is_empty() {
            return Err(ConfigError::new("enrollment.terms.th", "must not be empty"));
        }
        if self.en.trim().is_empty() {
            return Err(ConfigError::new("enrollment.terms.en", "must not be empty"));
        }
        Ok(())
    }

    /// Hex SHA-256 over the version and both texts: what was consented to.
    pub fn text_sha256(&self) -> String {
        let mut h = Sha256::new();
        for part in [&self.version, &self.th, &self.en] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl Default for TermsConfig {
    fn default() -> Self {
        Self {
            version: "2026-01".into(),
            th: DEFAULT_TERMS_TH.into(),
            en: DEFAULT_TERMS_EN.into(),
        }
    }
}

const DEFAULT_TERMS_TH: &str = "\
ข้อกำหนดการพิสูจน์และยืนยันตัวตนสำหรับบัญชี Digital ID

เพื่อสร้างบัญชี Digital ID ของท่าน ระบบจะเก็บและใช้ข้อมูลต่อไปนี้: เลขประจำตัวประชาชน ชื่อและนามสกุลภาษาไทย \
วันเดือนปีเกิด เลขหลังบัตรประจำตัวประชาชน (Laser Code) หมายเลขโทรศัพท์มือถือ ชื่อผู้ใช้ และรหัสผ่าน

วัตถุประสงค์: เพื่อพิสูจน์ว่าข้อมูลของท่านตรงกับบัตรประจำตัวประชาชนที่ยังใช้งานได้ โดยตรวจสอบกับระบบของกรมการปกครอง \
และเพื่อยืนยันหมายเลขโทรศัพท์ด้วยรหัส OTP ทาง SMS

เลขหลังบัตรใช้เพื่อการตรวจสอบครั้งนี้เท่านั้น และจะไม่ถูกจัดเก็บ เลขประจำตัวประชาชนจัดเก็บแบบเข้ารหัส \
ผลการตรวจสอบ (วิธีการ เวลา และผลลัพธ์) จะถูกบันทึกไว้กับบัญชีของท่าน การสมัครที่ไม่เสร็จสิ้นจะถูกลบเมื่อหมดอายุ

ท่านมีสิทธิขอเข้าถึง แก้ไข หรือลบข้อมูลของท่าน และถอนความยินยอมได้ตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. 2562";

const DEFAULT_TERMS_EN: &str = "\
Identity-proofing terms for a Digital ID account

To create your Digital ID account we collect and use: your citizen ID number, first and last name in Thai, \
date of birth, the laser code on the back of your ID card, your mobile number, a username and a password.

Purpose: to prove that your details match a valid Thai ID card, by checking them with the Department of \
Provincial Administration, and to confirm your mobile number with a one-time code by SMS.

The laser code is used for this check only and is never stored. Your citizen ID is stored encrypted. The \
result of the check (method, time and outcome) is kept with your account. Unfinished enrollments are deleted \
when they expire.

You may ask to see, correct or delete your data, and withdraw your consent, under the Personal Data \
Protection Act B.E. 2562 (2019).";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(EnrollmentConfig::default().validate(), Ok(()));
        assert_eq!(
            EnrollmentConfig::default().first_digits(),
            FirstDigits::default()
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let c = EnrollmentConfig {
            citizen_id_first_digits: "x".into(),
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().key,
            "enrollment.citizen_id_first_digits"
        );
        let mut c = EnrollmentConfig::default();
        c.password.min_length = 4;
        assert_eq!(
            c.validate().unwrap_err().key,
            "enrollment.password.min_length"
        );
        let mut c = EnrollmentConfig::default();
        c.terms.version = String::new();
        assert_eq!(c.validate().unwrap_err().key, "enrollment.terms.version");
    }

    #[test]
    fn the_terms_hash_changes_with_the_text() {
        let a = TermsConfig::default();
        let mut b = a.clone();
        b.en.push('.');
        assert_eq!(a.text_sha256().len(), 64);
        assert_ne!(a.text_sha256(), b.text_sha256());
    }
}

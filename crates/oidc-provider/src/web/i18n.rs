//! Thai (default) and English texts of the provider's pages.

use axum::http::HeaderMap;
use pratu_core::web::{CookiePolicy, Language};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Th,
    En,
}

impl Locale {
    /// The first supported tag of a `ui_locales` list (`th`, `th-TH`, `en`,
    /// `en-US`, …); `None` when none is, so the browser's preference decides.
    pub fn from_ui_locales(list: Option<&str>) -> Option<Self> {
        list.into_iter()
            .flat_map(str::split_whitespace)
            .find_map(Self::parse)
    }

    pub fn parse(tag: &str) -> Option<Self> {
        Language::from_tag(tag).map(Self::from)
    }

    /// The page's language: `explicit` (`ui_locales`, the language link)
    /// first, then the shared negotiation (language cookie,
    /// `Accept-Language`, Thai).
    pub fn negotiate(explicit: Option<Self>, cookies: CookiePolicy, headers: &HeaderMap) -> Self {
        Language::negotiate(explicit.map(Language::from), cookies, headers).into()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Th => "th",
            Self::En => "en",
        }
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Self::Th => &TH,
            Self::En => &EN,
        }
    }
}

impl From<Language> for Locale {
    fn from(l: Language) -> Self {
        match l {
            Language::Th => Self::Th,
            Language::En => Self::En,
        }
    }
}

impl From<Locale> for Language {
    fn from(l: Locale) -> Self {
        match l {
            Locale::Th => Self::Th,
            Locale::En => Self::En,
        }
    }
}

/// Every fixed string of the pages.
#[derive(Debug)]
pub struct Texts {
    pub lang: &'static str,
    pub other_lang_label: &'static str,
    pub sign_in_title: &'static str,
    pub sign_in_to: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub sign_in: &'static str,
    pub no_digital_id: &'static str,
    pub register: &'static str,
    pub forgot: &'static str,
    pub bad_credentials: &'static str,
    pub locked_out: &'static str,
    pub busy: &'static str,
    pub session_expired: &'static str,
    pub consent_title: &'static str,
    pub consent_intro: &'static str,
    pub allow: &'static str,
    pub deny: &'static str,
    pub error_title: &'static str,
    pub unknown_client: &'static str,
    pub bad_redirect_uri: &'static str,
    pub bad_request: &'static str,
    pub server_error: &'static str,
    pub back_to_app: &'static str,
    pub continue_label: &'static str,
    pub logout_title: &'static str,
    pub logout_question: &'static str,
    pub logout_confirm: &'static str,
    pub logged_out_title: &'static str,
    pub logged_out_text: &'static str,
    pub otp_title: &'static str,
    pub otp_intro: &'static str,
    pub otp_code: &'static str,
    pub otp_ref: &'static str,
    pub otp_submit: &'static str,
    pub otp_invalid: &'static str,
    pub otp_expired: &'static str,
    pub otp_unavailable: &'static str,
    pub otp_resend: &'static str,
    pub otp_too_many: &'static str,
    pub passkey_or: &'static str,
    pub passkey_sign_in: &'static str,
    pub passkey_browser_failed: &'static str,
    pub passkey_refused: &'static str,
    pub totp_title: &'static str,
    pub totp_intro: &'static str,
    pub totp_code: &'static str,
    pub totp_recovery_hint: &'static str,
    pub totp_invalid: &'static str,
    pub passkey_step_up_title: &'static str,
    pub passkey_step_up_intro: &'static str,
    pub passkey_step_up: &'static str,
    pub passkey_step_up_failed: &'static str,
    pub passkey_step_up_refused: &'static str,
    pub other_factors: &'static str,
    pub use_passkey: &'static str,
    pub use_totp: &'static str,
    pub use_sms: &'static str,
}

static TH: Texts = Texts {
    lang: "th",
    other_lang_label: "English",
    sign_in_title: "เข้าสู่ระบบด้วย Digital ID",
    sign_in_to: "เพื่อใช้งาน",
    username: "ชื่อผู้ใช้",
    password: "รหัสผ่าน",
    sign_in: "เข้าสู่ระบบ",
    no_digital_id: "ยังไม่มี Digital ID?",
    register: "ลงทะเบียน",
    forgot: "ลืมรหัสผ่าน / โทรศัพท์หาย",
    bad_credentials: "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
    locked_out: "พยายามเข้าสู่ระบบหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่",
    busy: "ระบบมีผู้ใช้งานจำนวนมากในขณะนี้ กรุณารอสักครู่แล้วลองอีกครั้ง",
    session_expired: "คำขอหมดอายุแล้ว กรุณากลับไปที่แอปพลิเคชันแล้วเริ่มใหม่",
    consent_title: "ขอความยินยอม",
    consent_intro: "ต้องการเข้าถึงข้อมูลต่อไปนี้ของคุณ:",
    allow: "อนุญาต",
    deny: "ไม่อนุญาต",
    error_title: "เกิดข้อผิดพลาด",
    unknown_client: "ไม่รู้จักแอปพลิเคชันที่ส่งคำขอนี้มา",
    bad_redirect_uri: "ที่อยู่สำหรับส่งกลับ (redirect_uri) ไม่ตรงกับที่ลงทะเบียนไว้",
    bad_request: "คำขอไม่ถูกต้อง",
    server_error: "ระบบขัดข้องชั่วคราว กรุณาลองใหม่ภายหลัง",
    back_to_app: "กลับไปที่แอปพลิเคชัน",
    continue_label: "ดำเนินการต่อ",
    logout_title: "ออกจากระบบ",
    logout_question: "ต้องการออกจากระบบ Digital ID ใช่หรือไม่?",
    logout_confirm: "ออกจากระบบ",
    logged_out_title: "ออกจากระบบแล้ว",
    logged_out_text: "คุณได้ออกจากระบบเรียบร้อยแล้ว",
    otp_title: "ยืนยันตัวตนเพิ่มเติม",
    otp_intro: "เราได้ส่งรหัส OTP ทาง SMS ไปที่หมายเลข",
    otp_code: "รหัส OTP",
    otp_ref: "รหัสอ้างอิง",
    otp_submit: "ยืนยัน",
    otp_invalid: "รหัส OTP ไม่ถูกต้อง",
    otp_expired: "รหัส OTP หมดอายุหรือใช้ไม่ได้แล้ว กรุณาขอรหัสใหม่",
    otp_unavailable: "ไม่สามารถยืนยันตัวตนเพิ่มเติมได้ เนื่องจากบัญชีไม่มีหมายเลขโทรศัพท์ที่ยืนยันแล้ว",
    otp_resend: "ขอรหัสใหม่",
    otp_too_many: "ส่งรหัส OTP ครบจำนวนที่กำหนดแล้ว กรุณาลองใหม่ภายหลัง",
    passkey_or: "หรือ",
    passkey_sign_in: "เข้าสู่ระบบด้วยพาสคีย์",
    passkey_browser_failed: "เบราว์เซอร์ไม่ได้ใช้พาสคีย์ (ยกเลิกหรือไม่รองรับ) กรุณาลองใหม่หรือใช้รหัสผ่าน",
    passkey_refused: "ใช้พาสคีย์นี้เข้าสู่ระบบไม่ได้ กรุณาลองใหม่หรือใช้รหัสผ่าน",
    totp_title: "ยืนยันตัวตนเพิ่มเติม",
    totp_intro: "กรอกรหัส 6 หลักจากแอปยืนยันตัวตน (Authenticator) ของคุณ",
    totp_code: "รหัสจากแอป หรือรหัสกู้คืน",
    totp_recovery_hint: "ไม่มีโทรศัพท์ที่ติดตั้งแอป? กรอกรหัสกู้คืนรหัสใดรหัสหนึ่งที่คุณเก็บไว้แทนได้ (แต่ละรหัสใช้ได้ครั้งเดียว)",
    totp_invalid: "รหัสไม่ถูกต้องหรือถูกใช้ไปแล้ว",
    passkey_step_up_title: "ยืนยันตัวตนเพิ่มเติม",
    passkey_step_up_intro: "ยืนยันตัวตนด้วยพาสคีย์ของบัญชีนี้ (ลายนิ้วมือ ใบหน้า หรือ PIN ของอุปกรณ์)",
    passkey_step_up: "ยืนยันด้วยพาสคีย์",
    passkey_step_up_failed: "เบราว์เซอร์ไม่ได้ใช้พาสคีย์ (ยกเลิกหรือไม่รองรับ) กรุณาลองใหม่หรือเลือกวิธีอื่น",
    passkey_step_up_refused: "ใช้พาสคีย์นี้ยืนยันตัวตนไม่ได้ กรุณาลองใหม่หรือเลือกวิธีอื่น",
    other_factors: "ใช้วิธีอื่น:",
    use_passkey: "พาสคีย์",
    use_totp: "แอปยืนยันตัวตนหรือรหัสกู้คืน",
    use_sms: "รหัส OTP ทาง SMS",
};

static EN: Texts = Texts {
    lang: "en",
    other_lang_label: "ภาษาไทย",
    sign_in_title: "Sign in with Digital ID",
    sign_in_to: "to continue to",
    username: "Username",
    password: "Password",
    sign_in: "Sign in",
    no_digital_id: "No Digital ID yet?",
    register: "Register",
    forgot: "Forgot password / lost phone",
    bad_credentials: "Wrong username or password",
    locked_out: "Too many sign-in attempts. Please wait a moment and try again.",
    busy: "The service is busy right now. Please wait a moment and try again.",
    session_expired: "This request has expired. Please go back to the application and start again.",
    consent_title: "Consent",
    consent_intro: "would like to access the following information about you:",
    allow: "Allow",
    deny: "Deny",
    error_title: "Something went wrong",
    unknown_client: "The application that sent this request is not known.",
    bad_redirect_uri: "The return address (redirect_uri) does not match the registered one.",
    bad_request: "The request is not valid.",
    server_error: "The service is temporarily unavailable. Please try again later.",
    back_to_app: "Back to the application",
    continue_label: "Continue",
    logout_title: "Sign out",
    logout_question: "Do you want to sign out of your Digital ID?",
    logout_confirm: "Sign out",
    logged_out_title: "Signed out",
    logged_out_text: "You have been signed out.",
    otp_title: "Additional verification",
    otp_intro: "We sent a one-time code by SMS to",
    otp_code: "One-time code",
    otp_ref: "Reference",
    otp_submit: "Verify",
    otp_invalid: "The code is not correct.",
    otp_expired: "The code has expired or can no longer be used. Please request a new one.",
    otp_unavailable: "Additional verification is not possible: the account has no verified phone number.",
    otp_resend: "Send a new code",
    otp_too_many: "Too many codes have been sent. Please try again later.",
    passkey_or: "or",
    passkey_sign_in: "Sign in with a passkey",
    passkey_browser_failed: "The browser did not use a passkey (cancelled or not supported). Try again or use your password.",
    passkey_refused: "This passkey cannot sign you in. Try again or use your password.",
    totp_title: "Additional verification",
    totp_intro: "Enter the 6-digit code from your authenticator app.",
    totp_code: "Code from the app, or a recovery code",
    totp_recovery_hint: "No phone with the app? Enter one of the recovery codes you kept instead (each works once).",
    totp_invalid: "The code is not correct or has already been used.",
    passkey_step_up_title: "Additional verification",
    passkey_step_up_intro: "Confirm it is you with a passkey of this account (fingerprint, face or the device PIN).",
    passkey_step_up: "Verify with a passkey",
    passkey_step_up_failed: "The browser did not use a passkey (cancelled or not supported). Try again or choose another way.",
    passkey_step_up_refused: "This passkey cannot verify you. Try again or choose another way.",
    other_factors: "Use another way:",
    use_passkey: "a passkey",
    use_totp: "the authenticator app or a recovery code",
    use_sms: "a code by SMS",
};

/// A human description of a claim, for the consent page.
pub fn claim_label(locale: Locale, claim: &str) -> &'static str {
    let (th, en) = match claim {
        "name" | "given_name" | "family_name" | "middle_name" => {
            ("ชื่อ-นามสกุล (ภาษาไทย)", "Name (Thai)")
        }
        "name_en" | "given_name_en" | "family_name_en" | "middle_name_en" => {
            ("ชื่อ-นามสกุล (ภาษาอังกฤษ)", "Name (English)")
        }
        "title" | "title_en" => ("คำนำหน้าชื่อ", "Title"),
        "birthdate" => ("วันเกิด", "Date of birth"),
        "preferred_username" => ("ชื่อผู้ใช้", "Username"),
        "locale" => ("ภาษาที่ใช้", "Language"),
        "phone_number" | "phone_number_verified" => ("หมายเลขโทรศัพท์มือถือ", "Mobile phone number"),
        "pid" | "citizen_id" => ("เลขประจำตัวประชาชน", "Citizen ID number"),
        "citizen_id_verified" => (
            "สถานะการยืนยันตัวตนด้วยบัตรประชาชน",
            "Whether your citizen ID was verified",
        ),
        "ial" | "ial_level" | "verified_claims" => (
            "ระดับความน่าเชื่อถือของการพิสูจน์ตัวตน",
            "How your identity was verified",
        ),
        _ => ("รหัสประจำบัญชี", "Account identifier"),
    };
    match locale {
        Locale::Th => th,
        Locale::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_supported_ui_locale_wins_and_none_leaves_the_choice_open() {
        assert_eq!(
            Locale::from_ui_locales(Some("fr-CA en-US th")),
            Some(Locale::En)
        );
        assert_eq!(Locale::from_ui_locales(Some("th-TH en")), Some(Locale::Th));
        assert_eq!(Locale::from_ui_locales(Some("de")), None);
        assert_eq!(Locale::from_ui_locales(None), None);
    }

    #[test]
    fn ui_locales_beat_the_browsers_accept_language() {
        let cookies = CookiePolicy { secure: false };
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            axum::http::HeaderValue::from_static("en"),
        );
        let th = Locale::from_ui_locales(Some("th"));
        assert_eq!(Locale::negotiate(th, cookies, &h), Locale::Th);
        let none = Locale::from_ui_locales(Some("de"));
        assert_eq!(Locale::negotiate(none, cookies, &h), Locale::En);
    }
}

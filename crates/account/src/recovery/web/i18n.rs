//! The wizard's words, Thai first and English. One table keyed by stable
//! names; a unit test checks that every key the pages use exists.

use pratu_core::web::Language;

pub fn text(lang: Language, key: &str) -> &'static str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("", |(_, th, en)| match lang {
            Language::Th => th,
            Language::En => en,
        })
}

pub fn has(key: &str) -> bool {
    TEXTS.iter().any(|(k, _, _)| *k == key)
}

/// `{n}`-style placeholders.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// A refused field's message: by field and code, by code, or generic.
pub fn field_message(lang: Language, field: &str, code: &str) -> &'static str {
    for key in [format!("err.{field}.{code}"), format!("err.{code}")] {
        if has(&key) {
            return text(lang, &key);
        }
    }
    text(lang, "err.invalid")
}

pub const MONTHS: [&str; 12] = [
    "month.1", "month.2", "month.3", "month.4", "month.5", "month.6", "month.7", "month.8",
    "month.9", "month.10", "month.11", "month.12",
];

#[rustfmt::skip]
pub(crate) const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "กู้คืนบัญชี Digital ID", "Recover your Digital ID"),
    ("lang.switch", "English", "ภาษาไทย"),
    ("btn.continue", "ถัดไป", "Continue"),
    ("btn.back", "ย้อนกลับ", "Back"),
    ("progress.label", "ขั้นตอนการกู้คืนบัญชี", "Recovery steps"),
    ("progress.step_of", "ขั้นตอนที่ {n} จาก {total}", "Step {n} of {total}"),
    ("errors.summary", "กรุณาแก้ไขข้อมูลต่อไปนี้", "Please correct the following"),
    ("step.1", "เลขประจำตัวประชาชน", "Citizen ID"),
    ("step.2", "ยืนยันตัวตน", "Verify identity"),
    ("step.3", "โทรศัพท์มือถือ", "Mobile phone"),
    ("step.4", "รหัส OTP", "SMS code"),
    ("step.5", "รหัสผ่านใหม่", "New password"),
    ("step.6", "เสร็จสิ้น", "Done"),

    ("start.title", "ลืมรหัสผ่าน หรือ โทรศัพท์หาย", "Forgot your password or lost your phone"),
    ("start.intro", "ท่านสามารถกู้คืนบัญชีได้ด้วยการยืนยันตัวตนด้วยบัตรประจำตัวประชาชนอีกครั้ง แล้วรับรหัส OTP ทาง SMS ที่โทรศัพท์ที่ลงทะเบียนไว้ หรือที่หมายเลขใหม่หากโทรศัพท์เครื่องเดิมหาย", "You can recover your account by verifying your identity with your Thai ID card again, then receiving a code by SMS on your registered phone, or on a new number if your old phone is lost."),
    ("start.label", "เลขประจำตัวประชาชน 13 หลัก", "13-digit citizen ID number"),
    ("start.hint", "ตามที่พิมพ์บนบัตรประจำตัวประชาชน จะใส่ขีดหรือไม่ก็ได้", "As printed on your ID card. Dashes are optional."),

    ("identity.title", "ยืนยันตัวตนด้วยบัตรประจำตัวประชาชน", "Verify your identity with your ID card"),
    ("identity.intro", "กรอกข้อมูลให้ตรงกับบัตรประจำตัวประชาชนของท่าน", "Enter the details exactly as on your ID card."),
    ("identity.first", "ชื่อ (ภาษาไทย)", "First name (in Thai)"),
    ("identity.last", "นามสกุล (ภาษาไทย)", "Last name (in Thai)"),
    ("identity.birth_legend", "วันเกิด", "Date of birth"),
    ("identity.birth_hint", "ตามบัตร ปีเป็นพุทธศักราช หากบัตรไม่ระบุวันหรือเดือน ให้เลือก ไม่ระบุ", "As on the card. If the card shows no day or month, choose Not shown."),
    ("identity.day", "วัน", "Day"),
    ("identity.month", "เดือน", "Month"),
    ("identity.year", "ปี (พ.ศ.)", "Year"),
    ("identity.unknown", "ไม่ระบุ", "Not shown"),
    ("identity.laser", "เลขหลังบัตร (Laser code)", "Laser code (back of the card)"),
    ("identity.laser_hint", "ตัวอักษร 2 ตัวและตัวเลข 10 หลักที่ด้านหลังบัตร เช่น JT1-2321456-32", "2 letters and 10 digits on the back of the card, for example JT1-2321456-32."),
    ("identity.submit", "ตรวจสอบตัวตน", "Verify my identity"),

    ("phone.title", "รับรหัส OTP ทาง SMS", "Receive a code by SMS"),
    ("phone.intro", "เลือกหมายเลขที่จะรับรหัส OTP", "Choose where the code goes."),
    ("phone.registered", "ส่งรหัสไปยังโทรศัพท์ที่ลงทะเบียนไว้", "Send the code to my registered phone"),
    ("phone.lost", "โทรศัพท์หาย: ใช้หมายเลขใหม่", "I lost my phone: use a new number"),
    ("phone.lost_hint", "หมายเลขใหม่จะใช้แทนหมายเลขเดิม และเราจะแจ้งหมายเลขเดิมทาง SMS", "The new number replaces the old one, and the old number is told by SMS."),
    ("phone.new_label", "หมายเลขโทรศัพท์มือถือใหม่", "New mobile number"),
    ("phone.submit", "ส่งรหัส OTP", "Send the code"),

    ("otp.title", "กรอกรหัส OTP", "Enter the SMS code"),
    ("otp.sent", "เราได้ส่งรหัส OTP ไปที่หมายเลข {phone}", "We sent a code to {phone}."),
    ("otp.label", "รหัส OTP 6 หลัก", "6-digit code"),
    ("otp.submit", "ยืนยันรหัส", "Confirm the code"),
    ("otp.other", "ส่งรหัสอีกครั้ง หรือใช้หมายเลขอื่น", "Send again, or use another number"),

    ("password.title", "ตั้งรหัสผ่านใหม่", "Choose a new password"),
    ("password.username", "ชื่อผู้ใช้ของท่าน", "Your username"),
    ("password.label", "รหัสผ่านใหม่", "New password"),
    ("password.hint", "อย่างน้อย 8 ตัว ใช้ตัวอักษรภาษาอังกฤษและตัวเลข ต้องมีทั้งตัวอักษรและตัวเลข", "At least 8 characters, English letters and digits, with at least one of each."),
    ("password.note", "เมื่อตั้งรหัสผ่านใหม่แล้ว ทุกอุปกรณ์และแอปพลิเคชันที่เข้าสู่ระบบไว้จะถูกออกจากระบบ", "Once the new password is set, every device and app signed in to your account is signed out."),
    ("password.submit", "ตั้งรหัสผ่านใหม่", "Set the new password"),

    ("done.title", "กู้คืนบัญชีเรียบร้อยแล้ว", "Your account is recovered"),
    ("done.text", "ท่านสามารถเข้าสู่ระบบด้วยรหัสผ่านใหม่ได้ทันที", "You can sign in with your new password now."),
    ("done.account", "ไปที่บัญชีของฉัน", "Go to my account"),
    ("done.removed.app", "แอปยืนยันตัวตน (Authenticator) และรหัสกู้คืนของท่านถูกลบออกแล้ว หากต้องการใช้ต่อ กรุณาเพิ่มใหม่ในบัญชีของท่าน", "Your authenticator app and its recovery codes were removed. Add the app again in your account."),
    ("done.removed.passkeys", "พาสคีย์ {n} รายการของท่านถูกลบออกแล้ว หากต้องการใช้ต่อ กรุณาเพิ่มใหม่ในบัญชีของท่าน", "Your {n} passkey(s) were removed. Add them again in your account."),
    ("done.removed.both", "แอปยืนยันตัวตน (Authenticator) และพาสคีย์ {n} รายการของท่านถูกลบออกแล้ว หากต้องการใช้ต่อ กรุณาเพิ่มใหม่ในบัญชีของท่าน", "Your authenticator app and {n} passkey(s) were removed. Add them again in your account."),
    ("done.removed.why", "การกู้คืนบัญชีลบการยืนยันตัวตนขั้นที่สองทั้งหมด เพื่อไม่ให้ผู้อื่นที่อาจเคยเข้าถึงบัญชียังใช้ได้อยู่", "A recovery removes every second factor, so that nobody who may have held your account can still use one."),
    ("done.home", "กลับหน้าแรก", "Back to the start page"),

    ("problem.title", "ไม่สามารถดำเนินการต่อได้", "We could not continue"),
    ("problem.start_again", "เริ่มใหม่", "Start again"),
    ("problem.csrf", "แบบฟอร์มหมดอายุหรือไม่ถูกต้อง กรุณาลองอีกครั้ง", "The form has expired or is not valid. Please try again."),
    ("problem.invalid_recovery_token", "การกู้คืนบัญชีนี้หมดอายุหรือไม่พบ กรุณาเริ่มใหม่", "This recovery has expired or was not found. Please start again."),
    ("problem.identity_not_verified", "ข้อมูลไม่ตรงกับบัตรประจำตัวประชาชนที่ยังใช้งานได้ กรุณาตรวจสอบชื่อ วันเกิด และเลขหลังบัตรให้ตรงกับบัตร", "The details do not match a valid ID card. Check the names, the date of birth and the laser code exactly as on your card."),
    ("problem.attempts_left", "ลองได้อีก {n} ครั้ง", "{n} attempts left."),
    ("problem.identity_service_unavailable", "ระบบตรวจสอบข้อมูลบัตรไม่พร้อมใช้งานชั่วคราว กรุณาลองใหม่ภายหลัง", "The ID card check is unavailable right now. Please try again later."),
    ("problem.proofing_method_unsupported", "ไม่สามารถตรวจสอบบัตรนี้ทางออนไลน์ได้", "This card cannot be checked online."),
    ("problem.no_digital_id", "เลขประจำตัวประชาชนนี้ยังไม่มี Digital ID กรุณาสมัครใช้งาน", "This citizen ID has no Digital ID yet. Please enroll."),
    ("problem.enroll", "สมัคร Digital ID", "Enroll for a Digital ID"),
    ("problem.account_disabled", "Digital ID นี้ถูกระงับการใช้งาน กรุณาติดต่อศูนย์บริการ", "This Digital ID is disabled. Please contact the service desk."),
    ("problem.otp_expired", "รหัส OTP หมดอายุหรือใช้ไม่ได้แล้ว กรุณาขอรหัสใหม่", "The code has expired. Please ask for a new one."),
    ("problem.too_many_attempts", "ทำรายการหลายครั้งเกินไป กรุณาลองใหม่ภายหลัง", "Too many attempts. Please try again later."),
    ("problem.sms_unavailable", "ไม่สามารถส่ง SMS ได้ในขณะนี้ กรุณาลองใหม่ภายหลัง", "The SMS could not be sent. Please try again later."),
    ("problem.temporarily_unavailable", "ระบบมีผู้ใช้งานจำนวนมาก กรุณาลองอีกครั้ง", "The service is busy. Please try again."),
    ("problem.internal_error", "ระบบขัดข้องชั่วคราว กรุณาลองใหม่ภายหลัง", "Something went wrong on our side. Please try again later."),

    ("err.invalid", "ข้อมูลไม่ถูกต้อง", "This is not valid."),
    ("err.required", "กรุณากรอกข้อมูลนี้", "This is required."),
    ("err.citizen_id.checksum", "เลขประจำตัวประชาชนไม่ถูกต้อง กรุณาตรวจสอบอีกครั้ง", "This citizen ID is not valid. Please check it."),
    ("err.citizen_id.wrong_length", "เลขประจำตัวประชาชนต้องมี 13 หลัก", "A citizen ID has 13 digits."),
    ("err.citizen_id.invalid_character", "ใช้ได้เฉพาะตัวเลข", "Digits only."),
    ("err.citizen_id.not_accepted", "ไม่รับเลขประจำตัวประชาชนประเภทนี้", "This kind of citizen ID is not accepted."),
    ("err.not_thai", "กรุณากรอกเป็นภาษาไทย", "Please write it in Thai."),
    ("err.too_long", "ยาวเกินไป", "This is too long."),
    ("err.birth_date.year_required", "กรุณากรอกปีเกิด", "Please enter the year of birth."),
    ("err.birth_date.in_future", "วันเกิดต้องไม่เป็นวันในอนาคต", "The date of birth cannot be in the future."),
    ("err.laser_code.wrong_length", "เลขหลังบัตรมีตัวอักษร 2 ตัวและตัวเลข 10 หลัก", "A laser code has 2 letters and 10 digits."),
    ("err.laser_code.letters_expected", "เลขหลังบัตรขึ้นต้นด้วยตัวอักษรภาษาอังกฤษ 2 ตัว", "A laser code starts with 2 letters."),
    ("err.laser_code.digits_expected", "หลังตัวอักษร 2 ตัวต้องเป็นตัวเลข 10 หลัก", "After the 2 letters come 10 digits."),
    ("err.phone.invalid", "หมายเลขโทรศัพท์มือถือไม่ถูกต้อง เช่น 0812345678", "Not a Thai mobile number (for example 0812345678)."),
    ("err.code.invalid", "รหัส OTP มี 6 หลัก", "The code has 6 digits."),
    ("err.code.otp_invalid", "รหัส OTP ไม่ถูกต้อง", "The code is not correct."),
    ("err.password.too_short", "รหัสผ่านสั้นเกินไป (อย่างน้อย 8 ตัว)", "The password is too short (at least 8 characters)."),
    ("err.password.too_long", "รหัสผ่านยาวเกินไป", "The password is too long."),
    ("err.password.invalid_character", "ใช้ได้เฉพาะตัวอักษรภาษาอังกฤษและตัวเลข", "English letters and digits only."),
    ("err.password.needs_letter", "ต้องมีตัวอักษรภาษาอังกฤษอย่างน้อย 1 ตัว", "Needs at least one English letter."),
    ("err.password.needs_digit", "ต้องมีตัวเลขอย่างน้อย 1 ตัว", "Needs at least one digit."),
    ("err.password.too_common", "รหัสผ่านนี้ถูกใช้บ่อยเกินไป กรุณาเลือกรหัสอื่น", "This password is too common. Please choose another."),
    ("err.password.contains_username", "รหัสผ่านต้องไม่มีชื่อผู้ใช้อยู่ในนั้น", "The password must not contain your username."),
    ("err.choice", "กรุณาเลือกหนึ่งข้อ", "Please choose one."),

    ("month.1", "มกราคม", "January"), ("month.2", "กุมภาพันธ์", "February"),
    ("month.3", "มีนาคม", "March"), ("month.4", "เมษายน", "April"),
    ("month.5", "พฤษภาคม", "May"), ("month.6", "มิถุนายน", "June"),
    ("month.7", "กรกฎาคม", "July"), ("month.8", "สิงหาคม", "August"),
    ("month.9", "กันยายน", "September"), ("month.10", "ตุลาคม", "October"),
    ("month.11", "พฤศจิกายน", "November"), ("month.12", "ธันวาคม", "December"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_used_by_the_templates_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/recover");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("p.t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(has(key), "{key} in {}", path.display());
            }
        }
    }

    #[test]
    fn every_entry_has_both_languages() {
        for (k, th, en) in TEXTS {
            assert!(!th.is_empty() && !en.is_empty(), "{k}");
        }
    }
}

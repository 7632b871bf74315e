//! The wizard's words, in Thai (default) and English. One table keyed by
//! stable names; a unit test checks that every key a template uses exists.

/// The language is chosen once for every page (`pratu_core::web::locale`);
/// only the words are the wizard's own.
pub use pratu_core::web::Language as Lang;

/// Looks `key` up; an unknown key shows itself (and fails the test below).
pub fn text(lang: Lang, key: &str) -> &'static str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("", |(_, th, en)| match lang {
            Lang::Th => th,
            Lang::En => en,
        })
}

pub fn has(key: &str) -> bool {
    TEXTS.iter().any(|(k, _, _)| *k == key)
}

/// Plain-language message for a refused field: field-specific first, then
/// by code, then a generic one.
pub fn field_message(lang: Lang, field: &str, code: &str) -> &'static str {
    for key in [format!("err.{field}.{code}"), format!("err.{code}")] {
        if has(&key) {
            return text(lang, &key);
        }
    }
    text(lang, "err.invalid")
}

/// `{n}`-style placeholders.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

pub const MONTHS: [&str; 12] = [
    "month.1", "month.2", "month.3", "month.4", "month.5", "month.6", "month.7", "month.8",
    "month.9", "month.10", "month.11", "month.12",
];

#[rustfmt::skip]
const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "ลงทะเบียน Digital ID", "Digital ID enrollment"),
    ("lang.switch", "English", "ภาษาไทย"),
    ("btn.continue", "ถัดไป", "Continue"),
    ("btn.back", "ย้อนกลับ", "Back"),
    ("progress.label", "ขั้นตอนการสมัคร", "Enrollment steps"),
    ("progress.step_of", "ขั้นตอนที่ {n} จาก {total}", "Step {n} of {total}"),
    ("errors.summary", "กรุณาแก้ไขข้อมูลต่อไปนี้", "Please correct the following"),
    ("optional", "ไม่บังคับ", "optional"),
    ("step.1", "ยอมรับข้อกำหนด", "Terms"),
    ("step.2", "เลขประจำตัวประชาชน", "Citizen ID"),
    ("step.3", "วิธียืนยันตัวตน", "Method"),
    ("step.4", "ข้อมูลส่วนบุคคล", "Personal details"),
    ("step.5", "เลขหลังบัตร", "Laser code"),
    ("step.6", "บัญชีผู้ใช้", "Account"),
    ("step.7", "โทรศัพท์มือถือ", "Mobile phone"),
    ("step.8", "ตรวจสอบข้อมูล", "Review"),
    ("step.9", "เสร็จสิ้น", "Done"),
    ("citizen.masked_label", "เลขประจำตัวประชาชน", "Citizen ID"),

    ("consent.title", "สมัครใช้งาน Digital ID", "Create your Digital ID"),
    ("consent.intro", "Digital ID คือบัญชีเดียวสำหรับเข้าสู่ระบบบริการออนไลน์ของหน่วยงานรัฐ กรุณาเตรียมบัตรประจำตัวประชาชนและโทรศัพท์มือถือของท่านไว้ให้พร้อม", "A Digital ID is one account to sign in to government online services. Please have your Thai ID card and your mobile phone ready."),
    ("consent.terms_heading", "ข้อกำหนดการพิสูจน์และยืนยันตัวตน", "Identity-proofing terms"),
    ("consent.version", "ฉบับ", "Version"),
    ("consent.accept", "ข้าพเจ้าได้อ่านและยอมรับข้อกำหนดข้างต้น และยินยอมให้ตรวจสอบข้อมูลของข้าพเจ้ากับกรมการปกครอง", "I have read and accept these terms, and I agree that my details are checked with the Department of Provincial Administration."),
    ("consent.submit", "ยอมรับและเริ่มสมัคร", "Accept and start"),

    ("citizen.title", "เลขประจำตัวประชาชน", "Your citizen ID number"),
    ("citizen.label", "เลขประจำตัวประชาชน 13 หลัก", "13-digit citizen ID number"),
    ("citizen.hint", "ตามที่พิมพ์บนบัตรประจำตัวประชาชน เช่น 1-2345-67890-12-1 จะใส่ขีดหรือไม่ก็ได้", "As printed on your ID card, for example 1-2345-67890-12-1. Dashes are optional."),

    ("method.title", "ท่านจะยืนยันตัวตนด้วยวิธีใด", "How will you verify your identity?"),
    ("method.legend", "วิธียืนยันตัวตน", "Verification method"),
    ("method.laser", "ใช้เลขหลังบัตรประจำตัวประชาชน (Laser Code)", "With the laser code on the back of my ID card"),
    ("method.laser_hint", "อักษรภาษาอังกฤษ 2 ตัวและตัวเลข 10 หลัก ที่ด้านหลังบัตรแบบสมาร์ทการ์ด เช่น AB1-1234567-89", "2 letters and 10 digits on the back of a smart ID card, for example AB1-1234567-89."),
    ("method.no_laser", "บัตรของฉันไม่มีเลขหลังบัตร (บัตรตลอดชีพแบบเก่า)", "My card has no laser code (old lifetime card)"),

    ("nolaser.title", "บัตรที่ไม่มีเลขหลังบัตร", "Cards without a laser code"),
    ("nolaser.body", "บัตรประจำตัวประชาชนแบบตลอดชีพรุ่นเก่าที่ไม่ใช่สมาร์ทการ์ดไม่มีเลขหลังบัตร จึงไม่สามารถตรวจสอบทางออนไลน์ได้ ท่านยังสมัคร Digital ID ได้ด้วยวิธีต่อไปนี้", "Old lifetime ID cards that are not smart cards have no laser code, so they cannot be checked online. You can still get a Digital ID another way:"),
    ("nolaser.option1", "ติดต่อสำนักงานเขตหรือที่ว่าการอำเภอใกล้บ้าน เพื่อทำบัตรประจำตัวประชาชนแบบสมาร์ทการ์ดใบใหม่ แล้วกลับมาสมัครด้วยเลขหลังบัตรใหม่", "Visit a district office (สำนักงานเขต or ที่ว่าการอำเภอ) to get a new smart ID card, then come back and enroll with its laser code."),
    ("nolaser.option2", "สมัครด้วยตนเองที่จุดให้บริการของหน่วยงาน โดยนำบัตรประจำตัวประชาชนตัวจริงไปแสดง", "Enroll in person at an agency service counter, bringing your ID card."),
    ("nolaser.back", "เลือกวิธีอื่น", "Choose another method"),

    ("personal.title", "ข้อมูลตามบัตรประจำตัวประชาชน", "Your details as on your ID card"),
    ("personal.intro", "กรอกชื่อและนามสกุลภาษาไทยให้ตรงกับบัตร ไม่ต้องใส่คำนำหน้าชื่อ", "Enter your Thai first and last name exactly as on your card, without the title."),
    ("personal.title_label", "คำนำหน้าชื่อ", "Title"),
    ("personal.title_none", "ไม่ระบุ", "Not given"),
    ("personal.first", "ชื่อ (ภาษาไทย)", "First name (in Thai)"),
    ("personal.middle", "ชื่อรอง (ถ้ามี)", "Middle name (if any)"),
    ("personal.last", "นามสกุล (ภาษาไทย)", "Last name (in Thai)"),
    ("personal.english_legend", "ชื่อภาษาอังกฤษ ตามด้านหลังบัตร", "Name in English, as on the back of the card"),
    ("personal.title_en", "คำนำหน้าชื่อ (อังกฤษ)", "Title (English)"),
    ("personal.first_en", "ชื่อ (อังกฤษ)", "First name (English)"),
    ("personal.middle_en", "ชื่อรอง (อังกฤษ)", "Middle name (English)"),
    ("personal.last_en", "นามสกุล (อังกฤษ)", "Last name (English)"),
    ("personal.birth_legend", "วันเกิด", "Date of birth"),
    ("personal.birth_hint", "ตามบัตร ใช้ปี พ.ศ. หรือ ค.ศ. ก็ได้ หากบัตรไม่ระบุวันหรือเดือน ให้เลือก “ไม่ระบุ”", "As on your card. The year may be Buddhist Era (B.E.) or Common Era. If your card shows no day or month, choose “Not shown”."),
    ("personal.day", "วัน", "Day"),
    ("personal.month", "เดือน", "Month"),
    ("personal.year", "ปี", "Year"),
    ("personal.unknown", "ไม่ระบุ", "Not shown"),

    ("laser.title", "เลขหลังบัตรประจำตัวประชาชน", "Laser code"),
    ("laser.label", "เลขหลังบัตร (Laser Code)", "Laser code on the back of your ID card"),
    ("laser.hint", "อักษรภาษาอังกฤษ 2 ตัวและตัวเลข 10 หลัก เช่น AB1-1234567-89 ใช้เพื่อการตรวจสอบครั้งนี้เท่านั้น ระบบจะไม่จัดเก็บ", "2 letters and 10 digits, for example AB1-1234567-89. It is used for this check only and is not stored."),
    ("laser.summary", "ข้อมูลที่จะตรวจสอบกับกรมการปกครอง", "Details to be checked with the Department of Provincial Administration"),
    ("laser.edit", "แก้ไขข้อมูล", "Change these details"),
    ("laser.submit", "ตรวจสอบตัวตน", "Verify my identity"),

    ("account.title", "ตั้งชื่อผู้ใช้และรหัสผ่าน", "Choose a username and password"),
    ("account.verified", "ยืนยันตัวตนสำเร็จแล้ว", "Your identity has been verified."),
    ("account.username", "ชื่อผู้ใช้", "Username"),
    ("account.username_hint", "อักษรภาษาอังกฤษและตัวเลขเท่านั้น {min}–{max} ตัวอักษร", "English letters and digits only, {min}–{max} characters."),
    ("account.password", "รหัสผ่าน", "Password"),
    ("account.password_hint", "อย่างน้อย {min} ตัวอักษร ใช้อักษรภาษาอังกฤษและตัวเลข โดยมีทั้งตัวอักษรและตัวเลข", "At least {min} characters: English letters and digits, with at least one of each."),

    ("phone.title", "หมายเลขโทรศัพท์มือถือ", "Your mobile phone number"),
    ("phone.label", "หมายเลขโทรศัพท์มือถือ", "Mobile number"),
    ("phone.hint", "10 หลัก ขึ้นต้นด้วย 06, 08 หรือ 09 ระบบจะส่งรหัส OTP ทาง SMS", "10 digits starting 06, 08 or 09. We will send you a one-time code by SMS."),
    ("phone.submit", "ส่งรหัส OTP", "Send the code"),

    ("otp.title", "กรอกรหัส OTP", "Enter the code"),
    ("otp.sent", "ส่งรหัส OTP ไปที่หมายเลข {phone} แล้ว รหัสอ้างอิง (Ref) คือ {ref}", "We sent a code to {phone}. The reference (Ref) is {ref}."),
    ("otp.label", "รหัส OTP 6 หลัก", "6-digit code"),
    ("otp.expires", "รหัสใช้ได้ {n} นาที", "The code is valid for {n} minutes."),
    ("otp.submit", "ยืนยันรหัส", "Confirm the code"),
    ("otp.resend", "ส่งรหัสใหม่", "Send a new code"),
    ("otp.resend_wait", "ขอรหัสใหม่ได้หลังจาก {n} วินาที", "You can ask for a new code after {n} seconds."),
    ("otp.change", "เปลี่ยนหมายเลขโทรศัพท์", "Use another number"),

    ("review.title", "ตรวจสอบข้อมูลก่อนยืนยัน", "Check your details"),
    ("review.intro", "กรุณาตรวจสอบข้อมูลทั้งหมด เมื่อยืนยันแล้วระบบจะสร้างบัญชี Digital ID ของท่าน", "Please check everything. When you confirm, your Digital ID account is created."),
    ("review.verified", "ยืนยันแล้ว", "verified"),
    ("review.name", "ชื่อ-นามสกุล", "Name"),
    ("review.name_en", "ชื่อภาษาอังกฤษ", "Name in English"),
    ("review.birth", "วันเกิด", "Date of birth"),
    ("review.identity", "การยืนยันตัวตน", "Identity check"),
    ("review.identity_done", "ตรวจสอบด้วยเลขหลังบัตรแล้ว", "Checked with the laser code"),
    ("review.change", "แก้ไข", "Change"),
    ("review.submit", "ยืนยันการสมัคร", "Create my Digital ID"),

    ("done.title", "สมัคร Digital ID สำเร็จ", "Your Digital ID is ready"),
    ("done.body", "ท่านใช้ชื่อผู้ใช้ {username} เข้าสู่ระบบบริการที่รองรับ Digital ID ได้ทันที", "You can now sign in with the username {username} wherever Digital ID is accepted."),
    ("done.continue", "เข้าสู่ระบบแอปที่ท่านมาจากต่อ", "Continue signing in to the app you came from"),
    ("done.portal", "ไปที่บัญชี Digital ID ของฉัน", "Go to my Digital ID account"),

    ("problem.title", "ไม่สามารถดำเนินการได้", "Something needs attention"),
    ("problem.start_again", "เริ่มสมัครใหม่", "Start again"),
    ("problem.try_again", "ลองอีกครั้ง", "Try again"),
    ("problem.attempts_left", "เหลือโอกาสอีก {n} ครั้ง", "{n} attempts left."),
    ("problem.identity_not_verified", "ข้อมูลไม่ตรงกับบัตรประจำตัวประชาชนที่ยังใช้งานได้ กรุณาตรวจสอบชื่อ นามสกุล วันเกิด และเลขหลังบัตรให้ตรงตามที่พิมพ์บนบัตร และบัตรต้องยังไม่หมดอายุ", "These details do not match a valid ID card. Check the names, the date of birth and the laser code exactly as printed on your card, and that the card has not expired."),
    ("problem.identity_service_unavailable", "ระบบตรวจสอบข้อมูลบัตรไม่พร้อมใช้งานในขณะนี้ กรุณาลองใหม่ภายหลัง ข้อมูลที่กรอกไว้ยังอยู่", "The ID card check is not available right now. Please try again later; what you entered is kept."),
    ("problem.too_many_attempts", "ท่านลองหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่", "Too many attempts. Please wait a while and try again."),
    ("problem.citizen_id_taken", "เลขประจำตัวประชาชนนี้มี Digital ID อยู่แล้ว หากเข้าสู่ระบบไม่ได้ กรุณาติดต่อเจ้าหน้าที่", "This citizen ID already has a Digital ID. If you cannot sign in, please contact support."),
    ("problem.proofing_method_unsupported", "วิธีนี้ไม่สามารถยืนยันทางออนไลน์ได้", "This method cannot be used online."),
    ("problem.otp_expired", "รหัส OTP หมดอายุหรือถูกใช้ไปแล้ว กรุณากดส่งรหัสใหม่", "The code has expired or was already used. Please send a new code."),
    ("problem.sms_unavailable", "ส่ง SMS ไม่สำเร็จ กรุณาลองใหม่ภายหลัง", "The SMS could not be sent. Please try again later."),
    ("problem.step_out_of_order", "ขั้นตอนนี้ยังไม่พร้อม กรุณาทำขั้นตอนก่อนหน้าให้เสร็จ", "This step is not available yet. Please finish the earlier steps."),
    ("problem.enrollment_expired", "การสมัครหมดเวลาแล้ว เพื่อความปลอดภัยของข้อมูล กรุณาเริ่มใหม่", "Your enrollment timed out. For the safety of your data, please start again."),
    ("problem.enrollment_not_found", "ไม่พบการสมัครของท่าน กรุณาเริ่มใหม่", "We could not find your enrollment. Please start again."),
    ("problem.invalid_enrollment_token", "ไม่สามารถดำเนินการสมัครนี้ต่อจากเบราว์เซอร์นี้ได้ กรุณาเริ่มใหม่", "This enrollment cannot be continued from this browser. Please start again."),
    ("problem.terms_outdated", "ข้อกำหนดมีการปรับปรุง กรุณาอ่านและยอมรับอีกครั้ง", "The terms were updated. Please read and accept them again."),
    ("problem.conflict", "มีการส่งข้อมูลซ้ำพร้อมกัน กรุณาลองอีกครั้ง", "The form was sent twice at once. Please try again."),
    ("problem.csrf", "หน้านี้หมดอายุแล้ว กรุณากรอกข้อมูลอีกครั้ง", "This page has expired. Please fill it in again."),
    ("problem.temporarily_unavailable", "ระบบมีผู้ใช้งานจำนวนมากในขณะนี้ กรุณารอสักครู่แล้วลองอีกครั้ง ข้อมูลที่กรอกไว้ยังอยู่", "The service is busy right now. Please wait a moment and try again; what you entered is kept."),
    ("problem.internal_error", "เกิดข้อผิดพลาดในระบบ กรุณาลองใหม่ภายหลัง", "Something went wrong on our side. Please try again later."),

    ("err.invalid", "ข้อมูลไม่ถูกต้อง", "This is not valid."),
    ("err.required", "กรุณากรอกข้อมูลนี้", "Please fill this in."),
    ("err.too_long", "ข้อมูลยาวเกินไป", "This is too long."),
    ("err.too_short", "ข้อมูลสั้นเกินไป", "This is too short."),
    ("err.not_thai", "กรุณากรอกเป็นภาษาไทยตามบัตร", "Please write this in Thai, as on your card."),
    ("err.not_latin", "ใช้ได้เฉพาะอักษรภาษาอังกฤษ ช่องว่าง เครื่องหมาย - และ .", "Use English letters, spaces, “-” and “.” only."),
    ("err.accept.required", "กรุณายอมรับข้อกำหนดก่อนดำเนินการต่อ", "Please accept the terms to continue."),
    ("err.citizen_id.checksum", "เลขประจำตัวประชาชนไม่ถูกต้อง กรุณาตรวจสอบตัวเลขอีกครั้ง", "This citizen ID number is not valid. Please check the digits."),
    ("err.citizen_id.wrong_length", "เลขประจำตัวประชาชนต้องมี 13 หลัก", "A citizen ID number has 13 digits."),
    ("err.citizen_id.invalid_character", "ใช้ได้เฉพาะตัวเลข 0–9", "Use the digits 0–9 only."),
    ("err.citizen_id.not_accepted", "เลขประจำตัวประเภทนี้ไม่สามารถสมัครทางออนไลน์ได้", "This kind of ID number cannot enroll online."),
    ("err.method.unknown", "กรุณาเลือกวิธียืนยันตัวตน", "Please choose a method."),
    ("err.birth_date.invalid", "วันเกิดไม่ถูกต้อง", "This date is not valid."),
    ("err.birth_date.year_required", "กรุณากรอกปีเกิด", "Please enter the year of birth."),
    ("err.birth_date.day_without_month", "หากระบุวัน ต้องระบุเดือนด้วย", "If you give the day, please give the month too."),
    ("err.birth_date.invalid_month", "เดือนไม่ถูกต้อง", "This month is not valid."),
    ("err.birth_date.invalid_day", "วันที่นี้ไม่มีในเดือนที่เลือก", "That day does not exist in that month."),
    ("err.birth_date.in_future", "วันเกิดต้องไม่เป็นวันในอนาคต", "The date of birth cannot be in the future."),
    ("err.birth_date.too_old", "ปีเกิดไม่ถูกต้อง", "This year is not valid."),
    ("err.laser_code.wrong_length", "เลขหลังบัตรมีอักษรภาษาอังกฤษ 2 ตัวและตัวเลข 10 หลัก", "A laser code has 2 letters and 10 digits."),
    ("err.laser_code.letters_expected", "เลขหลังบัตรขึ้นต้นด้วยอักษรภาษาอังกฤษ 2 ตัว", "A laser code starts with 2 English letters."),
    ("err.laser_code.digits_expected", "หลังอักษร 2 ตัวต้องเป็นตัวเลข 10 หลัก", "After the 2 letters come 10 digits."),
    ("err.username.invalid_character", "ใช้ได้เฉพาะอักษรภาษาอังกฤษและตัวเลข", "Use English letters and digits only."),
    ("err.username.taken", "ชื่อผู้ใช้นี้มีผู้ใช้แล้ว กรุณาเลือกชื่ออื่น", "This username is taken. Please choose another."),
    ("err.password.too_short", "รหัสผ่านสั้นเกินไป", "The password is too short."),
    ("err.password.too_long", "รหัสผ่านยาวเกินไป", "The password is too long."),
    ("err.password.invalid_character", "ใช้ได้เฉพาะอักษรภาษาอังกฤษและตัวเลข", "Use English letters and digits only."),
    ("err.password.needs_letter", "ต้องมีอักษรภาษาอังกฤษอย่างน้อย 1 ตัว", "Include at least one English letter."),
    ("err.password.needs_digit", "ต้องมีตัวเลขอย่างน้อย 1 ตัว", "Include at least one digit."),
    ("err.password.too_common", "รหัสผ่านนี้ถูกใช้กันมากและเดาได้ง่าย กรุณาตั้งรหัสผ่านอื่น", "This password is too common and easy to guess. Please choose another."),
    ("err.password.contains_username", "รหัสผ่านต้องไม่มีชื่อผู้ใช้อยู่ในนั้น", "The password must not contain your username."),
    ("err.phone.invalid", "กรุณากรอกหมายเลขโทรศัพท์มือถือ 10 หลัก ขึ้นต้นด้วย 06, 08 หรือ 09", "Enter a 10-digit mobile number starting 06, 08 or 09."),
    ("err.code.invalid", "รหัส OTP เป็นตัวเลข 6 หลัก", "The code has 6 digits."),
    ("err.code.wrong", "รหัส OTP ไม่ถูกต้อง", "The code is not correct."),

    ("month.1", "มกราคม", "January"),
    ("month.2", "กุมภาพันธ์", "February"),
    ("month.3", "มีนาคม", "March"),
    ("month.4", "เมษายน", "April"),
    ("month.5", "พฤษภาคม", "May"),
    ("month.6", "มิถุนายน", "June"),
    ("month.7", "กรกฎาคม", "July"),
    ("month.8", "สิงหาคม", "August"),
    ("month.9", "กันยายน", "September"),
    ("month.10", "ตุลาคม", "October"),
    ("month.11", "พฤศจิกายน", "November"),
    ("month.12", "ธันวาคม", "December"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut keys: Vec<_> = TEXTS.iter().map(|t| t.0).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "duplicate keys");
        for (key, th, en) in TEXTS {
            assert!(!th.is_empty() && !en.is_empty(), "{key}");
        }
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let source = std::fs::read_to_string(&path).unwrap();
            for part in source.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(has(key), "{} uses unknown key {key}", path.display());
            }
        }
    }

    #[test]
    fn field_messages_fall_back_from_field_to_code_to_generic() {
        assert_eq!(
            field_message(Lang::En, "citizen_id", "checksum"),
            text(Lang::En, "err.citizen_id.checksum")
        );
        assert_eq!(
            field_message(Lang::Th, "first_name", "not_thai"),
            text(Lang::Th, "err.not_thai")
        );
        assert_eq!(field_message(Lang::En, "x", "y"), "This is not valid.");
        assert_eq!(
            fill("Step {n} of {total}", &[("n", "2"), ("total", "9")]),
            "Step 2 of 9"
        );
    }
}

/// A birth date as a reader expects it: Thai with the B.E. year
/// (`29 ธันวาคม 2538`), English with the C.E. year (`29 December 1995`);
/// unknown parts left out.
pub fn format_birth(lang: Lang, date: crate::domain::BirthDate) -> String {
    let year = match lang {
        Lang::Th => date.year_be(),
        Lang::En => date.year_ce(),
    };
    let month = date
        .month()
        .and_then(|m| MONTHS.get(usize::from(m).wrapping_sub(1)))
        .map(|k| text(lang, k));
    match (date.day(), month) {
        (Some(d), Some(m)) => format!("{d} {m} {year}"),
        (None, Some(m)) => format!("{m} {year}"),
        _ => year.to_string(),
    }
}

#[cfg(test)]
mod format_tests {
    use super::*;
    use crate::domain::BirthDate;

    #[test]
    fn birth_dates_read_naturally_in_each_language() {
        let d = |s| BirthDate::parse(s, time::Date::MAX).unwrap();
        assert_eq!(format_birth(Lang::Th, d("1995-12-29")), "29 ธันวาคม 2538");
        assert_eq!(format_birth(Lang::En, d("1995-12-29")), "29 December 1995");
        assert_eq!(format_birth(Lang::Th, d("1995-12-00")), "ธันวาคม 2538");
        assert_eq!(format_birth(Lang::En, d("1995")), "1995");
    }
}

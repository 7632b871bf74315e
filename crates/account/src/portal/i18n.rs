//! The front door's and portal's words, in Thai (default) and English. One
//! table keyed by stable names; a unit test checks that every key a template
//! uses exists. The pages built on the portal's shell add their keys here.

use pratu_core::web::Language;

/// Looks `key` up; an unknown key shows nothing (and fails the test below).
pub fn text(lang: Language, key: &str) -> &'static str {
    TEXTS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map_or("", |(_, th, en)| match lang {
            Language::Th => th,
            Language::En => en,
        })
}

#[cfg(test)]
pub fn has(key: &str) -> bool {
    TEXTS.iter().any(|(k, _, _)| *k == key)
}

#[rustfmt::skip]
const TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "Digital ID", "Digital ID"),
    ("app.tagline", "บัญชีเดียว ใช้ยืนยันตัวตนกับบริการภาครัฐได้ทุกที่", "One account to prove who you are to government services"),
    ("lang.switch", "English", "ภาษาไทย"),
    ("skip", "ข้ามไปยังเนื้อหาหลัก", "Skip to main content"),
    ("footer.text", "Pratu · ผู้ให้บริการยืนยันตัวตนดิจิทัล", "Pratu · Digital ID provider"),
    ("footer.home", "หน้าแรก", "Home"),
    // The front door.
    ("front.title", "Digital ID ของฉัน", "My Digital ID"),
    ("front.intro", "Digital ID คือบัญชีเดียวที่ใช้เข้าสู่ระบบบริการของหน่วยงานรัฐ ยืนยันตัวตนด้วยบัตรประจำตัวประชาชนเพียงครั้งเดียวตอนสมัคร แล้วใช้ชื่อผู้ใช้และรหัสผ่านของคุณได้ทุกที่", "Digital ID is one account for signing in to government agencies' services. You prove who you are with your national ID card once, when you enroll, then use your own username and password everywhere."),
    ("front.signin", "เข้าสู่ระบบ Digital ID ของฉัน", "Sign in to my Digital ID"),
    ("front.signin_hint", "ดูข้อมูลบัญชี เปลี่ยนรหัสผ่านหรือเบอร์โทรศัพท์ และดูว่าแอปใดเข้าถึงข้อมูลของคุณ", "See your account, change your password or phone, and see which apps hold your data."),
    ("front.enroll", "สมัคร Digital ID", "Enroll for a Digital ID"),
    ("front.enroll_hint", "ใช้เวลาประมาณ 5 นาที เตรียมบัตรประจำตัวประชาชน (เลขหลังบัตร) และโทรศัพท์มือถือให้พร้อม", "Takes about 5 minutes. Have your national ID card (the laser code on its back) and your mobile phone ready."),
    ("front.have_heading", "มี Digital ID แล้ว", "I have a Digital ID"),
    ("front.new_heading", "ยังไม่มี Digital ID", "I do not have a Digital ID yet"),
    ("front.help_heading", "เข้าสู่ระบบไม่ได้?", "Cannot sign in?"),
    ("front.recover", "ลืมรหัสผ่าน หรือเปลี่ยนเบอร์โทรศัพท์เพราะทำหาย", "Forgot your password, or lost your phone"),
    ("front.recover_hint", "ยืนยันตัวตนด้วยบัตรประจำตัวประชาชนอีกครั้งเพื่อกลับเข้าสู่บัญชี", "Prove who you are with your ID card again to get back into your account."),
    // The portal's shell.
    ("nav.label", "เมนูบัญชี", "Account menu"),
    ("nav.profile", "ข้อมูลของฉัน", "Profile"),
    ("signout", "ออกจากระบบ", "Sign out"),
    ("signed_in_as", "เข้าสู่ระบบในชื่อ", "Signed in as"),
    // The profile.
    ("profile.title", "ข้อมูลของฉัน", "My profile"),
    ("profile.intro", "ข้อมูลที่ยืนยันแล้วกับบัตรประจำตัวประชาชนของคุณ หน่วยงานจะได้รับเฉพาะข้อมูลที่คุณอนุญาต", "The details proved against your national ID card. An agency receives only what you allow."),
    ("profile.username", "ชื่อผู้ใช้", "Username"),
    ("profile.name", "ชื่อ-นามสกุล", "Name"),
    ("profile.name_en", "ชื่อ-นามสกุล (ภาษาอังกฤษ)", "Name in English"),
    ("profile.citizen_id", "เลขประจำตัวประชาชน", "Citizen ID"),
    ("profile.phone", "เบอร์โทรศัพท์มือถือ", "Mobile phone"),
    ("profile.phone_verified", "ยืนยันแล้ว", "verified"),
    ("profile.ial", "ระดับความน่าเชื่อถือของการยืนยันตัวตน", "Identity assurance level"),
    ("profile.ial_how", "ยืนยันกับทะเบียนราษฎร์ด้วยเลขหลังบัตร", "proved against the civil registry with the card's laser code"),
    ("profile.not_proofed", "ไม่ได้ยืนยันตัวตน (บัญชีเจ้าหน้าที่)", "not proofed (staff account)"),
    ("profile.member_since", "เป็นสมาชิกตั้งแต่", "Member since"),
    ("profile.none", "ไม่มี", "none"),
    // The operation pages.
    ("nav.password", "รหัสผ่าน", "Password"),
    ("nav.activity", "ประวัติการใช้งาน", "Activity"),
    ("nav.data", "ข้อมูลของฉันที่เก็บไว้", "My data"),
    ("nav.factors", "การยืนยันตัวตนขั้นที่สอง", "Second factors"),
    ("factors.title", "การยืนยันตัวตนขั้นที่สอง", "Second factors"),
    ("factors.intro", "บริการที่ต้องการความปลอดภัยสูงจะขอให้คุณยืนยันตัวตนเพิ่มหลังใส่รหัสผ่าน ด้วยวิธีด้านล่าง", "Services that need more assurance ask you to confirm it is you after your password, with the method below."),
    ("factors.sms", "รหัส OTP ทาง SMS", "A code by SMS"),
    ("factors.sms_on", "เปิดใช้งาน: ส่งรหัสไปยังเบอร์ที่ยืนยันแล้ว", "On: codes go to your verified number"),
    ("factors.sms_change", "เปลี่ยนเบอร์ได้ที่", "Change the number at"),
    ("factors.sms_off", "ยังไม่มีเบอร์ที่ยืนยันแล้ว เพิ่มได้ที่", "No verified number yet; add one at"),
    ("factors.passkeys", "พาสคีย์", "Passkeys"),
    ("factors.passkeys_intro", "พาสคีย์ใช้ลายนิ้วมือ ใบหน้า หรือ PIN ของอุปกรณ์เข้าสู่ระบบได้ทันทีโดยไม่ต้องใส่รหัสผ่าน และนับเป็นการยืนยันตัวตนสองขั้นในตัว", "A passkey signs you in with your device's fingerprint, face or PIN, without a password, and counts as two factors by itself."),
    ("factors.passkeys_manage", "จัดการพาสคีย์", "Manage passkeys"),
    ("factors.totp", "แอปยืนยันตัวตน (Authenticator)", "Authenticator app"),
    ("factors.totp_on", "เปิดใช้งานแล้ว", "On"),
    ("factors.totp_off", "ยังไม่ได้เพิ่ม", "Not added"),
    ("factors.totp_intro", "แอปในโทรศัพท์ เช่น Google Authenticator หรือ Microsoft Authenticator สร้างรหัส 6 หลักใหม่ทุก 30 วินาที ใช้ได้แม้ไม่มีสัญญาณโทรศัพท์", "An app on your phone, such as Google Authenticator or Microsoft Authenticator, makes a new 6-digit code every 30 seconds, even without mobile signal."),
    ("factors.totp_manage", "จัดการแอปยืนยันตัวตน", "Manage the authenticator app"),
    // The authenticator app.
    ("totp.title", "แอปยืนยันตัวตน", "Authenticator app"),
    ("totp.intro", "เมื่อบริการขอให้ยืนยันตัวตนเพิ่ม คุณใส่รหัส 6 หลักจากแอปยืนยันตัวตนในโทรศัพท์แทนรหัสทาง SMS ได้", "When a service asks you to confirm it is you, you can enter the 6-digit code from the authenticator app on your phone instead of a code by SMS."),
    ("totp.off", "บัญชีนี้ยังไม่มีแอปยืนยันตัวตน", "This account has no authenticator app yet."),
    ("totp.add", "เพิ่มแอปยืนยันตัวตน", "Add an authenticator app"),
    ("totp.scan_heading", "1. เพิ่มบัญชีในแอป", "1. Add the account to the app"),
    ("totp.scan", "เปิดแอปยืนยันตัวตน เลือกเพิ่มบัญชี แล้วสแกนคิวอาร์โค้ดนี้", "Open your authenticator app, choose to add an account, and scan this QR code."),
    ("totp.qr_label", "คิวอาร์โค้ดสำหรับเพิ่มบัญชี Digital ID ในแอปยืนยันตัวตน", "QR code that adds your Digital ID to the authenticator app"),
    ("totp.type_in", "สแกนไม่ได้? พิมพ์รหัสลับนี้ในแอปแทน:", "Cannot scan? Type this secret key into the app instead:"),
    ("totp.type_in_hint", "เลือกแบบอิงเวลา (time-based) อย่าให้รหัสลับนี้กับผู้อื่น ใครมีรหัสนี้สร้างรหัสยืนยันของคุณได้", "Choose time-based. Do not give this key to anyone: whoever has it can make your codes."),
    ("totp.confirm_heading", "2. ใส่รหัสจากแอป", "2. Enter a code from the app"),
    ("totp.code", "รหัส 6 หลักจากแอป", "6-digit code from the app"),
    ("totp.confirm", "ยืนยันและเปิดใช้งาน", "Confirm and turn on"),
    ("totp.restart_hint", "ยังไม่ได้เพิ่มบัญชีในแอป หรือรหัสลับหายไป? เริ่มใหม่เพื่อรับคิวอาร์โค้ดใหม่", "Not added to the app yet, or lost the key? Start again for a new QR code."),
    ("totp.restart", "เริ่มใหม่", "Start again"),
    ("totp.codes_heading", "รหัสกู้คืนของคุณ", "Your recovery codes"),
    ("totp.codes_keep", "เก็บรหัสเหล่านี้ไว้ในที่ปลอดภัย เช่น พิมพ์ออกมาหรือจดไว้ หากโทรศัพท์หาย ใช้รหัสหนึ่งรหัสแทนรหัสจากแอปได้หนึ่งครั้ง", "Keep these codes somewhere safe, for example printed or written down. If you lose your phone, each code works once in place of a code from the app."),
    ("totp.codes_once", "รหัสเหล่านี้แสดงเพียงครั้งเดียว ออกจากหน้านี้แล้วจะดูอีกไม่ได้ (สร้างชุดใหม่ได้ภายหลัง)", "These codes are shown only once: after you leave this page they cannot be shown again (you can make a new set later)."),
    ("totp.codes_done", "บันทึกรหัสแล้ว", "I have saved the codes"),
    ("totp.status", "สถานะ", "Status"),
    ("totp.on", "เปิดใช้งาน", "On"),
    ("totp.since", "เปิดใช้งานตั้งแต่", "Active since"),
    ("totp.codes_left", "รหัสกู้คืนที่เหลือ", "Recovery codes left"),
    ("totp.codes_low", "รหัสกู้คืนใกล้หมดแล้ว กรุณาสร้างชุดใหม่", "You are running out of recovery codes. Please make a new set."),
    ("totp.new_codes_heading", "รหัสกู้คืนชุดใหม่", "New recovery codes"),
    ("totp.new_codes_intro", "ชุดใหม่ใช้แทนชุดเดิม รหัสเดิมทั้งหมดจะใช้ไม่ได้อีก", "A new set replaces the old one: the old codes stop working."),
    ("totp.new_codes", "สร้างรหัสกู้คืนชุดใหม่", "Make new recovery codes"),
    ("totp.remove_heading", "ลบแอปยืนยันตัวตน", "Remove the authenticator app"),
    ("totp.remove_intro", "รหัสจากแอปและรหัสกู้คืนจะใช้ไม่ได้อีก ใส่รหัสผ่านเพื่อยืนยัน", "Its codes and your recovery codes stop working. Enter your password to confirm."),
    ("totp.remove", "ลบแอปยืนยันตัวตน", "Remove the authenticator app"),
    ("totp.notice.added", "เปิดใช้งานแอปยืนยันตัวตนแล้ว", "The authenticator app is on."),
    ("totp.notice.removed", "ลบแอปยืนยันตัวตนแล้ว", "The authenticator app was removed."),
    ("totp.error.code", "รหัสจากแอปไม่ถูกต้อง ตรวจสอบว่าเวลาในโทรศัพท์ถูกต้อง แล้วใส่รหัสล่าสุด", "The code from the app is wrong. Check that your phone's clock is right and enter the latest code."),
    ("totp.error.not_pending", "ไม่มีแอปที่รอยืนยัน กรุณาเริ่มเพิ่มแอปใหม่", "No app is waiting to be confirmed. Please start adding it again."),
    ("totp.error.already_active", "บัญชีนี้มีแอปยืนยันตัวตนแล้ว ลบแอปเดิมก่อนเพิ่มแอปใหม่", "This account already has an authenticator app. Remove it before adding another."),
    ("totp.error.none", "บัญชีนี้ไม่มีแอปยืนยันตัวตน", "This account has no authenticator app."),
    ("passkeys.title", "พาสคีย์", "Passkeys"),
    ("passkeys.intro", "พาสคีย์ผูกกับอุปกรณ์ของคุณและใช้ได้กับ Digital ID เท่านั้น เว็บปลอมจึงนำไปใช้ไม่ได้ เพิ่มได้หลายอัน เช่น โทรศัพท์และคอมพิวเตอร์", "A passkey lives on your device and works only with Digital ID, so a fake site cannot use it. Add several, for example your phone and your computer."),
    ("passkeys.none", "ยังไม่มีพาสคีย์", "No passkeys yet."),
    ("passkeys.name", "ชื่อ", "Name"),
    ("passkeys.added", "เพิ่มเมื่อ", "Added"),
    ("passkeys.last_used", "ใช้ล่าสุด", "Last used"),
    ("passkeys.never", "ยังไม่เคยใช้", "Never"),
    ("passkeys.remove_heading", "ลบพาสคีย์", "Remove a passkey"),
    ("passkeys.which", "พาสคีย์ที่จะลบ", "Passkey to remove"),
    ("passkeys.remove", "ลบพาสคีย์นี้", "Remove this passkey"),
    ("passkeys.add_heading", "เพิ่มพาสคีย์", "Add a passkey"),
    ("passkeys.name_label", "ตั้งชื่อพาสคีย์", "Name the passkey"),
    ("passkeys.name_hint", "เช่น โทรศัพท์ของฉัน ใช้แยกพาสคีย์แต่ละอันออกจากกัน", "For example \"my phone\", to tell your passkeys apart."),
    ("passkeys.add", "เพิ่มพาสคีย์", "Add a passkey"),
    ("passkeys.needs_js", "การเพิ่มพาสคีย์ต้องใช้เบราว์เซอร์ที่เปิด JavaScript และรองรับพาสคีย์", "Adding a passkey needs a browser with JavaScript and passkey support."),
    ("passkeys.unsupported", "บริการนี้ยังไม่เปิดให้ใช้พาสคีย์", "This service does not offer passkeys."),
    ("passkeys.back", "กลับไปที่การยืนยันตัวตนขั้นที่สอง", "Back to second factors"),
    ("passkeys.notice.added", "เพิ่มพาสคีย์แล้ว ครั้งหน้าเลือก \"เข้าสู่ระบบด้วยพาสคีย์\" ได้เลย", "Passkey added. Next time, choose \"Sign in with a passkey\"."),
    ("passkeys.notice.removed", "ลบพาสคีย์แล้ว", "Passkey removed."),
    ("passkeys.error.name", "กรุณาตั้งชื่อพาสคีย์ ไม่เกิน 64 ตัวอักษร", "Please name the passkey, at most 64 characters."),
    ("passkeys.error.refused", "เพิ่มพาสคีย์ไม่สำเร็จ กรุณาลองใหม่", "The passkey could not be added. Please try again."),
    ("passkeys.error.expired", "หมดเวลาเพิ่มพาสคีย์ กรุณาลองใหม่", "Adding the passkey took too long. Please try again."),
    ("passkeys.error.too_many", "บัญชีมีพาสคีย์ครบจำนวนแล้ว กรุณาลบอันที่ไม่ใช้ก่อน", "The account has as many passkeys as it may. Remove one you no longer use first."),
    ("passkeys.error.browser", "เบราว์เซอร์ไม่ได้สร้างพาสคีย์ (ยกเลิกหรือไม่รองรับ) กรุณาลองใหม่", "The browser did not create a passkey (cancelled or not supported). Please try again."),
    ("password.title", "เปลี่ยนรหัสผ่าน", "Change your password"),
    ("password.intro", "เมื่อเปลี่ยนรหัสผ่านแล้ว ทุกอุปกรณ์และแอปจะออกจากระบบ และคุณต้องเข้าสู่ระบบใหม่ด้วยรหัสผ่านใหม่", "After the change, every device and app is signed out and you sign in again with the new password."),
    ("password.current", "รหัสผ่านปัจจุบัน", "Current password"),
    ("password.new", "รหัสผ่านใหม่", "New password"),
    ("password.confirm", "ยืนยันรหัสผ่านใหม่", "New password again"),
    ("password.submit", "เปลี่ยนรหัสผ่าน", "Change password"),
    ("password.error.wrong", "รหัสผ่านปัจจุบันไม่ถูกต้อง", "The current password is wrong."),
    ("password.error.mismatch", "รหัสผ่านใหม่ทั้งสองช่องไม่ตรงกัน", "The two new passwords differ."),
    ("password.error.weak", "รหัสผ่านใหม่ไม่ปลอดภัยพอ: อย่างน้อย 12 ตัวอักษร ไม่ใช่รหัสผ่านที่ใช้กันทั่วไป และไม่มีชื่อผู้ใช้", "The new password is not strong enough: at least 12 characters, not a common password, without your username."),
    ("password.error.too_many", "ลองหลายครั้งเกินไป กรุณารอสักครู่แล้วลองใหม่", "Too many attempts. Please wait a while and try again."),
    ("done.password", "เปลี่ยนรหัสผ่านแล้ว กรุณาเข้าสู่ระบบอีกครั้งด้วยรหัสผ่านใหม่", "Your password was changed. Please sign in again with the new password."),
    ("done.sessions", "ออกจากระบบทุกอุปกรณ์แล้ว", "You were signed out everywhere."),
    ("done.deleted", "ลบบัญชี Digital ID ของคุณแล้ว", "Your Digital ID account was deleted."),
    ("activity.title", "ประวัติการใช้งานบัญชี", "Account activity"),
    ("activity.intro", "การเข้าสู่ระบบและการเปลี่ยนแปลงบัญชีล่าสุด หากพบรายการที่ไม่ได้ทำเอง ให้เปลี่ยนรหัสผ่านทันที", "Recent sign-ins and changes to your account. If you see something you did not do, change your password now."),
    ("activity.none", "ยังไม่มีรายการ", "Nothing yet."),
    ("activity.when", "เวลา", "When"),
    ("activity.what", "รายการ", "What"),
    ("activity.outcome", "ผล", "Outcome"),
    ("activity.app", "แอป", "App"),
    ("data.title", "ข้อมูลของฉันที่เก็บไว้", "My data"),
    ("data.intro", "ดาวน์โหลดข้อมูลทั้งหมดที่ Digital ID เก็บเกี่ยวกับบัญชีของคุณเป็นไฟล์ JSON: ข้อมูลส่วนตัว แอปที่คุณอนุญาต อุปกรณ์ที่เข้าสู่ระบบ และประวัติการใช้งาน เก็บไฟล์ไว้ในที่ปลอดภัยเพราะมีเลขประจำตัวประชาชนของคุณ", "Download everything Digital ID holds about your account as a JSON file: your details, the apps you allowed, your signed-in devices and your activity. Keep the file safe: it holds your citizen ID."),
    ("data.download", "ดาวน์โหลดข้อมูลของฉัน (JSON)", "Download my data (JSON)"),
    ("nav.apps", "แอปที่เชื่อมต่อ", "Connected apps"),
    ("nav.sessions", "อุปกรณ์ที่เข้าสู่ระบบ", "Signed-in devices"),
    ("nav.delete", "ลบบัญชี", "Delete account"),
    ("apps.title", "แอปที่เชื่อมต่อ", "Connected apps"),
    ("apps.intro", "แอปของหน่วยงานที่คุณอนุญาตให้รับข้อมูลของคุณ ถอนการอนุญาตได้ทุกเมื่อ แอปจะขออนุญาตใหม่เมื่อคุณเข้าสู่ระบบครั้งต่อไป", "The agencies' apps you allowed to receive your data. Withdraw at any time; the app asks again at your next sign-in."),
    ("apps.none", "ยังไม่มีแอปที่ได้รับอนุญาต", "No app holds your consent."),
    ("apps.name", "แอป", "App"),
    ("apps.scopes", "ข้อมูลที่อนุญาต", "Data allowed"),
    ("apps.since", "อนุญาตเมื่อ", "Allowed on"),
    ("apps.withdraw", "ถอนการอนุญาต", "Withdraw"),
    ("apps.withdrawn", "ถอนการอนุญาตแล้ว", "Consent withdrawn."),
    ("sessions.title", "อุปกรณ์ที่เข้าสู่ระบบ", "Signed-in devices"),
    ("sessions.intro", "เบราว์เซอร์ที่เข้าสู่ระบบ Digital ID อยู่ หากไม่รู้จักรายการใด ให้ออกจากระบบทุกอุปกรณ์และเปลี่ยนรหัสผ่าน", "The browsers signed in to Digital ID. If you do not recognise one, sign out everywhere and change your password."),
    ("sessions.none", "ไม่มีอุปกรณ์ที่เข้าสู่ระบบอยู่", "No browser is signed in."),
    ("sessions.started", "เข้าสู่ระบบเมื่อ", "Signed in on"),
    ("sessions.last_seen", "ใช้งานล่าสุด", "Last used"),
    ("sessions.how", "วิธียืนยันตัวตน", "How"),
    ("sessions.end_all", "ออกจากระบบทุกอุปกรณ์", "Sign out everywhere"),
    ("delete.title", "ลบบัญชี Digital ID", "Delete your Digital ID account"),
    ("delete.consequences", "เมื่อลบบัญชี คุณจะออกจากระบบทุกอุปกรณ์ ทุกแอปจะถูกถอนการอนุญาต และจะเข้าสู่ระบบด้วยบัญชีนี้ไม่ได้อีก หากต้องการใช้ Digital ID อีกต้องสมัครใหม่ หน่วยงานอาจเก็บข้อมูลที่ได้รับไปแล้วตามกฎหมาย", "Deleting signs you out everywhere, withdraws every app's consent, and this account can never sign in again. To use Digital ID again you enroll anew. Agencies may keep what they already received, as the law allows."),
    ("delete.confirm", "ฉันเข้าใจและต้องการลบบัญชีนี้", "I understand and want to delete this account"),
    ("delete.submit", "ลบบัญชีของฉัน", "Delete my account"),
    ("delete.error.unconfirmed", "กรุณาทำเครื่องหมายยืนยันก่อนลบบัญชี", "Please tick the confirmation to delete the account."),
    ("nav.phone", "เบอร์โทรศัพท์", "Phone"),
    ("phone.title", "เปลี่ยนเบอร์โทรศัพท์มือถือ", "Change your mobile number"),
    ("phone.intro", "ใส่รหัสผ่านและเบอร์ใหม่ เราจะส่งรหัสยืนยันทาง SMS ไปยังเบอร์ใหม่ และแจ้งเบอร์เดิมเมื่อเปลี่ยนแล้ว", "Enter your password and the new number. We send a code by SMS to the new number, and tell the old one once it changed."),
    ("phone.new", "เบอร์โทรศัพท์มือถือใหม่", "New mobile number"),
    ("phone.send", "ส่งรหัสยืนยัน", "Send the code"),
    ("phone.code_sent", "ส่งรหัสยืนยันไปยังเบอร์ใหม่แล้ว", "A code was sent to the new number"),
    ("phone.ref", "รหัสอ้างอิง", "reference"),
    ("phone.code", "รหัสยืนยัน 6 หลัก", "6-digit code"),
    ("phone.verify", "ยืนยันเบอร์ใหม่", "Confirm the new number"),
    ("phone.restart", "เริ่มใหม่ด้วยเบอร์อื่น", "Start again with another number"),
    ("phone.changed", "เปลี่ยนเบอร์โทรศัพท์แล้ว", "Your mobile number was changed."),
    ("phone.error.invalid", "เบอร์ไม่ถูกต้อง: ใช้ 10 หลัก ขึ้นต้นด้วย 06 08 หรือ 09", "Not a Thai mobile number: use 10 digits starting 06, 08 or 09."),
    ("phone.error.unchanged", "เบอร์นี้เป็นเบอร์ของบัญชีอยู่แล้ว", "This is already your account's number."),
    ("phone.error.sms", "ส่ง SMS ไม่ได้ในขณะนี้ กรุณาลองใหม่ภายหลัง", "SMS cannot be sent now. Please try again later."),
    ("phone.error.code", "รหัสยืนยันไม่ถูกต้อง", "The code is wrong."),
    ("phone.error.expired", "รหัสยืนยันหมดอายุ กรุณาขอรหัสใหม่", "The code expired. Please ask for a new one."),
    // Signed out, errors.
    ("signed_out.title", "ออกจากระบบบัญชีแล้ว", "You have signed out of your account"),
    ("signed_out.body", "คุณยังอาจเข้าสู่ระบบ Digital ID อยู่ในเบราว์เซอร์นี้ (สำหรับแอปของหน่วยงาน) หากใช้เครื่องร่วมกับผู้อื่น ให้ออกจากระบบ Digital ID ด้วย", "You may still be signed in to Digital ID in this browser (for agency apps). On a shared device, sign out of Digital ID too."),
    ("signed_out.sso", "ออกจากระบบ Digital ID ในเบราว์เซอร์นี้", "Sign out of Digital ID in this browser"),
    ("signed_out.again", "เข้าสู่ระบบอีกครั้ง", "Sign in again"),
    ("error.title", "ขออภัย เกิดปัญหา", "Sorry, something went wrong"),
    ("error.home", "กลับหน้าแรก", "Back to the home page"),
    ("error.retry", "เริ่มเข้าสู่ระบบใหม่", "Start signing in again"),
    ("error.busy", "ระบบไม่พร้อมให้บริการชั่วคราว กรุณาลองใหม่ในอีกสักครู่", "The service is busy. Please try again shortly."),
    ("error.signin_failed", "เข้าสู่ระบบไม่สำเร็จ กรุณาเริ่มใหม่อีกครั้ง", "Sign-in did not succeed. Please start again."),
    ("error.signin_cancelled", "การเข้าสู่ระบบถูกยกเลิก", "Sign-in was cancelled."),
    ("error.signin_expired", "การเข้าสู่ระบบนี้หมดเวลาหรือเริ่มจากเบราว์เซอร์อื่น กรุณาเริ่มใหม่", "This sign-in expired or was started in another browser. Please start again."),
    ("error.not_citizen", "บัญชีนี้ใช้กับหน้าบัญชี Digital ID ไม่ได้", "This account cannot use the Digital ID account pages."),
    ("error.form_stale", "แบบฟอร์มนี้หมดอายุ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง", "This form has expired. Please reload the page and try again."),
    ("error.not_found", "ไม่พบหน้าที่ต้องการ", "This page does not exist."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_both_languages_and_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for (k, th, en) in TEXTS {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!th.is_empty() && !en.is_empty(), "{k}");
        }
    }

    #[test]
    fn every_key_a_template_uses_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/portal");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let src = std::fs::read_to_string(&path).unwrap();
            for part in src.split("t(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                assert!(has(key), "{}: unknown key {key}", path.display());
            }
        }
    }
}

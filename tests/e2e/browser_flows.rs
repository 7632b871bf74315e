//! Headless Chromium: a citizen enrolls through the HTML wizard (Thai, by
//! visible labels) and signs in to an agency app through the real login and
//! consent pages. Screenshots: `target/e2e-screenshots/<test>/`.

use crate::browser::Browser;
use crate::enrollment::{Citizen, read_otp, somchai, write_registry};
use crate::harness::{Options, Pratu, cli_json};

#[tokio::test]
async fn a_citizen_enrolls_in_the_wizard_and_signs_in_through_the_login_page() {
    let Some(b) = Browser::start("enroll_and_sign_in").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let citizen = somchai();
    let registry = write_registry(tmp.path(), &[somchai()]);
    let p = Pratu::start_with(
        Options::default().env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap()),
    )
    .await;

    enroll_in_wizard(&b, &p, &citizen, "somchai87", "Khaosan7Lamp", "0812345678").await;

    // An agency app registered by the operator; the citizen signs in.
    let cb = "http://127.0.0.1:9/info/callback";
    let view: serde_json::Value = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "INFO",
            "--redirect-uri",
            cb,
            "--json",
        ],
        None,
    )
    .await;
    let authorize = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile%20phone&state=s1&nonce=n1",
        p.url,
        view["client_id"].as_str().unwrap(),
        url::form_urlencoded::byte_serialize(cb.as_bytes()).collect::<String>()
    );
    b.client.goto(&authorize).await.unwrap();
    let login = b.client.source().await.unwrap();
    assert!(login.contains(r#"autocomplete="current-password""#));
    assert!(
        login.contains("/register"),
        "the login page links to enrollment"
    );
    b.fill("ชื่อผู้ใช้", "somchai87").await;
    b.fill("รหัสผ่าน", "Khaosan7Lamp").await;
    b.screenshot("login").await;
    b.press("เข้าสู่ระบบ").await;
    b.screenshot("consent-to-info").await;
    b.press("อนุญาต").await;
    // The browser lands on the agency's callback (nothing listens there).
    let mut landed = String::new();
    for _ in 0..50 {
        landed = b.client.current_url().await.unwrap().to_string();
        if landed.starts_with(cb) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        landed.starts_with(cb) && landed.contains("code=") && landed.contains("state=s1"),
        "{landed}"
    );
    b.close().await;
    assert!(!p.log().contains(&citizen.citizen_id));
}

/// Walks the enrollment wizard as a citizen would (Thai, by visible labels,
/// a screenshot per step; the OTP from the SMS outbox) and ends on
/// `/register/done`. `phone` is the Thai mobile number as typed
/// (`0812345678`). Other browser tests reuse it.
pub async fn enroll_in_wizard(
    b: &Browser,
    p: &Pratu,
    citizen: &Citizen,
    username: &str,
    password: &str,
    phone: &str,
) {
    crate::leaks::watch("password", password);
    let phone_e164 = format!("+66{}", &phone[1..]);
    b.client.goto(&format!("{}/register", p.url)).await.unwrap();
    b.screenshot("consent").await;
    b.tick("ข้าพเจ้าได้อ่านและยอมรับ").await;
    b.press("ยอมรับและเริ่มสมัคร").await;

    b.fill("เลขประจำตัวประชาชน", &citizen.citizen_id).await;
    b.screenshot("citizen-id").await;
    b.press("ถัดไป").await;

    b.tick("ใช้เลขหลังบัตรประจำตัวประชาชน").await;
    b.screenshot("method").await;
    b.press("ถัดไป").await;

    b.fill("ชื่อ (ภาษาไทย)", citizen.first_name).await;
    b.fill("นามสกุล (ภาษาไทย)", citizen.last_name).await;
    // The wizard asks for the birth date in the Buddhist era.
    let date: Vec<u32> = citizen
        .birth_date
        .split('-')
        .map(|n| n.parse().unwrap())
        .collect();
    b.choose("วัน", &date[2].to_string()).await;
    b.choose("เดือน", &date[1].to_string()).await;
    b.fill("ปี", &(date[0] + 543).to_string()).await;
    b.screenshot("personal").await;
    b.press("ถัดไป").await;

    // Filling waits for the next page; only then is its text the new page's.
    b.fill("เลขหลังบัตร", citizen.laser_code).await;
    let page = b.text().await;
    assert!(
        !page.contains(&citizen.citizen_id),
        "the citizen ID is shown in clear after its step"
    );
    b.screenshot("laser-code").await;
    b.press("ตรวจสอบตัวตน").await;

    b.fill("ชื่อผู้ใช้", username).await;
    b.fill("รหัสผ่าน", password).await;
    b.screenshot("account").await;
    b.press("ถัดไป").await;

    b.fill("หมายเลขโทรศัพท์มือถือ", phone).await;
    b.screenshot("phone").await;
    b.press("ส่งรหัส OTP").await;

    // The OTP page is shown once the SMS is sent.
    b.client
        .wait()
        .at_most(std::time::Duration::from_secs(15))
        .for_element(fantoccini::Locator::XPath(
            "//label[contains(normalize-space(.), \"รหัส OTP\")]",
        ))
        .await
        .unwrap();
    let (code, reference) = read_otp(&p.data_dir, &phone_e164);
    assert!(
        b.text().await.contains(&reference),
        "the page shows the OTP reference"
    );
    b.fill("รหัส OTP", &code).await;
    b.screenshot("otp").await;
    b.press("ยืนยันรหัส").await;

    b.client
        .wait()
        .at_most(std::time::Duration::from_secs(15))
        .for_element(fantoccini::Locator::XPath(
            "//button[contains(normalize-space(.), \"ยืนยันการสมัคร\")]",
        ))
        .await
        .unwrap();
    let review = b.text().await;
    assert!(review.contains(username));
    assert!(
        !review.contains(&citizen.citizen_id),
        "review shows the citizen ID in clear"
    );
    assert!(
        review.contains("xxxxx"),
        "review shows the masked citizen ID"
    );
    b.screenshot("review").await;
    b.press("ยืนยันการสมัคร").await;
    b.screenshot("done").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/register/done")
    );
}

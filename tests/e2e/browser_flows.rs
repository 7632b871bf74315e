//! Headless Chromium: a citizen enrolls through the HTML wizard (Thai, by
//! visible labels) and signs in to an agency app through the real login and
//! consent pages. Screenshots: `target/e2e-screenshots/<test>/`.

use crate::browser::Browser;
use crate::enrollment::{read_otp, somchai, write_registry};
use crate::harness::{Options, Pratu, run_cli};

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
    b.choose("วัน", "1").await;
    b.choose("เดือน", "1").await;
    b.fill("ปี", "2530").await;
    b.screenshot("personal").await;
    b.press("ถัดไป").await;

    let page = b.text().await;
    assert!(
        !page.contains(&citizen.citizen_id),
        "the citizen ID is shown in clear after its step"
    );
    b.fill("เลขหลังบัตร", citizen.laser_code).await;
    b.screenshot("laser-code").await;
    b.press("ตรวจสอบตัวตน").await;

    b.fill("ชื่อผู้ใช้", "somchai87").await;
    b.fill("รหัสผ่าน", "Secret123").await;
    b.screenshot("account").await;
    b.press("ถัดไป").await;

    b.fill("หมายเลขโทรศัพท์มือถือ", "0812345678").await;
    b.screenshot("phone").await;
    b.press("ส่งรหัส OTP").await;

    let (code, reference) = read_otp(&p.data_dir, "+66812345678");
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
    assert!(review.contains("somchai87"));
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

    // An agency app registered by the operator; the citizen signs in.
    let cb = "http://127.0.0.1:9/info/callback";
    let out = run_cli(
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
    b.fill("รหัสผ่าน", "Secret123").await;
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

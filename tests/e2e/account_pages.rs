//! Issue 17, black-box: the portal's operation pages under `/account/…`
//! (password, activity, data export), driven over HTTP as a browser
//! without JavaScript would: each renders in Thai by default, each form
//! needs its own CSRF token, each operation goes through the account
//! service.

use serde_json::Value;

use crate::account_portal::{PASSWORD, portal_sign_in, start_with_somchai};
use crate::enrollment::{enroll, read_otp, somchai};
use crate::harness::{Pratu, cli_json};
use crate::sso::Browser;

const NEW_PASSWORD: &str = "Mango7Sticky";

async fn signed_in(tmp: &std::path::Path) -> (Pratu, Browser) {
    let p = start_with_somchai(tmp).await;
    enroll(&p, &somchai(), "somchai87", PASSWORD, "0812345678").await;
    let b = Browser::new();
    let profile = portal_sign_in(&p, &b, "somchai87").await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    (p, b)
}

/// The CSRF token of the form posting to `action` (the page also holds
/// the sign-out form's).
fn csrf_for(html: &str, action: &str) -> String {
    let form = &html[html
        .find(&format!(r#"action="{action}""#))
        .expect("the form")..];
    let marker = r#"name="csrf" value=""#;
    let start = form.find(marker).unwrap() + marker.len();
    form[start..start + form[start..].find('"').unwrap()].to_owned()
}

#[tokio::test]
async fn every_operation_page_renders_in_thai_with_its_navigation() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, b) = signed_in(tmp.path()).await;
    for (path, thai) in [
        ("/account/password", "เปลี่ยนรหัสผ่าน"),
        ("/account/activity", "ประวัติการใช้งานบัญชี"),
        ("/account/phone", "เปลี่ยนเบอร์โทรศัพท์มือถือ"),
        ("/account/apps", "แอปที่เชื่อมต่อ"),
        ("/account/sessions", "อุปกรณ์ที่เข้าสู่ระบบ"),
        ("/account/delete", "ลบบัญชี Digital ID"),
        ("/account/data", "ดาวน์โหลดข้อมูลของฉัน"),
        ("/account/factors", "ส่งรหัสไปยังเบอร์ที่ยืนยันแล้ว"),
    ] {
        let page = b.get(&format!("{}{path}", p.url)).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        assert!(page.body.contains(r#"<html lang="th">"#), "{path}");
        assert!(page.body.contains(thai), "{path}: {}", page.body);
        assert!(
            page.body.contains(&format!(r#"href="{path}""#)),
            "{path} not in the menu"
        );
        assert!(!page.body.contains("<script"), "{path}");
    }
    // The export downloads the service's JSON (the citizen's own data,
    // the full citizen ID included, never shown on a page).
    let export = b.get(&format!("{}/account/export", p.url)).await;
    assert_eq!(export.status, 200, "{}", export.body);
    let json: Value = serde_json::from_str(&export.body).unwrap();
    assert_eq!(json["account"]["username"], "somchai87", "{json}");

    // The sign-in shows up in the activity, its year in the Buddhist era.
    let login = json["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["action"] == "login.succeeded")
        .expect("the sign-in in the export");
    let year: i32 = login["time"].as_str().unwrap()[..4].parse().unwrap();
    let activity = b.get(&format!("{}/account/activity", p.url)).await;
    assert!(
        activity.body.contains("login.succeeded"),
        "{}",
        activity.body
    );
    assert!(
        activity.body.contains(&(year + 543).to_string()),
        "{}",
        activity.body
    );
    let en = b.get(&format!("{}/account/activity?lang=en", p.url)).await;
    assert!(en.body.contains("Account activity"), "{}", en.body);
    assert!(en.body.contains(&format!(" {year} ")), "{}", en.body);
}

#[tokio::test]
async fn the_password_form_refuses_a_forged_token_and_a_wrong_password_then_changes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, b) = signed_in(tmp.path()).await;
    let url = format!("{}/account/password", p.url);
    let form = b.get(&url).await;
    let csrf = csrf_for(&form.body, "/account/password");

    // A token of another form, or none: the shell's 403, nothing changed.
    let forged = b
        .post(
            &url,
            &[
                ("csrf", "forged"),
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let still = b.get(&format!("{}/account", p.url)).await;
    assert_eq!(still.status, 200, "a refused change ended the session");

    // The wrong current password: an error on the page, still signed in.
    let wrong = b
        .post(
            &url,
            &[
                ("csrf", &csrf),
                ("current_password", "Wrong7Password"),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("รหัสผ่านปัจจุบันไม่ถูกต้อง"), "{}", wrong.body);

    // Success: POST-redirect-GET to "sign in again"; the portal session
    // is over.
    let done = b
        .post(
            &url,
            &[
                ("csrf", &csrf),
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let to = done.location.clone().unwrap();
    let bye = b.get(&format!("{}{to}", p.url)).await;
    assert_eq!(bye.status, 200);
    assert!(bye.body.contains("เปลี่ยนรหัสผ่านแล้ว"), "{}", bye.body);
    let again = b.get(&format!("{}/account", p.url)).await;
    assert_eq!(again.status, 303, "the portal session outlived the change");
}

#[tokio::test]
async fn a_citizen_withdraws_an_app_signs_out_everywhere_and_deletes_the_account() {
    let tmp = tempfile::tempdir().unwrap();
    let p = start_with_somchai(tmp.path()).await;
    enroll(&p, &somchai(), "somchai87", PASSWORD, "0812345678").await;
    let agency_cb = "https://agency.example.go.th/cb";
    let view: Value = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "Tax Office",
            "--redirect-uri",
            agency_cb,
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--json",
        ],
        None,
    )
    .await;
    let agency = view["client_id"].as_str().unwrap();

    // The citizen allows the agency app, then opens the portal (same SSO).
    let b = Browser::new();
    let start = b
        .get(&format!(
            "{}/authorize?response_type=code&client_id={agency}&redirect_uri={}\
             &scope=openid%20profile&state=st&nonce=nn\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
            p.url,
            url::form_urlencoded::byte_serialize(agency_cb.as_bytes()).collect::<String>()
        ))
        .await;
    let login = b.until_rp(start, &p.url).await;
    let back = b.sign_in(login, &p.url, "somchai87", PASSWORD).await;
    assert!(back.location.unwrap().starts_with(agency_cb));
    let profile = b
        .until_rp(b.get(&format!("{}/account", p.url)).await, &p.url)
        .await;
    assert_eq!(profile.status, 200, "{}", profile.body);

    // Withdraw: a forged token changes nothing; the real one ends the consent.
    let apps_url = format!("{}/account/apps", p.url);
    let apps = b.get(&apps_url).await;
    assert_eq!(apps.status, 200);
    assert!(apps.body.contains("Tax Office"), "{}", apps.body);
    let forged = b
        .post(&apps_url, &[("csrf", "forged"), ("client_id", agency)])
        .await;
    assert_eq!(forged.status, 403);
    assert!(b.get(&apps_url).await.body.contains("Tax Office"));
    let csrf = csrf_for(&apps.body, "/account/apps");
    let done = b
        .post(&apps_url, &[("csrf", &csrf), ("client_id", agency)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let after = b.get(&format!("{}{}", p.url, done.location.unwrap())).await;
    assert!(after.body.contains("ถอนการอนุญาตแล้ว"), "{}", after.body);
    assert!(!after.body.contains("Tax Office"), "{}", after.body);

    // Sessions: listed; "sign out everywhere" ends the portal session too.
    let sessions_url = format!("{}/account/sessions", p.url);
    let sessions = b.get(&sessions_url).await;
    assert_eq!(sessions.status, 200);
    assert!(sessions.body.contains("pwd"), "{}", sessions.body);
    let csrf = csrf_for(&sessions.body, "/account/sessions");
    let out = b.post(&sessions_url, &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(b.get(&sessions_url).await.status, 303, "still signed in");

    // Delete: the box must be ticked and the password right.
    let b = Browser::new();
    portal_sign_in(&p, &b, "somchai87").await;
    let delete_url = format!("{}/account/delete", p.url);
    let page = b.get(&delete_url).await;
    assert_eq!(page.status, 200);
    let csrf = csrf_for(&page.body, "/account/delete");
    let unticked = b
        .post(&delete_url, &[("csrf", &csrf), ("password", PASSWORD)])
        .await;
    assert_eq!(unticked.status, 422);
    let wrong = b
        .post(
            &delete_url,
            &[
                ("csrf", &csrf),
                ("password", "Wrong7Password"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        b.get(&delete_url).await.status == 200,
        "a refused delete ended the session"
    );
    let gone = b
        .post(
            &delete_url,
            &[("csrf", &csrf), ("password", PASSWORD), ("confirm", "yes")],
        )
        .await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    let bye = b.get(&format!("{}{}", p.url, gone.location.unwrap())).await;
    assert!(
        bye.body.contains("ลบบัญชี Digital ID ของคุณแล้ว"),
        "{}",
        bye.body
    );
    assert_eq!(
        b.get(&delete_url).await.status,
        303,
        "the portal session outlived the account"
    );

    // Signing in with the deleted account is refused: the login page again.
    let b = Browser::new();
    let start = b.get(&format!("{}/account", p.url)).await;
    let login = b.until_rp(start, &p.url).await;
    let refused = b.sign_in(login, &p.url, "somchai87", PASSWORD).await;
    assert_eq!(refused.status, 200, "{:?}", refused.location);
    assert!(refused.body.contains(r#"autocomplete="current-password""#));
}

#[tokio::test]
async fn the_phone_changes_in_two_steps_after_the_password() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, b) = signed_in(tmp.path()).await;
    let url = format!("{}/account/phone", p.url);
    let form = b.get(&url).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("08x-xxx-5678") && !form.body.contains("0812345678"));
    let csrf = csrf_for(&form.body, "/account/phone");

    let forged = b
        .post(
            &url,
            &[
                ("csrf", "forged"),
                ("password", PASSWORD),
                ("phone", "0898765432"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    let wrong = b
        .post(
            &url,
            &[
                ("csrf", &csrf),
                ("password", "Wrong7Password"),
                ("phone", "0898765432"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("รหัสผ่านปัจจุบันไม่ถูกต้อง"), "{}", wrong.body);

    let sent = b
        .post(
            &url,
            &[
                ("csrf", &csrf),
                ("password", PASSWORD),
                ("phone", "0898765432"),
            ],
        )
        .await;
    assert_eq!(sent.status, 303, "{}", sent.body);
    let to = sent.location.unwrap();
    assert!(
        !to.contains("0898765432") && !to.contains("898765432"),
        "{to}"
    );
    let step2 = b.get(&format!("{}{to}", p.url)).await;
    assert!(
        step2.body.contains(r#"action="/account/phone/verify""#),
        "{}",
        step2.body
    );
    let (code, _) = read_otp(&p.data_dir, "+66898765432");
    let csrf = csrf_for(&step2.body, "/account/phone/verify");
    let done = b
        .post(
            &format!("{url}/verify"),
            &[("csrf", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let after = b.get(&format!("{}{}", p.url, done.location.unwrap())).await;
    assert!(after.body.contains("เปลี่ยนเบอร์โทรศัพท์แล้ว"), "{}", after.body);
    assert!(after.body.contains("08x-xxx-5432"), "{}", after.body);
}

/// The whole portal journey in headless Chromium, each page captured in
/// Thai at desktop and 390 px mobile width (and some in English) under
/// `target/screenshots/account/` for a person to look at.
mod in_a_browser {
    use std::path::PathBuf;
    use std::time::Duration;

    use fantoccini::Locator;
    use serde_json::Value;

    use crate::account_portal::{PASSWORD, start_with_somchai};
    use crate::browser::Browser;
    use crate::enrollment::{enroll, read_otp, somchai};
    use crate::harness::cli_json;

    fn shots() -> PathBuf {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/account");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    async fn capture(b: &Browser, name: &str) {
        for (size, w, h) in [("desktop", 1000, 1200), ("mobile", 390, 844)] {
            b.client.set_window_size(w, h).await.unwrap();
            let png = b.client.screenshot().await.unwrap();
            std::fs::write(shots().join(format!("{name}-{size}.png")), png).unwrap();
        }
        b.client.set_window_size(1000, 1200).await.unwrap();
    }

    /// Waits until the page's text holds `needle` (a navigation may still
    /// be under way after a click).
    async fn wait_text(b: &Browser, needle: &str) -> String {
        let mut text = String::new();
        for _ in 0..150 {
            text = b.text().await;
            if text.contains(needle) {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never showed {needle:?}: {text}")
    }

    async fn click(b: &Browser, xpath: &str) {
        b.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|_| panic!("no element {xpath}"))
            .click()
            .await
            .unwrap();
    }

    /// The page in Thai, then in English through the language link, then
    /// back in Thai (so the forms are filled by their Thai labels).
    async fn capture_both(b: &Browser, url: &str, name: &str, english: &str) {
        capture(b, &format!("{name}-th")).await;
        click(b, "//a[@hreflang='en']").await;
        wait_text(b, english).await;
        capture(b, &format!("{name}-en")).await;
        b.client.goto(&format!("{url}?lang=th")).await.unwrap();
    }

    #[tokio::test]
    async fn a_citizen_changes_the_phone_withdraws_an_app_downloads_the_data_and_deletes_the_account()
     {
        let Some(b) = Browser::start("account_journey").await else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let p = start_with_somchai(tmp.path()).await;
        let citizen = somchai();
        enroll(&p, &citizen, "somchai87", PASSWORD, "0812345678").await;

        // The citizen once allowed an agency app (over HTTP; the consent
        // belongs to the account, not to the browser).
        let agency_cb = "https://agency.example.go.th/cb";
        let view: Value = cli_json(
            &p.data_dir,
            &[],
            &[
                "client",
                "create",
                "--name",
                "Tax Office",
                "--redirect-uri",
                agency_cb,
                "--scope",
                "openid",
                "--scope",
                "profile",
                "--json",
            ],
            None,
        )
        .await;
        let agency = view["client_id"].as_str().unwrap();
        let http = crate::sso::Browser::new();
        let start = http
            .get(&format!(
                "{}/authorize?response_type=code&client_id={agency}&redirect_uri={}\
                 &scope=openid%20profile&state=st&nonce=nn\
                 &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
                p.url,
                url::form_urlencoded::byte_serialize(agency_cb.as_bytes()).collect::<String>()
            ))
            .await;
        let login = http.until_rp(start, &p.url).await;
        let back = http.sign_in(login, &p.url, "somchai87", PASSWORD).await;
        assert!(back.location.unwrap().starts_with(agency_cb));

        // Sign in to the portal.
        let account = format!("{}/account", p.url);
        b.client.goto(&account).await.unwrap();
        b.fill("ชื่อผู้ใช้", "somchai87").await;
        capture(&b, "01-sign-in").await;
        b.fill("รหัสผ่าน", PASSWORD).await;
        b.press("เข้าสู่ระบบ").await;
        let text = wait_text(&b, "somchai87").await;
        assert!(!text.contains(&citizen.citizen_id), "{text}");
        capture_both(&b, &account, "02-profile", "My profile").await;
        wait_text(&b, "ข้อมูลของฉัน").await;

        // Change the phone: password + new number, then the SMS code.
        let phone = format!("{account}/phone");
        b.client.goto(&phone).await.unwrap();
        wait_text(&b, "08x-xxx-5678").await;
        capture(&b, "03-phone-th").await;
        b.fill("รหัสผ่านปัจจุบัน", PASSWORD).await;
        b.fill("เบอร์โทรศัพท์มือถือใหม่", "0898765432").await;
        b.press("ส่งรหัสยืนยัน").await;
        wait_text(&b, "ส่งรหัสยืนยันไปยังเบอร์ใหม่แล้ว").await;
        assert!(
            !b.client
                .current_url()
                .await
                .unwrap()
                .as_str()
                .contains("898765432")
        );
        capture(&b, "04-phone-code-th").await;
        let (code, _) = read_otp(&p.data_dir, "+66898765432");
        b.fill("รหัสยืนยัน 6 หลัก", &code).await;
        b.press("ยืนยันเบอร์ใหม่").await;
        let text = wait_text(&b, "เปลี่ยนเบอร์โทรศัพท์แล้ว").await;
        assert!(text.contains("08x-xxx-5432"), "{text}");
        capture(&b, "05-phone-changed-th").await;

        // Withdraw the agency app.
        let apps = format!("{account}/apps");
        b.client.goto(&apps).await.unwrap();
        wait_text(&b, "Tax Office").await;
        capture_both(&b, &apps, "06-apps", "Connected apps").await;
        wait_text(&b, "Tax Office").await;
        b.press("ถอนการอนุญาต").await;
        let text = wait_text(&b, "ถอนการอนุญาตแล้ว").await;
        assert!(!text.contains("Tax Office"), "{text}");
        capture(&b, "07-apps-withdrawn-th").await;

        // My data: the link downloads the export; fetched with the
        // browser's cookies it is the account's JSON.
        b.client.goto(&format!("{account}/data")).await.unwrap();
        wait_text(&b, "ดาวน์โหลดข้อมูลของฉัน (JSON)").await;
        capture(&b, "08-data-th").await;
        let link = b
            .client
            .find(Locator::XPath(
                "//a[contains(normalize-space(.), 'ดาวน์โหลดข้อมูลของฉัน (JSON)')]",
            ))
            .await
            .unwrap();
        let href = link.prop("href").await.unwrap().expect("the link's href");
        assert_eq!(href, format!("{account}/export"));
        let cookies = b
            .client
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let export = reqwest::Client::new()
            .get(&href)
            .header("cookie", cookies)
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), 200);
        assert!(
            export.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let json: Value = export.json().await.unwrap();
        assert_eq!(json["account"]["username"], "somchai87", "{json}");

        // Delete the account: password + the confirmation box.
        let delete = format!("{account}/delete");
        b.client.goto(&delete).await.unwrap();
        wait_text(&b, "ลบบัญชี Digital ID").await;
        capture_both(&b, &delete, "09-delete", "Delete your Digital ID account").await;
        wait_text(&b, "ฉันเข้าใจและต้องการลบบัญชีนี้").await;
        b.fill("รหัสผ่านปัจจุบัน", PASSWORD).await;
        b.tick("ฉันเข้าใจและต้องการลบบัญชีนี้").await;
        b.press("ลบบัญชีของฉัน").await;
        wait_text(&b, "ลบบัญชี Digital ID ของคุณแล้ว").await;
        capture(&b, "10-deleted-th").await;
        b.close().await;
        assert!(!p.log().contains(&citizen.citizen_id));
    }
}

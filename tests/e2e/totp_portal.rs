//! Issue 19, black-box: the authenticator app (TOTP) from the account
//! portal's pages, driven over HTTP as a browser without JavaScript would.
//! The citizen adds the app (the QR code as inline SVG, the secret to type
//! in, a code computed here as an authenticator app would), sees the
//! recovery codes once, makes new ones, removes the app with the password.
//! The secret is in the one page that carries it, nowhere else.

use pratu_core::totp::{TotpSecret, step_of};

use crate::account_portal::{PASSWORD, portal_sign_in, start_with_somchai};
use crate::enrollment::{enroll, somchai};
use crate::harness::Pratu;
use crate::sso::Browser;
use crate::totp::{now, wrong_code};

/// The CSRF token of the form posting to `action` (a page holds several
/// forms, the sign-out form's too).
fn csrf_for(html: &str, action: &str) -> String {
    let form = &html[html
        .find(&format!(r#"action="{action}""#))
        .unwrap_or_else(|| panic!("no form to {action}: {html}"))..];
    let marker = r#"name="csrf" value=""#;
    let start = form.find(marker).unwrap() + marker.len();
    form[start..start + form[start..].find('"').unwrap()].to_owned()
}

/// The text between `open` (its first occurrence) and the next `close`.
fn between<'a>(html: &'a str, open: &str, close: &str) -> &'a str {
    let start = html
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in {html}"))
        + open.len();
    &html[start..start + html[start..].find(close).unwrap()]
}

/// The recovery codes of a page that shows them.
fn recovery_codes(html: &str) -> Vec<String> {
    between(html, r#"id="recovery-codes">"#, "</ol>")
        .split("<li>")
        .skip(1)
        .map(|li| li[..li.find("</li>").unwrap()].trim().to_owned())
        .collect()
}

async fn signed_in(tmp: &std::path::Path) -> (Pratu, Browser) {
    let p = start_with_somchai(tmp).await;
    enroll(&p, &somchai(), "somchai87", PASSWORD, "0812345678").await;
    let b = Browser::new();
    let profile = portal_sign_in(&p, &b, "somchai87").await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    (p, b)
}

#[tokio::test]
async fn a_citizen_adds_an_authenticator_app_in_the_portal_and_removes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, b) = signed_in(tmp.path()).await;
    let url = |path: &str| format!("{}{path}", p.url);

    // The second factors page says there is no app, and links to it.
    let factors = b.get(&url("/account/factors")).await;
    assert_eq!(factors.status, 200, "{}", factors.body);
    assert!(
        factors.body.contains("ยังไม่ได้เพิ่ม") && factors.body.contains(r#"href="/account/totp""#),
        "{}",
        factors.body
    );

    // No app yet: the add button (a form with its own CSRF token).
    let page = b.get(&url("/account/totp")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(r#"<html lang="th">"#));
    assert!(page.body.contains("เพิ่มแอปยืนยันตัวตน"), "{}", page.body);
    let start_csrf = csrf_for(&page.body, "/account/totp/start");
    let forged = b
        .post(&url("/account/totp/start"), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);

    // Start: the QR code inline, the secret grouped for typing in; the
    // page is not cached and the secret goes in no header.
    let (setup, headers) = b
        .post_with_headers(&url("/account/totp/start"), &[("csrf", &start_csrf)])
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert_eq!(headers["cache-control"], "no-store");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(setup.location.is_none());
    let grouped = between(&setup.body, r#"id="totp-secret">"#, "</p>").to_owned();
    let secret_text: String = grouped.split_whitespace().collect();
    crate::leaks::watch("totp secret", &secret_text);
    assert_eq!(secret_text.len(), 32, "160 bits in base32: {grouped}");
    assert!(grouped.split(' ').all(|g| g.len() <= 4), "{grouped}");
    let svg = between(&setup.body, r#"<div class="qr""#, "</div>");
    assert!(svg.contains("<svg ") && svg.contains("</svg>"), "{svg}");
    assert!(!setup.body.contains("<script") && !setup.body.contains("data:"));
    assert!(
        !setup.body.contains(&secret_text) && !setup.body.contains("otpauth://"),
        "the secret is on the page once, grouped"
    );
    assert_eq!(setup.body.matches(grouped.as_str()).count(), 1);
    for (name, value) in &headers {
        let value = value.to_str().unwrap_or_default();
        assert!(
            !value.contains(&secret_text) && !value.contains(grouped.as_str()),
            "the secret in {name}"
        );
    }
    let secret = TotpSecret::from_base32(&secret_text).unwrap();
    let confirm_csrf = csrf_for(&setup.body, "/account/totp/confirm");

    // A wrong code: the error on the page in Thai, the code form again,
    // not the secret.
    let wrong = b
        .post(
            &url("/account/totp/confirm"),
            &[("csrf", &confirm_csrf), ("code", &wrong_code(&secret))],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    assert!(wrong.body.contains("รหัสจากแอปไม่ถูกต้อง"), "{}", wrong.body);
    assert!(wrong.body.contains(r#"action="/account/totp/confirm""#));
    assert!(!wrong.body.contains(grouped.as_str()));

    // The right code (typed with a space, as apps show it): active, and
    // ten recovery codes shown once.
    let code = secret.code_at(step_of(now()));
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    let (added, headers) = b
        .post_with_headers(
            &url("/account/totp/confirm"),
            &[("csrf", &confirm_csrf), ("code", &spaced)],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(headers["cache-control"], "no-store");
    assert!(
        added.body.contains("เปิดใช้งานแอปยืนยันตัวตนแล้ว"),
        "{}",
        added.body
    );
    assert!(added.body.contains("เก็บรหัสเหล่านี้ไว้ในที่ปลอดภัย"));
    let codes = recovery_codes(&added.body);
    assert_eq!(codes.len(), 10, "{codes:?}");
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    for c in &codes {
        crate::leaks::watch("recovery code", c);
        assert_eq!(c.len(), 19, "{c}");
    }

    // Active: since when, how many codes are left; neither the secret
    // nor a code is shown again.
    let active = b.get(&url("/account/totp")).await;
    assert_eq!(active.status, 200, "{}", active.body);
    assert!(active.body.contains("เปิดใช้งานตั้งแต่"), "{}", active.body);
    assert_eq!(between(&active.body, r#"id="codes-left">"#, "<"), "10");
    assert!(!active.body.contains(grouped.as_str()));
    assert!(codes.iter().all(|c| !active.body.contains(c.as_str())));
    assert!(
        !active.body.contains("/account/totp/start"),
        "no second app"
    );
    let factors = b.get(&url("/account/factors")).await;
    assert!(
        between(&factors.body, r#"id="totp-status">"#, "</p>").contains("เปิดใช้งานแล้ว"),
        "{}",
        factors.body
    );
    // A stale "add" form of another tab: the error on the page, no 500.
    let twice = b
        .post(&url("/account/totp/start"), &[("csrf", &start_csrf)])
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    assert!(twice.body.contains("บัญชีนี้มีแอปยืนยันตัวตนแล้ว"), "{}", twice.body);

    // New recovery codes replace the old set.
    let fresh = b
        .post(
            &url("/account/totp/recovery-codes"),
            &[(
                "csrf",
                &csrf_for(&active.body, "/account/totp/recovery-codes"),
            )],
        )
        .await;
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    let new_codes = recovery_codes(&fresh.body);
    assert_eq!(new_codes.len(), 10);
    for c in &new_codes {
        crate::leaks::watch("recovery code", c);
        assert!(!codes.contains(c));
    }

    // Removal wants the password: a wrong one is an error on the page.
    let remove_csrf = csrf_for(&active.body, "/account/totp/remove");
    let refused = b
        .post(
            &url("/account/totp/remove"),
            &[("csrf", &remove_csrf), ("password", "Wrong7Password")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("รหัสผ่านปัจจุบันไม่ถูกต้อง"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("เปิดใช้งานตั้งแต่"), "still active");
    let removed = b
        .post(
            &url("/account/totp/remove"),
            &[("csrf", &remove_csrf), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let to = removed.location.unwrap();
    assert_eq!(to, "/account/totp?notice=removed");
    let off = b.get(&url(&to)).await;
    assert!(off.body.contains("ลบแอปยืนยันตัวตนแล้ว"), "{}", off.body);
    assert!(off.body.contains(r#"action="/account/totp/start""#));
    let factors = b.get(&url("/account/factors")).await;
    assert!(between(&factors.body, r#"id="totp-status">"#, "</p>").contains("ยังไม่ได้เพิ่ม"));

    // The same page in English: its language link stays on it, the menu
    // marks "second factors".
    assert!(
        off.body.contains(r#"href="/account/totp?lang=en""#),
        "{}",
        off.body
    );
    assert!(
        off.body
            .contains(r#"href="/account/factors" aria-current="page""#),
        "{}",
        off.body
    );
    let en = b.get(&url("/account/totp?lang=en")).await;
    assert!(en.body.contains(r#"<html lang="en">"#));
    assert!(en.body.contains("Add an authenticator app"), "{}", en.body);

    // The trail: added, the wrong code, new codes, removed.
    let activity = b.get(&url("/account/activity")).await;
    for action in [
        "account.totp_added",
        "account.totp_failed",
        "account.recovery_codes_created",
        "account.totp_removed",
    ] {
        assert!(
            activity.body.contains(action),
            "{action}: {}",
            activity.body
        );
    }
    assert!(!p.log().contains(&secret_text), "the secret in the log");
}

/// The same in headless Chromium, for the screenshots (Thai, desktop and
/// phone width): the QR code must render as a picture under the page's
/// content security policy, the secret and codes must be readable.
mod in_a_browser {
    use std::time::Duration;

    use fantoccini::Locator;
    use pratu_core::totp::{TotpSecret, step_of};

    use super::now;
    use crate::account_portal::{PASSWORD, start_with_somchai};
    use crate::browser::Browser;
    use crate::enrollment::{enroll, somchai};

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

    /// Desktop, then a phone's width, then back.
    async fn both_widths(b: &Browser, name: &str) {
        b.screenshot(&format!("{name}-desktop")).await;
        b.client.set_window_size(390, 844).await.unwrap();
        b.screenshot(&format!("{name}-mobile")).await;
        b.client.set_window_size(1000, 1200).await.unwrap();
    }

    #[tokio::test]
    async fn a_citizen_adds_an_authenticator_app_in_chromium() {
        let Some(b) = Browser::start("totp_portal").await else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let p = start_with_somchai(tmp.path()).await;
        enroll(&p, &somchai(), "somchai87", PASSWORD, "0812345678").await;

        b.client.goto(&format!("{}/account", p.url)).await.unwrap();
        b.fill("ชื่อผู้ใช้", "somchai87").await;
        b.fill("รหัสผ่าน", PASSWORD).await;
        b.press("เข้าสู่ระบบ").await;
        wait_text(&b, "ข้อมูลของฉัน").await;

        b.client
            .goto(&format!("{}/account/factors", p.url))
            .await
            .unwrap();
        wait_text(&b, "จัดการแอปยืนยันตัวตน").await;
        b.screenshot("factors").await;
        b.client
            .find(Locator::LinkText("จัดการแอปยืนยันตัวตน"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_text(&b, "บัญชีนี้ยังไม่มีแอปยืนยันตัวตน").await;
        b.screenshot("off").await;
        b.press("เพิ่มแอปยืนยันตัวตน").await;
        wait_text(&b, "สแกนคิวอาร์โค้ดนี้").await;

        // The QR code is drawn: the SVG has a size on the page.
        let qr = b
            .client
            .find(Locator::Css(".qr svg"))
            .await
            .expect("the QR code");
        let (_, _, w, h) = qr.rectangle().await.unwrap();
        assert!(w > 150.0 && (w - h).abs() < 1.0, "{w}x{h}");
        both_widths(&b, "setup").await;

        let grouped = b
            .client
            .find(Locator::Id("totp-secret"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let secret_text: String = grouped.split_whitespace().collect();
        crate::leaks::watch("totp secret", &secret_text);
        let secret = TotpSecret::from_base32(&secret_text).unwrap();
        let code = secret.code_at(step_of(now()));
        b.fill("รหัส 6 หลักจากแอป", &code).await;
        b.press("ยืนยันและเปิดใช้งาน").await;
        let text = wait_text(&b, "รหัสกู้คืนของคุณ").await;
        assert!(text.contains("เปิดใช้งานแอปยืนยันตัวตนแล้ว"), "{text}");
        assert!(
            !b.client
                .current_url()
                .await
                .unwrap()
                .as_str()
                .contains(&secret_text),
            "the secret in the URL"
        );
        let codes = b
            .client
            .find(Locator::Id("recovery-codes"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for c in codes.split_whitespace() {
            crate::leaks::watch("recovery code", c);
        }
        both_widths(&b, "codes").await;

        b.client
            .find(Locator::LinkText("บันทึกรหัสแล้ว"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        wait_text(&b, "เปิดใช้งานตั้งแต่").await;
        both_widths(&b, "active").await;
        b.client
            .goto(&format!("{}/account/totp?lang=en", p.url))
            .await
            .unwrap();
        wait_text(&b, "Active since").await;
        b.screenshot("active-en").await;
        b.close().await;
    }
}

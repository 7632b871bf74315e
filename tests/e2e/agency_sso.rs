//! Issue 6, headless Chromium: the journey the product exists for. A citizen
//! enrolls through the wizard, signs in to INFO (the sample agency app of
//! `crates/agency-demo`, running in-process on a port of its own), opens the
//! back-office app and is signed in without a password (SSO), signs out of
//! INFO (RP-initiated logout), and the back-office session ends through
//! back-channel logout. Screenshots: `target/e2e-screenshots/agency_sso*/`.

use std::time::Duration;

use fantoccini::Locator;
use openidconnect::ClientSecret;
use pratu_agency_demo::{App, Config};
use serde_json::Value;

use crate::browser::Browser;
use crate::browser_flows::enroll_in_wizard;
use crate::enrollment::{somchai, write_registry};
use crate::harness::{Options, Pratu, cli_json};
use crate::services::{PgDb, RedisNs};

const USERNAME: &str = "somchai87";
const PASSWORD: &str = "Khaosan7Lamp";

/// Starts a sample app on a free port, registered with Pratu through the
/// CLI exactly as the README tells an operator to; returns its base URL.
async fn start_app(p: &Pratu, envs: &[(&str, &str)], app: App) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let view: Value = cli_json(
        &p.data_dir,
        envs,
        &[
            "client",
            "create",
            "--name",
            app.default_title(),
            "--redirect-uri",
            &format!("{base}/callback"),
            "--post-logout-redirect-uri",
            &format!("{base}/"),
            "--backchannel-logout-uri",
            &format!("{base}/backchannel-logout"),
            "--json",
        ],
        None,
    )
    .await;
    let config = Config {
        app,
        title: app.default_title().to_owned(),
        issuer: p.url.clone(),
        client_id: view["client_id"].as_str().unwrap().to_owned(),
        client_secret: ClientSecret::new(view["client_secret"].as_str().unwrap().to_owned()),
        base_url: url::Url::parse(&base).unwrap(),
        scopes: vec!["profile".into(), "phone".into()],
    };
    tokio::spawn(async move { pratu_agency_demo::serve(config, listener).await.unwrap() });
    base
}

/// Waits for the app's greeting heading to contain `text` and returns the
/// page text.
async fn greeting(b: &Browser, text: &str) -> String {
    let found = b
        .client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath(&format!(
            "//h2[@id='greeting' and contains(normalize-space(.), \"{text}\")]"
        )))
        .await;
    if found.is_err() {
        let url = b.client.current_url().await.unwrap();
        panic!("no greeting {text:?} on {url}: {}", b.text().await);
    }
    b.text().await
}

async fn wait_button(b: &Browser, text: &str) {
    b.client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath(&format!(
            "//button[contains(normalize-space(.), \"{text}\")]"
        )))
        .await
        .unwrap_or_else(|_| panic!("no button {text:?}"));
}

async fn click_link(b: &Browser, text: &str) {
    b.client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText(text))
        .await
        .unwrap_or_else(|_| panic!("no link {text:?}"))
        .click()
        .await
        .unwrap();
}

/// The whole journey against a running Pratu; `envs` are what the CLI
/// needs to reach the same database as the server.
async fn journey(test: &str, envs: &[(&str, &str)], registry_dir: &std::path::Path) {
    let Some(b) = Browser::start(test).await else {
        return;
    };
    let citizen = somchai();
    let registry = write_registry(registry_dir, &[somchai()]);
    let mut opts =
        Options::default().env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap());
    for (k, v) in envs {
        opts = opts.env(k, v);
    }
    let p = Pratu::start_with(opts).await;
    let info = start_app(&p, envs, App::Info).await;
    let office = start_app(&p, envs, App::Backoffice).await;

    // 1. Enrollment through the wizard.
    enroll_in_wizard(&b, &p, &citizen, USERNAME, PASSWORD, "0812345678").await;

    // 2. INFO: not signed in; sign in through Pratu's login page.
    b.client.goto(&format!("{info}/")).await.unwrap();
    greeting(&b, "ยังไม่ได้เข้าสู่ระบบ").await;
    b.screenshot("info-signed-out").await;
    click_link(&b, "เข้าสู่ระบบด้วย Pratu").await;
    b.fill("ชื่อผู้ใช้", USERNAME).await;
    b.fill("รหัสผ่าน", PASSWORD).await;
    b.screenshot("pratu-login").await;
    b.press("เข้าสู่ระบบ").await;
    wait_button(&b, "อนุญาต").await;
    b.screenshot("pratu-consent-info").await;
    b.press("อนุญาต").await;
    let page = greeting(&b, "สวัสดี").await;
    b.screenshot("info-signed-in").await;
    assert!(
        page.contains("สวัสดี สมชาย ใจดี"),
        "INFO shows the Thai name: {page}"
    );
    assert!(page.contains("urn:pratu:acr:aal1"), "acr shown: {page}");
    assert!(page.contains("+66812345678"), "userinfo shown: {page}");
    assert!(
        !page.contains(&citizen.citizen_id),
        "INFO was not granted the citizen ID"
    );
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&info)
    );

    // 3. Back office: SSO — Pratu asks for consent to this app, never for
    // the password.
    b.client.goto(&format!("{office}/")).await.unwrap();
    greeting(&b, "ยังไม่ได้เข้าสู่ระบบ").await;
    b.screenshot("office-signed-out").await;
    click_link(&b, "เข้าสู่ระบบด้วย Pratu").await;
    wait_button(&b, "อนุญาต").await;
    let consent = b.client.source().await.unwrap();
    assert!(
        !consent.contains("current-password"),
        "SSO must not ask for the password again"
    );
    b.screenshot("pratu-consent-office-no-password").await;
    b.press("อนุญาต").await;
    let page = greeting(&b, "สวัสดี").await;
    b.screenshot("office-signed-in").await;
    assert!(page.contains("สวัสดี สมชาย ใจดี"), "{page}");
    assert!(page.contains("ระบบสำหรับเจ้าหน้าที่"), "the back-office look");

    // 4. Sign out of INFO: local session, then Pratu's end-session endpoint,
    // then back to INFO.
    b.client.goto(&format!("{info}/")).await.unwrap();
    greeting(&b, "สวัสดี").await;
    b.press("ออกจากระบบ").await;
    let page = greeting(&b, "ยังไม่ได้เข้าสู่ระบบ").await;
    b.screenshot("info-after-logout").await;
    assert!(
        page.contains("ออกจากระบบเรียบร้อยแล้ว"),
        "INFO confirms the logout it started: {page}"
    );

    // 5. The back office learnt of it through the back channel: a reload
    // shows it signed out. Delivery is asynchronous; wait for it.
    let mut signed_out = false;
    for _ in 0..100 {
        b.client.goto(&format!("{office}/")).await.unwrap();
        if b.text().await.contains("ยังไม่ได้เข้าสู่ระบบ") {
            signed_out = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.screenshot("office-after-backchannel-logout").await;
    assert!(
        signed_out,
        "the back-office session survived the logout; pratu log:\n{}",
        p.log()
    );
    assert!(
        p.log().contains("back-channel logout delivered"),
        "Pratu delivered the logout token"
    );

    // A forged logout token is refused (and ends nothing).
    let r = crate::harness::client()
        .post(format!("{office}/backchannel-logout"))
        .form(&[("logout_token", "eyJhbGciOiJub25lIn0.e30.")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    // 6. And the SSO session is gone: signing in again asks for the password.
    click_link(&b, "เข้าสู่ระบบด้วย Pratu").await;
    b.client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("input[autocomplete='current-password']"))
        .await
        .expect("the login page after logout");
    b.screenshot("office-sign-in-asks-password-again").await;

    b.close().await;
    let log = p.log();
    assert!(!log.contains(&citizen.citizen_id), "citizen ID in the log");
    assert!(!log.contains(PASSWORD), "password in the log");
}

#[tokio::test]
async fn a_citizen_enrolls_signs_in_to_info_and_the_back_office_and_one_logout_ends_both() {
    let tmp = tempfile::tempdir().unwrap();
    journey("agency_sso", &[], tmp.path()).await;
}

#[tokio::test]
async fn the_same_journey_on_postgresql_and_redis() {
    let Some(db) = PgDb::create().await else {
        return;
    };
    let Some(redis) = RedisNs::create() else {
        db.drop_db().await;
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    journey(
        "agency_sso_postgres_redis",
        &[
            ("PRATU_DATABASE_URL", &db.url),
            ("PRATU_REDIS_URL", &redis.url),
            ("PRATU_REDIS_PREFIX", &redis.prefix),
        ],
        tmp.path(),
    )
    .await;
    db.drop_db().await;
}

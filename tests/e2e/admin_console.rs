//! Issue 5, headless Chromium: an operator signs in to the console at
//! `/admin` through Pratu's own login page, registers a client (its secret
//! shown once), rotates it, and browses the audit log; a user without the
//! operator role is turned away. Screenshots in
//! `target/e2e-screenshots/admin_console/`.

use std::time::Duration;

use fantoccini::Locator;

use crate::browser::Browser;
use crate::harness::{Pratu, cli_json, run_cli};

async fn user(p: &Pratu, username: &str, role: Option<&str>) {
    let mut args = vec![
        "user",
        "create",
        "--username",
        username,
        "--given-name",
        "Somsri",
        "--family-name",
        "Dee",
        "--password-stdin",
    ];
    if let Some(r) = role {
        args.extend(["--role", r]);
    }
    cli_json(&p.data_dir, &[], &args, Some("Mango7Sticky\n")).await;
}

async fn wait_for_text(b: &Browser, text: &str) -> String {
    let mut body = String::new();
    for _ in 0..100 {
        body = b.text().await;
        if body.contains(text) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{text:?} never appeared; page: {body}");
}

async fn sign_in(b: &Browser, p: &Pratu, username: &str) {
    b.client.goto(&format!("{}/admin", p.url)).await.unwrap();
    // Pratu's own login page (Thai by default).
    b.fill("ชื่อผู้ใช้", username).await;
    b.fill("รหัสผ่าน", "Mango7Sticky").await;
    b.screenshot(&format!("login-{username}")).await;
    b.press("เข้าสู่ระบบ").await;
}

#[tokio::test]
async fn admin_console() {
    let Some(b) = Browser::start("admin_console").await else {
        return;
    };
    let p = Pratu::start().await;
    user(&p, "opsadmin1", Some("operator")).await;
    user(&p, "citizen1", None).await;

    // Not an operator: turned away after signing in.
    sign_in(&b, &p, "citizen1").await;
    let body = wait_for_text(&b, "operator role").await;
    assert!(!body.contains("Client applications"));
    b.screenshot("not-an-operator").await;
    // End the SSO session so the operator can sign in in this browser.
    b.client.delete_all_cookies().await.unwrap();

    sign_in(&b, &p, "opsadmin1").await;
    wait_for_text(&b, "Client applications").await;
    b.screenshot("clients").await;

    b.client
        .find(Locator::LinkText("Register a client"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("Application name", "Department e-Service").await;
    b.fill("Redirect URIs", "https://eservice.example.go.th/callback")
        .await;
    b.tick("Issue refresh tokens").await;
    b.screenshot("register-form").await;
    b.press("Register").await;
    let body = wait_for_text(&b, "Client registered").await;
    assert!(body.contains("shown only this once"));
    let client_id = b
        .client
        .find(Locator::Id("client_id"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = b
        .client
        .find(Locator::Id("client_secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(secret.len(), 43);
    b.screenshot("secret-shown-once").await;

    // The list shows it; the secret is nowhere on it.
    b.client
        .goto(&format!("{}/admin/clients", p.url))
        .await
        .unwrap();
    let body = wait_for_text(&b, "Department e-Service").await;
    assert!(body.contains(&client_id));
    assert!(!body.contains(&secret));

    // Rotate the secret.
    b.client
        .find(Locator::Css(&format!(
            "form[action='/admin/clients/{client_id}/secret'] button"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_text(&b, "New secret issued").await;
    let rotated = b
        .client
        .find(Locator::Id("client_secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_ne!(rotated, secret);
    b.screenshot("secret-rotated").await;

    // The audit log shows both steps.
    b.client
        .find(Locator::LinkText("Audit log"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("Target", &format!("client:{client_id}")).await;
    b.press("Filter").await;
    let body = wait_for_text(&b, "client.secret_rotated").await;
    assert!(body.contains("client.created"));
    b.screenshot("audit-log").await;

    // A form whose CSRF token was tampered with is refused.
    b.client
        .goto(&format!("{}/admin/clients/new", p.url))
        .await
        .unwrap();
    b.fill("Application name", "Forged").await;
    b.fill("Redirect URIs", "https://forged.example/cb").await;
    b.client
        .execute(
            "document.querySelector('form[action=\"/admin/clients/new\"] input[name=csrf]').value = 'forged';",
            vec![],
        )
        .await
        .unwrap();
    b.press("Register").await;
    wait_for_text(&b, "The form expired").await;
    b.client
        .goto(&format!("{}/admin/clients", p.url))
        .await
        .unwrap();
    let body = wait_for_text(&b, "Client applications").await;
    assert!(!body.contains("Forged"));

    b.press("Sign out").await;
    wait_for_text(&b, "signed out of the console").await;

    // Signing in again reuses the SSO session; a force logout of the
    // operator (admin API) ends both.
    b.client.goto(&format!("{}/admin", p.url)).await.unwrap();
    wait_for_text(&b, "Client applications").await;
    let out = run_cli(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "ops-bot",
            "--scope",
            "pratu:admin",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    )
    .await;
    let bot: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let http = crate::harness::client();
    let token: serde_json::Value = http
        .post(format!("{}/token", p.url))
        .basic_auth(
            bot["client_id"].as_str().unwrap(),
            bot["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "pratu:admin"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let users: serde_json::Value = http
        .get(format!("{}/admin/api/v1/users?username=opsadmin1", p.url))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let uid = users["users"][0]["id"].as_str().unwrap();
    let r = http
        .post(format!("{}/admin/api/v1/users/{uid}/logout", p.url))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    b.client
        .goto(&format!("{}/admin/clients", p.url))
        .await
        .unwrap();
    let page = b.client.source().await.unwrap();
    assert!(
        page.contains(r#"autocomplete="current-password""#),
        "expected Pratu's login page after a force logout"
    );
    b.screenshot("after-force-logout").await;
    b.close().await;
}

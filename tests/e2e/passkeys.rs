//! Issue 19, passkeys, in headless Chromium with a virtual WebAuthn
//! authenticator (chromedriver's WebAuthn extension: CTAP2, internal,
//! resident keys, user verification): a citizen registers a passkey in the
//! portal, signs out everywhere, signs in to an agency app asking for aal2
//! with the passkey alone (no password, no SMS), then again with the
//! password and the passkey as the second factor, and removes it.
//! Screenshots: `target/e2e-screenshots/passkeys/`.
//!
//! WebAuthn refuses an IP address as the relying party, so this server's
//! issuer is `http://localhost:<port>`.

use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge,
};
use serde_json::Value;

use crate::browser::Browser;
use crate::enrollment::{Citizen, enroll, somchai, write_registry};
use crate::harness::{Options, Pratu, cli_json, client};
use crate::sso::relying_party_at;

const PASSWORD: &str = "Khaosan7Lamp";

/// `POST /session/{id}/webauthn/authenticator` (WebAuthn Level 2 §11.3).
#[derive(Debug)]
struct AddVirtualAuthenticator;

impl WebDriverCompatibleCommand for AddVirtualAuthenticator {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/authenticator",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": true,
            "hasUserVerification": true,
            "isUserVerified": true,
        });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// A Pratu whose issuer is `http://localhost:<port>` (a free port picked
/// here and handed to it), with `citizens` in its registry.
async fn start_on_localhost(tmp: &std::path::Path, citizens: &[Citizen]) -> (Pratu, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://localhost:{port}");
    let registry = write_registry(tmp, citizens);
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap())
            .env("PRATU_LISTEN", &format!("127.0.0.1:{port}"))
            .env("PRATU_ISSUER", &issuer),
    )
    .await;
    (p, issuer)
}

/// A headless Chromium holding a virtual authenticator; `None` where no
/// browser runs.
async fn browser_with_authenticator(name: &str) -> Option<Browser> {
    let b = Browser::start(name).await?;
    b.client
        .issue_cmd(AddVirtualAuthenticator)
        .await
        .expect("chromedriver adds a virtual authenticator");
    Some(b)
}

/// The agency app "Tax Office" (scopes `openid profile`), registered by
/// the CLI: its view.
async fn tax_office(p: &Pratu, cb: &str) -> Value {
    cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "Tax Office",
            "--redirect-uri",
            cb,
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--json",
        ],
        None,
    )
    .await
}

/// Signs in to the portal with the password (a screenshot `shot` of the
/// filled form first, if named).
async fn portal_sign_in(b: &Browser, issuer: &str, username: &str, shot: Option<&str>) {
    b.client.goto(&format!("{issuer}/account")).await.unwrap();
    b.fill("ชื่อผู้ใช้", username).await;
    b.fill("รหัสผ่าน", PASSWORD).await;
    if let Some(shot) = shot {
        b.screenshot(shot).await;
    }
    b.press("เข้าสู่ระบบ").await;
    wait_for_url(b, "the portal", |u| u.ends_with("/account")).await;
}

/// Adds the account's first passkey, named `name`, on the portal's
/// passkeys page (a screenshot `shot` of the filled form first, if named).
async fn add_first_passkey(b: &Browser, issuer: &str, name: &str, shot: Option<&str>) {
    b.client
        .goto(&format!("{issuer}/account/passkeys"))
        .await
        .unwrap();
    wait_for_text(b, "ยังไม่มีพาสคีย์").await;
    b.fill("ตั้งชื่อพาสคีย์", name).await;
    if let Some(shot) = shot {
        b.screenshot(shot).await;
    }
    b.press("เพิ่มพาสคีย์").await;
    wait_for_url(b, "the added notice", |u| u.contains("notice=added")).await;
}

/// Waits until the browser's URL satisfies `done`; returns it.
async fn wait_for_url(b: &Browser, what: &str, done: impl Fn(&str) -> bool) -> String {
    let mut url = String::new();
    for _ in 0..150 {
        url = b.client.current_url().await.unwrap().to_string();
        if done(&url) {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never reached {what}; at {url}: {}", b.text().await)
}

/// Waits until the page's text contains `text`.
async fn wait_for_text(b: &Browser, text: &str) -> String {
    let mut body = String::new();
    for _ in 0..150 {
        body = b.text().await;
        if body.contains(text) {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {text:?} on the page: {body}")
}

/// An authorization request of the agency app asking for aal2 (with
/// `prompt=login` when `fresh`), and what checks its answer.
struct AgencyRequest {
    url: url::Url,
    state: CsrfToken,
    nonce: Nonce,
    verifier: openidconnect::PkceCodeVerifier,
}

impl AgencyRequest {
    fn new(rp: &crate::sso::Rp, fresh: bool) -> Self {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = rp
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(openidconnect::Scope::new("profile".into()))
            .add_auth_context_value(AuthenticationContextClass::new("urn:pratu:acr:aal2".into()))
            .set_pkce_challenge(challenge);
        if fresh {
            request = request.add_prompt(openidconnect::core::CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = request.url();
        Self {
            url,
            state,
            nonce,
            verifier,
        }
    }

    /// Redeems the code the browser `landed` with, checks the ID token
    /// (signature, nonce, `acr` aal2) and returns its `amr`.
    async fn signed_in(self, rp: &crate::sso::Rp, landed: &str) -> Vec<String> {
        let landed = url::Url::parse(landed).unwrap();
        let param = |k: &str| {
            landed
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(
            param("state").as_deref(),
            Some(self.state.secret().as_str())
        );
        let token = rp
            .client
            .exchange_code(AuthorizationCode::new(param("code").expect("a code")))
            .unwrap()
            .set_pkce_verifier(self.verifier)
            .request_async(&rp.http)
            .await
            .unwrap();
        let verifier = rp
            .client
            .id_token_verifier()
            .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
        let claims = token
            .extra_fields()
            .id_token()
            .unwrap()
            .claims(&verifier, &self.nonce)
            .unwrap();
        assert_eq!(
            claims.auth_context_ref().map(|a| a.as_str()),
            Some("urn:pratu:acr:aal2")
        );
        claims
            .auth_method_refs()
            .unwrap()
            .iter()
            .map(|m| m.as_str().to_owned())
            .collect()
    }
}

/// SMS messages sent so far (the enrollment's code among them).
fn sms_sent(p: &Pratu) -> usize {
    std::fs::read_to_string(p.data_dir.join("sms-outbox.jsonl"))
        .unwrap_or_default()
        .lines()
        .count()
}

#[tokio::test]
async fn a_citizen_registers_a_passkey_signs_in_with_it_alone_and_removes_it() {
    let Some(b) = browser_with_authenticator("passkeys").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let (p, issuer) = start_on_localhost(tmp.path(), &[somchai()]).await;
    enroll(&p, &somchai(), "somchai87", PASSWORD, "0812345678").await;

    // The sign-in page of an IP issuer offers no passkey; this one does,
    // with the script its policy allows.
    let cb = "http://127.0.0.1:9/tax/callback";
    let view = tax_office(&p, cb).await;

    // 1. The portal, signed in with the password; add a passkey.
    portal_sign_in(
        &b,
        &issuer,
        "somchai87",
        Some("portal-sign-in-offers-a-passkey"),
    )
    .await;
    add_first_passkey(&b, &issuer, "โทรศัพท์ของฉัน", Some("passkeys-before")).await;
    let listed = wait_for_text(&b, "เพิ่มพาสคีย์แล้ว").await;
    assert!(listed.contains("โทรศัพท์ของฉัน"), "{listed}");
    assert!(listed.contains("ยังไม่เคยใช้"), "never used yet: {listed}");
    b.screenshot("passkey-added").await;

    // 2. Sign out everywhere: the next sign-in starts from nothing.
    b.client
        .goto(&format!("{issuer}/account/sessions"))
        .await
        .unwrap();
    b.press("ออกจากระบบทุกอุปกรณ์").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // 3. The agency app asks for aal2; the citizen uses the passkey alone.
    let sms_before = sms_sent(&p);
    let rp = relying_party_at(&issuer, &view, cb).await;
    let request = AgencyRequest::new(&rp, false);
    b.client.goto(request.url.as_str()).await.unwrap();
    wait_for_text(&b, "เข้าสู่ระบบด้วยพาสคีย์").await;
    b.screenshot("agency-sign-in").await;
    b.press("เข้าสู่ระบบด้วยพาสคีย์").await;
    wait_for_text(&b, "อนุญาต").await;
    b.screenshot("consent-after-passkey").await;
    b.press("อนุญาต").await;
    let landed = wait_for_url(&b, "the agency's callback", |u| u.starts_with(cb)).await;
    let amr = request.signed_in(&rp, &landed).await;
    assert!(amr.iter().any(|m| m == "swk" || m == "hwk"), "{amr:?}");
    assert!(amr.iter().any(|m| m == "user"), "{amr:?}");
    assert!(!amr.iter().any(|m| m == "pwd" || m == "sms"), "{amr:?}");
    assert_eq!(
        sms_sent(&p),
        sms_before,
        "the passkey met aal2 by itself: no SMS"
    );

    // 3b. The app asks for aal2 again with a fresh sign-in (prompt=login):
    // after the password, the passkey is asked as the second factor (the
    // account's strongest), the SMS only offered.
    let request = AgencyRequest::new(&rp, true);
    b.client.goto(request.url.as_str()).await.unwrap();
    wait_for_text(&b, "เข้าสู่ระบบด้วยพาสคีย์").await;
    b.fill("ชื่อผู้ใช้", "somchai87").await;
    b.fill("รหัสผ่าน", PASSWORD).await;
    b.press("เข้าสู่ระบบ").await;
    let page = wait_for_text(&b, "ยืนยันด้วยพาสคีย์").await;
    assert!(page.contains("รหัส OTP ทาง SMS"), "SMS is offered: {page}");
    b.screenshot("step-up-with-a-passkey").await;
    b.press("ยืนยันด้วยพาสคีย์").await;
    let landed = wait_for_url(&b, "the agency's callback", |u| u.starts_with(cb)).await;
    let amr = request.signed_in(&rp, &landed).await;
    assert_eq!(amr, ["pwd", "swk", "user", "mfa"]);
    assert_eq!(
        sms_sent(&p),
        sms_before,
        "the passkey was the second factor: no SMS"
    );

    // 4. Back in the portal (the SSO session of the passkey sign-in): the
    // passkey shows its use; remove it with the password.
    b.client.goto(&format!("{issuer}/account")).await.unwrap();
    wait_for_url(&b, "the portal", |u| u.ends_with("/account")).await;
    b.client
        .goto(&format!("{issuer}/account/passkeys"))
        .await
        .unwrap();
    let used = wait_for_text(&b, "โทรศัพท์ของฉัน").await;
    assert!(!used.contains("ยังไม่เคยใช้"), "the use is recorded: {used}");
    b.fill("รหัสผ่านปัจจุบัน", PASSWORD).await;
    b.screenshot("remove").await;
    b.press("ลบพาสคีย์นี้").await;
    wait_for_url(&b, "the removed notice", |u| u.contains("notice=removed")).await;
    let after = wait_for_text(&b, "ลบพาสคีย์แล้ว").await;
    assert!(after.contains("ยังไม่มีพาสคีย์"), "{after}");
    b.screenshot("removed").await;

    // The account's activity has both changes.
    b.client
        .goto(&format!("{issuer}/account/activity"))
        .await
        .unwrap();
    let activity = wait_for_text(&b, "account.passkey_removed").await;
    assert!(activity.contains("account.passkey_added"), "{activity}");
    b.close().await;
}

/// Someone who knows somchai's password and holds a passkey of their own
/// account (somsri's) uses it at somchai's step-up: the signature is
/// genuine, but the passkey is not somchai's, so it is refused (and
/// counted), and no code reaches the app.
#[tokio::test]
async fn another_accounts_passkey_is_refused_at_step_up() {
    let Some(b) = browser_with_authenticator("passkeys-other-account").await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let somsri = crate::recovery::somsri;
    let (p, issuer) = start_on_localhost(tmp.path(), &[somchai(), somsri()]).await;
    enroll(&p, &somchai(), "somchai87", PASSWORD, "0812345678").await;
    enroll(&p, &somsri(), "somsri88", PASSWORD, "0898765432").await;
    // somchai has a passkey on a device the attacker does not hold (any
    // stored row makes the passkey the factor asked for).
    {
        use sqlx::Connection as _;
        let db = format!("sqlite://{}/pratu.db", p.data_dir.display());
        let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) \
             SELECT x'0102030405', id, 'phone', '{}', 0 FROM users WHERE username = ?",
        )
        .bind("somchai87")
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let cb = "http://127.0.0.1:9/tax/callback";
    let view = tax_office(&p, cb).await;

    // The attacker's own account gets a passkey in the authenticator.
    portal_sign_in(&b, &issuer, "somsri88", None).await;
    add_first_passkey(&b, &issuer, "mine", None).await;

    // somchai's password, then the attacker's passkey at the step-up.
    let rp = relying_party_at(&issuer, &view, cb).await;
    let request = AgencyRequest::new(&rp, true);
    b.client.goto(request.url.as_str()).await.unwrap();
    wait_for_text(&b, "เข้าสู่ระบบด้วยพาสคีย์").await;
    b.fill("ชื่อผู้ใช้", "somchai87").await;
    b.fill("รหัสผ่าน", PASSWORD).await;
    b.press("เข้าสู่ระบบ").await;
    wait_for_text(&b, "ยืนยันด้วยพาสคีย์").await;
    b.press("ยืนยันด้วยพาสคีย์").await;
    let refused = wait_for_text(&b, "ใช้พาสคีย์นี้ยืนยันตัวตนไม่ได้").await;
    b.screenshot("refused").await;
    let url = b.client.current_url().await.unwrap().to_string();
    assert!(!url.starts_with(cb), "no code for the app: {url}");
    assert!(
        refused.contains("รหัส OTP ทาง SMS"),
        "the other factors stay offered"
    );
    b.close().await;
}

#[tokio::test]
async fn an_ip_issuer_offers_no_passkey_and_keeps_scripts_off_the_sign_in_page() {
    let p = Pratu::start().await;
    let opts = client()
        .post(format!("{}/login/passkey/options", p.url))
        .form(&[("req", "nope"), ("csrf", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(opts.status(), 403, "a forged token starts no ceremony");
    let script = client()
        .get(format!("{}/login/passkey.js", p.url))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
}

//! Issue 17, black-box: the front door `/`, the portal's sign-in through
//! Pratu itself (`pratu-account`, code + PKCE) and its session, and the
//! return to an agency app after enrolling from its sign-in page.

use serde_json::Value;

use crate::enrollment::{Citizen, enroll, read_otp, somchai, write_registry};
use crate::harness::{Options, Pratu, cli_json, client};
use crate::sso::{Browser, Page};

pub(crate) const PASSWORD: &str = "Khaosan7Lamp";

pub(crate) async fn start_with_somchai(tmp: &std::path::Path) -> Pratu {
    let registry = write_registry(tmp, &[somchai()]);
    Pratu::start_with(
        Options::default().env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap()),
    )
    .await
}

fn absolute(p: &Pratu, loc: &str) -> String {
    if loc.starts_with('/') {
        format!("{}{loc}", p.url)
    } else {
        loc.to_owned()
    }
}

/// Opens `/account` and signs in on the provider's page; returns the page
/// the portal shows afterwards.
pub(crate) async fn portal_sign_in(p: &Pratu, b: &Browser, username: &str) -> Page {
    let start = b.get(&format!("{}/account", p.url)).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let to = start.location.clone().unwrap();
    assert!(to.starts_with(&format!("{}/authorize?", p.url)), "{to}");
    assert!(to.contains("client_id=pratu-account") && to.contains("code_challenge="));
    let login = b.until_rp(start, &p.url).await;
    b.sign_in(login, &p.url, username, PASSWORD).await
}

#[tokio::test]
async fn the_front_door_answers_in_thai_and_in_english() {
    let p = Pratu::start().await;
    let r = client().get(format!("{}/", p.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"));
    let th = r.text().await.unwrap();
    assert!(th.contains(r#"<html lang="th">"#), "{th}");
    assert!(th.contains("เข้าสู่ระบบ Digital ID ของฉัน"));
    for link in [
        r#"href="/account""#,
        r#"href="/register""#,
        r#"href="/recover""#,
    ] {
        assert!(th.contains(link), "{link}");
    }
    assert!(!th.contains("<script"));

    let r = client()
        .get(format!("{}/", p.url))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let en = r.text().await.unwrap();
    assert!(en.contains(r#"<html lang="en">"#), "{en}");
    assert!(en.contains("Sign in to my Digital ID"));

    // The language link is remembered for the whole site.
    let r = client()
        .get(format!("{}/?lang=en", p.url))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("pratu_lang=en;"), "{cookie}");
    let css = client()
        .get(format!("{}/account/portal.css", p.url))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

#[tokio::test]
async fn a_citizen_signs_in_to_the_portal_and_sees_the_profile_masked() {
    let tmp = tempfile::tempdir().unwrap();
    let p = start_with_somchai(tmp.path()).await;
    let citizen = somchai();
    enroll(&p, &citizen, "somchai87", PASSWORD, "0812345678").await;

    let b = Browser::new();
    let profile = portal_sign_in(&p, &b, "somchai87").await;
    assert_eq!(profile.status, 200, "{}", profile.body);
    let html = &profile.body;
    assert!(
        html.contains("somchai87") && html.contains("สมชาย"),
        "{html}"
    );
    let id = &citizen.citizen_id;
    let masked = format!("{}-{}-xxxxx-xx-{}", &id[..1], &id[1..5], &id[12..]);
    assert!(html.contains(&masked), "{html}");
    assert!(!html.contains(id.as_str()), "the full citizen ID is shown");
    assert!(html.contains("08x-xxx-5678") && !html.contains("0812345678"));
    assert!(html.contains("IAL "), "{html}");

    // Sign-out needs the form's CSRF token.
    let refused = b
        .post(&format!("{}/account/signout", p.url), &[("csrf", "forged")])
        .await;
    assert_eq!(refused.status, 403);
    let still = b.get(&format!("{}/account", p.url)).await;
    assert_eq!(still.status, 200, "a refused sign-out ended the session");
    let out = b
        .post(
            &format!("{}/account/signout", p.url),
            &[("csrf", &still.input("csrf"))],
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(
        out.body.contains("/logout?client_id=pratu-account"),
        "{}",
        out.body
    );
    // The portal session is over: /account starts signing in again.
    let again = b.get(&format!("{}/account", p.url)).await;
    assert_eq!(again.status, 303);
    assert!(again.location.unwrap().contains("/authorize?"));
}

async fn admin_token(p: &Pratu) -> String {
    let v = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "ops bot",
            "--scope",
            "pratu:admin",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    )
    .await;
    let r = client()
        .post(format!("{}/token", p.url))
        .basic_auth(
            v["client_id"].as_str().unwrap(),
            v["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "pratu:admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    crate::leaks::watch("admin access token", &token);
    token
}

async fn portal_session_ends_after(admin_action: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let p = start_with_somchai(tmp.path()).await;
    let done = enroll(&p, &somchai(), "somchai87", PASSWORD, "0812345678").await;
    let uid = done["user_id"].as_str().unwrap().to_owned();
    let b = Browser::new();
    let profile = portal_sign_in(&p, &b, "somchai87").await;
    assert_eq!(profile.status, 200);

    let admin = admin_token(&p).await;
    let r = client()
        .post(format!("{}/admin/api/v1/users/{uid}/{admin_action}", p.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{admin_action}: {}", r.status());

    let after = b.get(&format!("{}/account", p.url)).await;
    assert_eq!(
        after.status, 303,
        "the portal session outlived {admin_action}"
    );
    // And no new one without signing in again: the SSO session is over too.
    let page = b.until_rp(after, &p.url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"autocomplete="current-password""#));
}

#[tokio::test]
async fn the_portal_session_ends_when_an_operator_signs_the_citizen_out() {
    portal_session_ends_after("logout").await;
}

#[tokio::test]
async fn the_portal_session_ends_when_the_account_is_disabled() {
    portal_session_ends_after("disable").await;
}

/// PostgreSQL + Redis, two nodes behind one issuer: a portal session made
/// through node A is seen by node B, and an operator's sign-out through B
/// ends it on A.
#[tokio::test]
async fn the_portal_session_is_shared_by_every_node_on_postgres_and_redis() {
    use crate::services::{PgDb, RedisNs};
    let Some(pg) = PgDb::create().await else {
        return;
    };
    let Some(redis) = RedisNs::create() else {
        pg.drop_db().await;
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let registry = write_registry(tmp.path(), &[somchai()]);
    let base = Options::default()
        .env("PRATU_DATABASE_URL", &pg.url)
        .env("PRATU_REDIS_URL", &redis.url)
        .env("PRATU_REDIS_PREFIX", &redis.prefix)
        .env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap());
    let a = Pratu::start_with(Options {
        envs: base.envs.clone(),
        data_dir: None,
    })
    .await;
    let b_node = Pratu::start_with(
        Options {
            envs: base.envs.clone(),
            data_dir: Some(a.data_dir.clone()),
        }
        .env("PRATU_ISSUER", &a.url),
    )
    .await;
    let done = enroll(&a, &somchai(), "somchai87", PASSWORD, "0812345678").await;
    let uid = done["user_id"].as_str().unwrap().to_owned();
    let b = Browser::new();
    assert_eq!(portal_sign_in(&a, &b, "somchai87").await.status, 200);
    // Cookies are per host, not per port: the same browser on node B.
    let on_b = b.get(&format!("{}/account", b_node.url)).await;
    assert_eq!(on_b.status, 200, "node B does not see the portal session");
    assert!(on_b.body.contains("somchai87"));

    let env: Vec<(&str, &str)> = base
        .envs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let bot = cli_json(
        &a.data_dir,
        &env,
        &[
            "client",
            "create",
            "--name",
            "ops bot",
            "--scope",
            "pratu:admin",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    )
    .await;
    let r = client()
        .post(format!("{}/token", b_node.url))
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
        .unwrap();
    let admin = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    crate::leaks::watch("admin access token", &admin);
    let r = client()
        .post(format!("{}/admin/api/v1/users/{uid}/logout", b_node.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let after = b.get(&format!("{}/account", a.url)).await;
    assert_eq!(
        after.status, 303,
        "the portal session outlived the sign-out on node A"
    );
    drop((a, b_node));
    pg.drop_db().await;
}

fn csrf_of(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a CSRF input") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#61;", "=")
        .replace("&#37;", "%")
}

/// The `href` of the first link whose target starts with `prefix`.
fn link(html: &str, prefix: &str) -> Option<String> {
    html.split("href=\"")
        .skip(1)
        .map(|rest| unescape(&rest[..rest.find('"').unwrap()]))
        .find(|h| h.starts_with(prefix))
}

/// Posts one wizard form (with the page's CSRF token) and returns the
/// next page, following the wizard's redirect.
async fn wizard_step(
    p: &Pratu,
    b: &Browser,
    page: &Page,
    action: &str,
    fields: &[(&str, &str)],
) -> Page {
    let csrf = csrf_of(&page.body);
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let after = b.post(&format!("{}{action}", p.url), &form).await;
    assert_eq!(after.status, 303, "{action}: {}", after.body);
    b.get(&absolute(p, after.location.as_deref().unwrap()))
        .await
}

/// Enrolls `c` through the wizard's pages from `first` (the terms page).
async fn enroll_in_wizard(
    p: &Pratu,
    b: &Browser,
    first: Page,
    c: &Citizen,
    username: &str,
) -> Page {
    crate::leaks::watch("password", PASSWORD);
    let terms_version = {
        let m = r#"name="terms_version" value=""#;
        let s = first.body.find(m).unwrap() + m.len();
        first.body[s..s + first.body[s..].find('"').unwrap()].to_owned()
    };
    let page = wizard_step(
        p,
        b,
        &first,
        "/register/consent",
        &[("accept", "yes"), ("terms_version", &terms_version)],
    )
    .await;
    let page = wizard_step(
        p,
        b,
        &page,
        "/register/citizen-id",
        &[("citizen_id", &c.citizen_id)],
    )
    .await;
    let page = wizard_step(p, b, &page, "/register/method", &[("method", "laser_code")]).await;
    let page = wizard_step(
        p,
        b,
        &page,
        "/register/personal",
        &[
            ("first_name", c.first_name),
            ("last_name", c.last_name),
            ("birth_day", "1"),
            ("birth_month", "1"),
            ("birth_year", "2530"),
        ],
    )
    .await;
    let page = wizard_step(
        p,
        b,
        &page,
        "/register/laser-code",
        &[("laser_code", c.laser_code)],
    )
    .await;
    let page = wizard_step(
        p,
        b,
        &page,
        "/register/account",
        &[("username", username), ("password", PASSWORD)],
    )
    .await;
    let page = wizard_step(p, b, &page, "/register/phone", &[("phone", "0812345678")]).await;
    let (code, _) = read_otp(&p.data_dir, "+66812345678");
    let page = wizard_step(p, b, &page, "/register/phone/verify", &[("code", &code)]).await;
    let done = wizard_step(p, b, &page, "/register/confirm", &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    done
}

#[tokio::test]
async fn a_citizen_who_enrolls_from_an_agency_sign_in_page_lands_back_in_the_app() {
    let tmp = tempfile::tempdir().unwrap();
    let p = start_with_somchai(tmp.path()).await;
    let redirect = "http://127.0.0.1:9/agency/callback";
    let app = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "Agency app",
            "--redirect-uri",
            redirect,
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--json",
        ],
        None,
    )
    .await;
    let client_id = app["client_id"].as_str().unwrap();
    let b = Browser::new();
    let authorize = format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20profile&state=st4te&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        p.url,
        url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
    );
    let login = b.until_rp(b.get(&authorize).await, &p.url).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let enroll_link = link(&login.body, &format!("{}/register?continue=", p.url))
        .unwrap_or_else(|| panic!("no enroll link carrying the request: {}", login.body));
    assert!(
        enroll_link.contains("continue=%2Fauthorize%2Fcontinue%3Freq%3D"),
        "{enroll_link}"
    );

    let terms = b.get(&enroll_link).await;
    assert_eq!(terms.status, 200, "{}", terms.body);
    let done = enroll_in_wizard(&p, &b, terms, &somchai(), "somchai87").await;
    let next = link(&done.body, "/authorize/continue?req=")
        .unwrap_or_else(|| panic!("no continue button: {}", done.body));
    assert!(next.contains("login_hint=somchai87"), "{next}");
    assert!(done.body.contains(r#"href="/account""#), "{}", done.body);

    let login = b.get(&absolute(&p, &next)).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert!(
        login.body.contains(r#"value="somchai87""#),
        "username not filled in: {next} {}",
        login.body
    );
    let back = b.sign_in(login, &p.url, "somchai87", PASSWORD).await;
    let to = back.location.clone().unwrap_or_default();
    assert!(
        to.starts_with(redirect),
        "not back at the app: {to} {}",
        back.body
    );
    assert!(back.redirect_param("code").is_some(), "{to}");
    assert_eq!(back.redirect_param("state").as_deref(), Some("st4te"));
}

#[tokio::test]
async fn the_enroll_link_cannot_send_a_citizen_elsewhere() {
    let p = Pratu::start().await;
    for evil in [
        "https://evil.example/authorize/continue?req=abc",
        "//evil.example/authorize/continue?req=abc",
        "/authorize/continue?req=abc&redirect_uri=https://evil.example",
        "/logout?post_logout_redirect_uri=https://evil.example",
        "javascript:alert(1)",
    ] {
        let url = format!(
            "{}/register?continue={}",
            p.url,
            url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>()
        );
        let r = client().get(url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{evil}");
        let kept = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("pratu_enroll_continue="));
        assert!(!kept, "{evil} was kept");
        let body = r.text().await.unwrap();
        assert!(
            !body.contains("evil.example") && !body.contains("javascript:"),
            "{evil}"
        );
    }
    // The provider's own shape is kept.
    let r = client()
        .get(format!(
            "{}/register?continue=%2Fauthorize%2Fcontinue%3Freq%3DAbc_123",
            p.url
        ))
        .send()
        .await
        .unwrap();
    let kept = r.headers().get_all("set-cookie").iter().any(|c| {
        c.to_str()
            .unwrap()
            .starts_with("pratu_enroll_continue=Abc_123;")
    });
    assert!(kept);
}

#[tokio::test]
async fn the_citizen_apis_are_described_at_api_openapi_json() {
    let p = Pratu::start().await;
    let r = client()
        .get(format!("{}/api/openapi.json", p.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let identity = &doc["paths"]["/api/v1/enrollments/{id}/identity"]["put"];
    assert!(identity["requestBody"].is_object(), "{identity}");
    assert!(identity["responses"]["422"].is_object(), "{identity}");
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // The recovery and account APIs, with their bodies and problems.
    let recovery = &doc["paths"]["/api/v1/recovery/{id}/identity"]["put"];
    assert!(recovery["requestBody"].is_object(), "{recovery}");
    assert!(recovery["responses"]["404"].is_object(), "{recovery}");
    let password = &doc["paths"]["/api/v1/account/password"]["put"];
    assert!(password["requestBody"].is_object(), "{password}");
    assert!(password["responses"]["403"].is_object(), "{password}");
    for path in [
        "/api/v1/recovery",
        "/api/v1/recovery/{id}/phone",
        "/api/v1/recovery/{id}/otp/verify",
        "/api/v1/recovery/{id}/password",
        "/api/v1/account",
        "/api/v1/account/phone",
        "/api/v1/account/phone/verify",
        "/api/v1/account/apps",
        "/api/v1/account/apps/{client_id}",
        "/api/v1/account/sessions",
        "/api/v1/account/activity",
        "/api/v1/account/export",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
}

/// Headless Chromium: the pages as a person sees them. Screenshots (Thai and
/// English, desktop and 390 px mobile) go to `target/screenshots/portal/`.
mod in_a_browser {
    use std::path::PathBuf;
    use std::time::Duration;

    use fantoccini::Locator;

    use super::{PASSWORD, start_with_somchai};
    use crate::browser::Browser;
    use crate::browser_flows::enroll_in_wizard;
    use crate::enrollment::{enroll, somchai};
    use crate::harness::cli_json;

    fn shots() -> PathBuf {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots/portal");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// The current page at desktop and mobile width, as `<name>-desktop.png`
    /// and `<name>-mobile.png`.
    async fn capture(b: &Browser, name: &str) {
        for (size, w, h) in [("desktop", 1000, 1200), ("mobile", 390, 844)] {
            b.client.set_window_size(w, h).await.unwrap();
            let png = b.client.screenshot().await.unwrap();
            std::fs::write(shots().join(format!("{name}-{size}.png")), png).unwrap();
        }
        b.client.set_window_size(1000, 1200).await.unwrap();
    }

    async fn click_link(b: &Browser, xpath: &str) {
        b.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|_| panic!("no link {xpath}"))
            .click()
            .await
            .unwrap();
    }

    async fn wait_for_path(b: &Browser, pred: impl Fn(&str) -> bool) -> String {
        let mut url = String::new();
        for _ in 0..100 {
            url = b.client.current_url().await.unwrap().to_string();
            if pred(&url) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never got there: {url}")
    }

    #[tokio::test]
    async fn a_citizen_opens_the_front_door_signs_in_and_sees_the_profile() {
        let Some(b) = Browser::start("portal_front_door").await else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let p = start_with_somchai(tmp.path()).await;
        let citizen = somchai();
        enroll(&p, &citizen, "somchai87", PASSWORD, "0812345678").await;

        b.client.goto(&format!("{}/?lang=en", p.url)).await.unwrap();
        assert!(b.text().await.contains("Sign in to my Digital ID"));
        capture(&b, "front-en").await;
        b.client.goto(&format!("{}/?lang=th", p.url)).await.unwrap();
        capture(&b, "front-th").await;

        click_link(
            &b,
            "//a[contains(normalize-space(.), \"เข้าสู่ระบบ Digital ID ของฉัน\")]",
        )
        .await;
        b.fill("ชื่อผู้ใช้", "somchai87").await;
        b.fill("รหัสผ่าน", PASSWORD).await;
        b.press("เข้าสู่ระบบ").await;
        wait_for_path(&b, |u| u.ends_with("/account")).await;
        let text = b.text().await;
        assert!(
            text.contains("ข้อมูลของฉัน") && text.contains("somchai87"),
            "{text}"
        );
        assert!(
            text.contains("xxxxx") && !text.contains(&citizen.citizen_id),
            "{text}"
        );
        capture(&b, "profile-th").await;
        b.client
            .goto(&format!("{}/account?lang=en", p.url))
            .await
            .unwrap();
        assert!(b.text().await.contains("My profile"));
        capture(&b, "profile-en").await;
        b.close().await;
        assert!(!p.log().contains(&citizen.citizen_id));
    }

    #[tokio::test]
    async fn a_citizen_enrolls_from_an_agency_sign_in_page_and_lands_back_in_the_app() {
        let Some(b) = Browser::start("portal_return_to_app").await else {
            return;
        };
        let tmp = tempfile::tempdir().unwrap();
        let p = start_with_somchai(tmp.path()).await;
        let cb = "http://127.0.0.1:9/agency/callback";
        let view = cli_json(
            &p.data_dir,
            &[],
            &[
                "client",
                "create",
                "--name",
                "Agency app",
                "--redirect-uri",
                cb,
                "--json",
            ],
            None,
        )
        .await;
        let authorize = format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state=s9&nonce=n9",
            p.url,
            view["client_id"].as_str().unwrap(),
            url::form_urlencoded::byte_serialize(cb.as_bytes()).collect::<String>()
        );
        b.client.goto(&authorize).await.unwrap();
        click_link(&b, "//a[contains(@href, '/register?continue=')]").await;
        wait_for_path(&b, |u| u.contains("/register")).await;
        enroll_in_wizard(&b, &p, &somchai(), "somchai87", PASSWORD, "0812345678").await;
        capture(&b, "enrolled-th").await;
        b.client
            .goto(&format!("{}/register/done?lang=en", p.url))
            .await
            .unwrap();
        capture(&b, "enrolled-en").await;
        b.client
            .goto(&format!("{}/register/done?lang=th", p.url))
            .await
            .unwrap();

        click_link(&b, "//a[contains(@href, '/authorize/continue')]").await;
        // The sign-in page of the same request, the new username filled in.
        let login = b
            .client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Id("username"))
            .await
            .unwrap();
        assert_eq!(
            login.prop("value").await.unwrap().as_deref(),
            Some("somchai87")
        );
        b.fill("รหัสผ่าน", PASSWORD).await;
        b.press("เข้าสู่ระบบ").await;
        b.press("อนุญาต").await;
        let landed = wait_for_path(&b, |u| u.starts_with(cb)).await;
        assert!(
            landed.contains("code=") && landed.contains("state=s9"),
            "{landed}"
        );
        b.close().await;
    }
}

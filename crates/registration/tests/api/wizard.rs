//! The HTML wizard, driven like a browser without JavaScript: cookies kept
//! by hand, forms posted with their CSRF token.
#![expect(clippy::unwrap_used, reason = "test helpers fail by panicking")]

use std::collections::HashMap;

use reqwest::StatusCode;

use crate::helpers::{Options, TestApp, somchai, spawn, spawn_with, wrong};

struct Browser<'a> {
    app: &'a TestApp,
    cookies: HashMap<String, String>,
    pages: Vec<String>,
    /// Every `Set-Cookie` received, as sent.
    set_cookies: Vec<String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: HashMap::new(),
            pages: Vec::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, r: reqwest::Response) -> Page {
        for v in r.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            self.set_cookies.push(v.to_owned());
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = pair.split_once('=').unwrap();
            if v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
            assert!(v.contains("HttpOnly") && v.contains("SameSite=Lax"), "{v}");
        }
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let html = r.text().await.unwrap();
        self.pages.push(html.clone());
        Page {
            status,
            location,
            html,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let r = self
            .app
            .http
            .get(format!("{}{path}", self.app.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    /// Posts `fields` with the CSRF token of `page`.
    async fn post(&mut self, path: &str, page: &Page, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        form.push(("csrf".into(), csrf_of(&page.html)));
        let r = self
            .app
            .http
            .post(format!("{}{path}", self.app.base))
            .header("cookie", self.cookie_header())
            .form(&form)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    /// Follows a 303 and returns the page it leads to.
    async fn follow(&mut self, page: Page) -> Page {
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
        let to = page.location.unwrap();
        self.get(&to).await
    }
}

fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_citizen_walks_the_wizard_in_thai_from_terms_to_result() {
    let app = spawn().await;
    let mut b = Browser::new(&app);

    let page = b.get("/register").await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("lang=\"th\""));
    assert!(page.html.contains("ข้อกำหนดการพิสูจน์และยืนยันตัวตน"));

    let refused = b
        .post("/register/consent", &page, &[("terms_version", "2026-01")])
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.html.contains("กรุณายอมรับข้อกำหนด"));

    let page = b
        .post(
            "/register/consent",
            &refused,
            &[("terms_version", "2026-01"), ("accept", "yes")],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/register/citizen-id"));
    assert!(b.cookies.contains_key("pratu_enrollment"));
    let page = b.follow(page).await;
    assert!(page.html.contains("inputmode=\"numeric\""));

    let bad = b
        .post(
            "/register/citizen-id",
            &page,
            &[("citizen_id", "1234567890123")],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("เลขประจำตัวประชาชนไม่ถูกต้อง"));
    assert!(bad.html.contains("aria-invalid=\"true\""));

    let page = b
        .post(
            "/register/citizen-id",
            &bad,
            &[("citizen_id", "1-2345-67890-12-1")],
        )
        .await;
    let page = b.follow(page).await;
    assert!(
        page.html.contains("1-2345-xxxxx-xx-1"),
        "masked ID shown after its step"
    );
    let citizen_step_done = b.pages.len();

    let page = b
        .post("/register/method", &page, &[("method", "laser_code")])
        .await;
    let page = b.follow(page).await;
    assert!(page.html.contains("autocomplete=\"given-name\""));

    let bad = b
        .post(
            "/register/personal",
            &page,
            &[
                ("first_name", "Somchai"),
                ("last_name", "ใจดี"),
                ("birth_day", "1"),
                ("birth_month", "1"),
                ("birth_year", "2530"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("กรุณากรอกเป็นภาษาไทยตามบัตร"));
    assert!(
        bad.html.contains("value=\"Somchai\""),
        "typed values are kept"
    );

    let page = b
        .post(
            "/register/personal",
            &bad,
            &[
                ("title", "นาย"),
                ("first_name", "สมชาย"),
                ("last_name", "ใจดี"),
                ("birth_day", "1"),
                ("birth_month", "1"),
                ("birth_year", "2530"),
                ("first_name_en", "Somchai"),
                ("last_name_en", "Jaidee"),
            ],
        )
        .await;
    let page = b.follow(page).await;
    assert!(
        page.html.contains("1 มกราคม 2530"),
        "birth date shown in B.E."
    );

    let wrong_laser = b
        .post(
            "/register/laser-code",
            &page,
            &[("laser_code", "JT1-2321456-33")],
        )
        .await;
    assert_eq!(wrong_laser.status, 422);
    assert!(wrong_laser.html.contains("ข้อมูลไม่ตรงกับบัตรประจำตัวประชาชน"));
    assert!(wrong_laser.html.contains("เหลือโอกาสอีก 4 ครั้ง"));
    assert!(
        !wrong_laser.html.contains("JT1-2321456-33"),
        "the laser code is not refilled"
    );

    let page = b
        .post(
            "/register/laser-code",
            &wrong_laser,
            &[("laser_code", "jt1-2321456-32")],
        )
        .await;
    let page = b.follow(page).await;
    assert!(page.html.contains("ยืนยันตัวตนสำเร็จแล้ว"));
    assert!(page.html.contains("autocomplete=\"new-password\""));

    let weak = b
        .post(
            "/register/account",
            &page,
            &[("username", "somchai"), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, 422);
    assert!(weak.html.contains("รหัสผ่านสั้นเกินไป"));
    assert!(
        !weak.html.contains("value=\"short\""),
        "passwords are never refilled"
    );

    let page = b
        .post(
            "/register/account",
            &weak,
            &[("username", "Somchai"), ("password", "Correct1horse")],
        )
        .await;
    let page = b.follow(page).await;
    assert!(page.html.contains("type=\"tel\""));

    let page = b
        .post("/register/phone", &page, &[("phone", "081-234-5678")])
        .await;
    let page = b.follow(page).await;
    let (code, reference) = app.read_outbox_otp("+66812345678");
    assert!(
        page.html.contains(&reference),
        "the reference is shown beside the code field"
    );
    assert!(page.html.contains("08x-xxx-5678"));
    assert!(page.html.contains("autocomplete=\"one-time-code\""));

    let bad = b
        .post("/register/phone/verify", &page, &[("code", &wrong(&code))])
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("รหัส OTP ไม่ถูกต้อง"));

    let page = b
        .post("/register/phone/verify", &bad, &[("code", &code)])
        .await;
    let page = b.follow(page).await;
    for shown in [
        "1-2345-xxxxx-xx-1",
        "นาย สมชาย ใจดี",
        "Somchai Jaidee",
        "1 มกราคม 2530",
        "somchai",
        "08x-xxx-5678",
    ] {
        assert!(page.html.contains(shown), "review lacks {shown}");
    }

    let page = b.post("/register/confirm", &page, &[]).await;
    let page = b.follow(page).await;
    assert!(page.html.contains("สมัคร Digital ID สำเร็จ"));
    assert!(
        page.html.contains("href=\"/account\""),
        "links to the portal"
    );
    let user = app
        .store
        .user_by_username("somchai")
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.hasher
            .verify("Correct1horse", Some(&user.password_hash))
            .await
            .unwrap()
    );
    assert_eq!(user.name.title.as_deref(), Some("นาย"));
    assert_eq!(user.name.title_en.as_deref(), Some("Mr."));
    assert_eq!(user.locale.as_deref(), Some("th"));

    for html in &b.pages[citizen_step_done..] {
        assert!(
            !html.contains("1234567890121") && !html.contains("67890-12"),
            "citizen ID in clear after its step"
        );
    }
}

#[tokio::test]
async fn english_is_one_click_away_and_remembered() {
    let app = spawn().await;
    let mut b = Browser::new(&app);
    let page = b.get("/register?lang=en").await;
    assert!(page.html.contains("<html lang=\"en\""));
    assert!(page.html.contains("Create your Digital ID"));
    assert!(page.html.contains("href=\"/register?lang=th\""));
    assert_eq!(b.cookies.get("pratu_lang").map(String::as_str), Some("en"));
    let page = b.get("/register").await;
    assert!(page.html.contains("Accept and start"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn().await;
    let mut b = Browser::new(&app);
    b.get("/register").await;
    let r = app
        .http
        .post(format!("{}/register/consent", app.base))
        .header("cookie", b.cookie_header())
        .form(&[
            ("accept", "yes"),
            ("terms_version", "2026-01"),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Without the cookie, a token from another browser is refused too.
    let page = b.get("/register").await;
    let r = app
        .http
        .post(format!("{}/register/consent", app.base))
        .form(&[
            ("accept", "yes"),
            ("terms_version", "2026-01"),
            ("csrf", csrf_of(&page.html).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn pages_ahead_of_the_enrollment_send_the_citizen_back_to_their_step() {
    let app = spawn().await;
    let mut b = Browser::new(&app);
    let page = b.get("/register/account").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/register"),
        "no enrollment yet"
    );
    let page = b.get("/register").await;
    let page = b
        .post(
            "/register/consent",
            &page,
            &[("terms_version", "2026-01"), ("accept", "yes")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    for path in [
        "/register/account",
        "/register/review",
        "/register/laser-code",
        "/register/phone/verify",
        "/register/done",
    ] {
        let page = b.get(path).await;
        assert_eq!(
            page.location.as_deref(),
            Some("/register/citizen-id"),
            "{path}"
        );
    }
    // The start page resumes the enrollment in progress.
    assert_eq!(
        b.get("/register").await.location.as_deref(),
        Some("/register/citizen-id")
    );
}

#[tokio::test]
async fn a_card_without_a_laser_code_gets_the_other_ways_to_enroll() {
    let app = spawn().await;
    let mut b = Browser::new(&app);
    let page = b.get("/register?lang=en").await;
    let page = b
        .post(
            "/register/consent",
            &page,
            &[("terms_version", "2026-01"), ("accept", "yes")],
        )
        .await;
    let page = b.follow(page).await;
    let page = b
        .post(
            "/register/citizen-id",
            &page,
            &[("citizen_id", "1234567890121")],
        )
        .await;
    let page = b.follow(page).await;
    let page = b
        .post("/register/method", &page, &[("method", "no_laser_code")])
        .await;
    assert_eq!(page.location.as_deref(), Some("/register/no-laser-code"));
    let page = b.follow(page).await;
    assert!(page.html.contains("district office"));
    assert!(page.html.contains("href=\"/register/method\""));
}

#[tokio::test]
async fn an_expired_enrollment_offers_a_fresh_start() {
    let app = spawn().await;
    let mut b = Browser::new(&app);
    let page = b.get("/register").await;
    b.post(
        "/register/consent",
        &page,
        &[("terms_version", "2026-01"), ("accept", "yes")],
    )
    .await;
    app.advance(31 * 60);
    let page = b.get("/register/citizen-id").await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.html.contains("การสมัครหมดเวลาแล้ว"));
    assert!(
        !b.cookies.contains_key("pratu_enrollment"),
        "the stale cookie is dropped"
    );
    let page = b.post("/register/restart", &page, &[]).await;
    assert_eq!(page.location.as_deref(), Some("/register"));
    assert_eq!(b.get("/register").await.status, 200);
}

/// Consent, then the citizen-ID page; returns that page.
async fn start_in_wizard(b: &mut Browser<'_>) -> Page {
    let page = b.get("/register").await;
    let page = b
        .post(
            "/register/consent",
            &page,
            &[("terms_version", "2026-01"), ("accept", "yes")],
        )
        .await;
    b.follow(page).await
}

#[tokio::test]
async fn on_an_https_issuer_the_enrollment_cookie_is_host_prefixed_secure_and_http_only() {
    let app = spawn_with(Options {
        secure_cookies: true,
        ..Default::default()
    })
    .await;
    let mut b = Browser::new(&app);
    let page = start_in_wizard(&mut b).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let cookie = b
        .set_cookies
        .iter()
        .find(|c| c.contains("pratu_enrollment="))
        .expect("an enrollment cookie");
    assert!(cookie.starts_with("__Host-pratu_enrollment="), "{cookie}");
    let attrs: Vec<&str> = cookie.split(';').map(str::trim).skip(1).collect();
    for want in ["Path=/", "Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(attrs.contains(&want), "{want} missing: {cookie}");
    }
    assert!(
        !attrs
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "{cookie}"
    );

    // A plain-named cookie (what a sibling subdomain could plant) is not
    // the enrollment: without the real one the wizard starts over.
    let value = b.cookies.remove("__Host-pratu_enrollment").unwrap();
    b.cookies.insert("pratu_enrollment".into(), value);
    let page = b.get("/register/citizen-id").await;
    assert_eq!(page.location.as_deref(), Some("/register"));
}

#[tokio::test]
async fn a_form_token_fits_only_the_enrollment_it_was_made_for() {
    let app = spawn().await;
    let mut a = Browser::new(&app);
    let mut b = Browser::new(&app);
    let a_page = start_in_wizard(&mut a).await;
    let b_page = start_in_wizard(&mut b).await;
    // B's own page works for B; A's page's token does not.
    let r = b
        .post(
            "/register/citizen-id",
            &a_page,
            &[("citizen_id", "1234567890121")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.html);
    let r = b
        .post(
            "/register/citizen-id",
            &b_page,
            &[("citizen_id", "1234567890121")],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/register/method"));
}

#[tokio::test]
async fn an_enrolled_citizen_id_is_told_on_the_laser_code_page_not_before() {
    let app = spawn().await;
    let first = app
        .enroll_to_review(&somchai(), "original", "0812345678")
        .await;
    assert_eq!(app.confirm(&first).await.status, 201);

    let mut b = Browser::new(&app);
    let page = start_in_wizard(&mut b).await;
    let page = b
        .post(
            "/register/citizen-id",
            &page,
            &[("citizen_id", "1234567890121")],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/register/method"));
    let page = b.follow(page).await;
    let page = b
        .post("/register/method", &page, &[("method", "laser_code")])
        .await;
    let page = b.follow(page).await;
    let page = b
        .post(
            "/register/personal",
            &page,
            &[
                ("first_name", "สมชาย"),
                ("last_name", "ใจดี"),
                ("birth_day", "1"),
                ("birth_month", "1"),
                ("birth_year", "2530"),
            ],
        )
        .await;
    let page = b.follow(page).await;
    let page = b
        .post(
            "/register/laser-code",
            &page,
            &[("laser_code", "JT1-2321456-32")],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(
        page.html.contains("เลขประจำตัวประชาชนนี้มี Digital ID อยู่แล้ว"),
        "{}",
        page.html
    );
}

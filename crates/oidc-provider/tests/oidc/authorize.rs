//! The authorization endpoint, login, consent and step-up pages.

use pratu_oidc::clients::NewClient;

use crate::helpers::{PASSWORD, RP, TestApp, form_action};

fn base(client_id: &str) -> Vec<(&str, &str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", RP),
        ("scope", "openid profile"),
        ("state", "xyz"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
    ]
}

fn with<'a>(mut p: Vec<(&'a str, &'a str)>, k: &'a str, v: &'a str) -> Vec<(&'a str, &'a str)> {
    p.retain(|(pk, _)| *pk != k);
    p.push((k, v));
    p
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_gets_an_error_page_never_a_redirect() {
    let app = TestApp::spawn().await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let page = b.get(&app.authorize_url(&base("nope"))).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    assert!(page.body.contains("invalid_client"));

    for uri in [
        "https://evil.example/cb",
        "https://rp.example/cb/x",
        "https://rp.example/cb#f",
    ] {
        let page = b
            .get(&app.authorize_url(&with(base(&client.client_id), "redirect_uri", uri)))
            .await;
        assert_eq!(page.status, 400, "{uri}");
        assert!(page.location.is_none());
    }
    let mut p = base(&client.client_id);
    p.retain(|(k, _)| *k != "redirect_uri");
    assert!(b.get(&app.authorize_url(&p)).await.location.is_none());
    let mut p = base(&client.client_id);
    p.push(("client_id", "again"));
    assert_eq!(b.get(&app.authorize_url(&p)).await.status, 400);
}

#[tokio::test]
async fn malformed_requests_are_redirected_back_with_error_state_and_iss() {
    let app = TestApp::spawn().await;
    let client = app.confidential("Agency").await;
    let public = app
        .client(NewClient {
            client_name: "Mobile".into(),
            redirect_uris: vec![RP.into()],
            public: true,
            ..Default::default()
        })
        .await;
    let mut b = app.browser();
    let id = client.client_id.as_str();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            with(base(id), "response_type", "token"),
            "unsupported_response_type",
        ),
        (
            {
                let mut p = base(id);
                p.retain(|(k, _)| *k != "response_type");
                p
            },
            "invalid_request",
        ),
        (
            with(base(id), "code_challenge_method", "plain"),
            "invalid_request",
        ),
        (with(base(id), "prompt", "none login"), "invalid_request"),
        (with(base(id), "max_age", "-1"), "invalid_request"),
        (with(base(id), "claims", "not json"), "invalid_request"),
        (
            with(base(id), "request", "eyJ.x.y"),
            "request_not_supported",
        ),
        (with(base(id), "scope", "email"), "invalid_scope"),
        (with(base(id), "id_token_hint", "a.b.c"), "invalid_request"),
        (
            {
                let mut p = base(id);
                p.push(("scope", "openid"));
                p
            },
            "invalid_request",
        ),
        (
            {
                let mut p = base(&public.client_id);
                p.retain(|(k, _)| !k.starts_with("code_challenge"));
                p
            },
            "invalid_request",
        ),
    ];
    for (params, error) in cases {
        let page = b.get(&app.authorize_url(&params)).await;
        assert_eq!(page.status, 303, "{params:?}: {}", page.body);
        assert!(page.location.as_deref().unwrap().starts_with(RP));
        assert_eq!(
            page.redirect_param("error").as_deref(),
            Some(error),
            "{params:?}"
        );
        assert_eq!(page.redirect_param("state").as_deref(), Some("xyz"));
        assert_eq!(
            page.redirect_param("iss").as_deref(),
            Some(app.issuer.as_str())
        );
        assert!(page.redirect_param("error_description").is_some());
    }
}

#[tokio::test]
async fn prompt_none_answers_login_required_without_a_session_and_a_code_with_one() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let page = b
        .get(&app.authorize_url(&with(base(&client.client_id), "prompt", "none")))
        .await;
    assert_eq!(
        page.redirect_param("error").as_deref(),
        Some("login_required")
    );

    app.sign_in_for_code(&mut b, &client, &[]).await;
    let page = b
        .get(&app.authorize_url(&with(base(&client.client_id), "prompt", "none")))
        .await;
    assert!(page.redirect_param("code").is_some(), "{page:?}");
}

#[tokio::test]
async fn max_age_and_prompt_login_force_a_fresh_sign_in() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let first = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (_, t1) = app.exchange(&client, &first).await;
    let auth_time_1 = TestApp::claims(t1["id_token"].as_str().unwrap())["auth_time"]
        .as_i64()
        .unwrap();
    app.advance(120);

    // Recent enough: no login.
    let page = b
        .get(&app.authorize_url(&with(base(&client.client_id), "max_age", "600")))
        .await;
    assert!(page.redirect_param("code").is_some());
    // Too old: the login page, and a new auth_time afterwards.
    let page = b
        .get(&app.authorize_url(&with(base(&client.client_id), "max_age", "60")))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("current-password"));
    let none = b
        .get(&app.authorize_url(&with(
            with(base(&client.client_id), "max_age", "60"),
            "prompt",
            "none",
        )))
        .await;
    assert_eq!(
        none.redirect_param("error").as_deref(),
        Some("login_required")
    );

    let code = app
        .sign_in_for_code(&mut b, &client, &[("max_age", "60")])
        .await;
    let (_, t2) = app.exchange(&client, &code).await;
    let auth_time_2 = TestApp::claims(t2["id_token"].as_str().unwrap())["auth_time"]
        .as_i64()
        .unwrap();
    assert_eq!(auth_time_2, auth_time_1 + 120);

    let page = b
        .get(&app.authorize_url(&with(base(&client.client_id), "prompt", "login")))
        .await;
    assert!(page.body.contains("current-password"));
}

#[tokio::test]
async fn a_second_client_gets_a_code_from_the_same_session_without_signing_in() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let a = app.confidential("A").await;
    let b_client = app.confidential("B").await;
    let mut b = app.browser();
    let code_a = app.sign_in_for_code(&mut b, &a, &[]).await;
    let page = b.get(&app.authorize_url(&base(&b_client.client_id))).await;
    assert_eq!(page.status, 303, "SSO: no login page");
    assert!(page.redirect_param("code").is_some());
    let (_, ta) = app.exchange(&a, &code_a).await;
    let sid = TestApp::claims(ta["id_token"].as_str().unwrap())["sid"].clone();
    let code_b = crate::helpers::Code {
        code: page.redirect_param("code").unwrap(),
        verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
    };
    let (status, tb) = app.exchange(&b_client, &code_b).await;
    assert_eq!(status, 200, "{tb}");
    assert_eq!(
        TestApp::claims(tb["id_token"].as_str().unwrap())["sid"],
        sid
    );
}

#[tokio::test]
async fn consent_is_asked_once_per_scope_set_and_a_refusal_goes_back_as_access_denied() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app
        .client(NewClient {
            client_name: "Third party".into(),
            redirect_uris: vec![RP.into()],
            ..Default::default()
        })
        .await;
    let mut b = app.browser();
    let page = b.get(&app.authorize_url(&base(&client.client_id))).await;
    let after = b.login(&page, "somchai", PASSWORD).await;
    let consent = b.follow(&after).await;
    assert_eq!(consent.status, 200);
    assert!(consent.body.contains("Third party"));
    assert!(
        consent.body.contains("วันเกิด"),
        "lists the profile claims in Thai"
    );
    let denied = b.consent(&consent, "deny").await;
    assert_eq!(
        denied.redirect_param("error").as_deref(),
        Some("access_denied")
    );

    let consent = b.get(&app.authorize_url(&base(&client.client_id))).await;
    assert!(consent.body.contains(r#"name="decision""#));
    let none = b
        .get(&app.authorize_url(&with(base(&client.client_id), "prompt", "none")))
        .await;
    assert_eq!(
        none.redirect_param("error").as_deref(),
        Some("consent_required")
    );
    let allowed = b.consent(&consent, "allow").await;
    assert!(allowed.redirect_param("code").is_some());

    // Remembered: the same scopes again need no consent; more scopes do.
    let again = b.get(&app.authorize_url(&base(&client.client_id))).await;
    assert!(again.redirect_param("code").is_some());
    let more = b
        .get(&app.authorize_url(&with(
            base(&client.client_id),
            "scope",
            "openid profile phone",
        )))
        .await;
    assert!(more.body.contains(r#"name="decision""#));
    let forced = b
        .get(&app.authorize_url(&with(base(&client.client_id), "prompt", "consent")))
        .await;
    assert!(forced.body.contains(r#"name="decision""#));
}

#[tokio::test]
async fn post_authorization_requests_and_form_post_responses_work() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    app.sign_in_for_code(&mut b, &client, &[]).await;
    let params = with(base(&client.client_id), "response_mode", "form_post");
    let page = b.post(&app.url("/authorize"), &params).await;
    assert_eq!(page.status, 200);
    assert_eq!(form_action(&page.body), RP);
    assert!(page.input("code").is_some());
    assert_eq!(page.input("state").as_deref(), Some("xyz"));
    assert_eq!(page.input("iss").as_deref(), Some(app.issuer.as_str()));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'nonce-"));
    // The page may post to the client's origin only, and is never framed.
    assert!(csp.contains("form-action https://rp.example;"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_look_the_same_and_failures_lock_out() {
    let app = TestApp::spawn_with(|c| {
        c.login.free_failures = 2;
    })
    .await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let page = b.get(&app.authorize_url(&base(&client.client_id))).await;
    assert!(page.body.contains(r#"autocomplete="username""#));
    assert!(page.body.contains("/register"));
    let wrong = b.login(&page, "somchai", "Wrong1password").await;
    let unknown = b.login(&page, "nobody", "Wrong1password").await;
    assert_eq!(wrong.status, unknown.status);
    assert_eq!(wrong.status, 200);
    let strip = |s: &str, name: &str| s.replace(name, "");
    assert_eq!(
        strip(
            &strip(&wrong.body, "somchai"),
            &wrong.input("csrf").unwrap()
        ),
        strip(
            &strip(&unknown.body, "nobody"),
            &unknown.input("csrf").unwrap()
        )
    );
    // Third failure for the account: locked, even with the right password.
    assert_eq!(
        b.login(&page, "somchai", "Wrong1password").await.status,
        200
    );
    assert_eq!(
        b.login(&page, "somchai", "Wrong1password").await.status,
        200
    );
    let locked = b.login(&page, "somchai", PASSWORD).await;
    assert_eq!(locked.status, 429);
    // Locked the same way for a name that does not exist.
    for _ in 0..3 {
        b.login(&page, "nobody2", "x").await;
    }
    assert_eq!(b.login(&page, "nobody2", "x").await.status, 429);
    // The lock ends with its back-off.
    app.advance(60);
    let ok = b.login(&page, "somchai", PASSWORD).await;
    assert_eq!(ok.status, 303);
}

#[tokio::test]
async fn a_login_form_without_its_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let page = b.get(&app.authorize_url(&base(&client.client_id))).await;
    let req = page.input("req").unwrap();
    let res = b
        .post(
            &app.url("/login"),
            &[
                ("req", &req),
                ("csrf", "forged"),
                ("username", "somchai"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, 400);
    assert!(
        !res.headers.contains_key("set-cookie")
            || !res.headers["set-cookie"]
                .to_str()
                .unwrap()
                .contains("session")
    );
}

#[tokio::test]
async fn pages_switch_between_thai_and_english() {
    let app = TestApp::spawn().await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let th = b.get(&app.authorize_url(&base(&client.client_id))).await;
    assert!(th.body.contains(r#"lang="th""#) && th.body.contains("เข้าสู่ระบบ"));
    let en = b
        .get(&app.authorize_url(&with(base(&client.client_id), "ui_locales", "en-US th")))
        .await;
    assert!(en.body.contains(r#"lang="en""#) && en.body.contains("Sign in"));
    let req = th.input("req").unwrap();
    let switched = b
        .get(&app.url(&format!("/authorize/continue?req={req}&lang=en")))
        .await;
    assert!(switched.body.contains("Sign in"));
}

#[tokio::test]
async fn step_up_sends_an_sms_code_and_raises_acr_and_amr() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let params = with(base(&client.client_id), "acr_values", "urn:pratu:acr:aal2");
    let page = b.get(&app.authorize_url(&params)).await;
    let after = b.login(&page, "somchai", PASSWORD).await;
    let otp = b.follow(&after).await;
    assert_eq!(otp.status, 200, "{}", otp.body);
    assert!(otp.body.contains(r#"autocomplete="one-time-code""#));
    assert!(otp.body.contains("08x-xxx-5678"));
    let req = otp.input("req").unwrap();
    let csrf = otp.input("csrf").unwrap();
    let action = form_action(&otp.body);
    let wrong = b
        .post(
            &action,
            &[("req", &req), ("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, 400);
    // A resend within the cooldown sends nothing new; a reload neither.
    let resent = b
        .post(&action, &[("req", &req), ("csrf", &csrf), ("resend", "1")])
        .await;
    assert_eq!(resent.status, 200);
    b.get(&app.url(&format!("/authorize/continue?req={req}")))
        .await;
    assert_eq!(app.sms.0.lock().unwrap().len(), 1);
    let code = app.sms.last_code();
    let ok = b
        .post(&action, &[("req", &req), ("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let done = b.follow(&ok).await;
    let code = crate::helpers::Code {
        code: done.redirect_param("code").unwrap(),
        verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
    };
    let (status, tokens) = app.exchange(&client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let idc = TestApp::claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(idc["acr"], "urn:pratu:acr:aal2");
    assert_eq!(idc["amr"], serde_json::json!(["pwd", "otp", "sms", "mfa"]));
    // The session now satisfies aal2: no second code.
    let again = b.get(&app.authorize_url(&params)).await;
    assert!(again.redirect_param("code").is_some());
}

/// With nothing else due, the password form answers with the code itself
/// (one browser round trip less); with a form_post response it still goes
/// through the continue URL, and the code works either way.
#[tokio::test]
async fn signing_in_answers_with_the_code_when_nothing_else_is_due() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let page = b.get(&app.authorize_url(&base(&client.client_id))).await;
    let after = b.login(&page, "somchai", PASSWORD).await;
    assert_eq!(after.status, 303);
    assert!(after.location.as_deref().unwrap().starts_with(RP));
    assert_eq!(after.redirect_param("state").as_deref(), Some("xyz"));
    assert_eq!(
        after.redirect_param("iss").as_deref(),
        Some(app.issuer.as_str())
    );
    assert!(after.redirect_param("code").is_some());
    assert!(
        after.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("HttpOnly"),
        "the session cookie comes with the code"
    );
    // The session it started gives the next request a code at once.
    let again = b.get(&app.authorize_url(&base(&client.client_id))).await;
    assert!(again.redirect_param("code").is_some());

    let mut b = app.browser();
    let params = with(base(&client.client_id), "response_mode", "form_post");
    let page = b.get(&app.authorize_url(&params)).await;
    let after = b.login(&page, "somchai", PASSWORD).await;
    assert!(
        after
            .location
            .as_deref()
            .unwrap()
            .contains("/authorize/continue?req=")
    );
    let posted = b.follow(&after).await;
    assert_eq!(form_action(&posted.body), RP);
    assert!(posted.input("code").is_some());
}

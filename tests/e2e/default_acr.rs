//! Issue 19 (operator part), black-box: a client an operator registers
//! through the admin API with `default_acr_values` gets its sign-ins
//! stepped up without sending `acr_values`: the password alone leads to
//! the SMS step-up page, and the code from the SMS gives an ID token with
//! acr aal2. A request that asks for an acr itself is taken at its word.
//! A self-registering client may default only to what discovery lists.

use base64::Engine as _;
use reqwest::Method;
use serde_json::{Value, json};

use crate::account_api::{Backend, PASSWORD, Setup, USER};
use crate::admin::{api, cc_token};
use crate::enrollment::read_otp;
use crate::harness::{Options, Pratu, cli_json, client, run_cli};
use crate::sso::{Browser, Page, absolute};

const CB: &str = "http://127.0.0.1:9/acr/callback";
const E164: &str = "+66812345678";
const AAL1: &str = "urn:pratu:acr:aal1";
const AAL2: &str = "urn:pratu:acr:aal2";

fn sms_count(s: &Setup) -> usize {
    let text = std::fs::read_to_string(s.p.data_dir.join("sms-outbox.jsonl")).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["to"] == E164)
        .count()
}

fn authorize_url(s: &Setup, client_id: &str, acr_values: Option<&str>) -> String {
    let enc = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let mut url = s.url(&format!(
        "/authorize?response_type=code&client_id={client_id}&redirect_uri={}\
         &scope=openid&state=st&nonce=nn",
        enc(CB)
    ));
    if let Some(acr) = acr_values {
        url.push_str(&format!("&acr_values={}", enc(acr)));
    }
    url
}

/// The code's exchange: the ID token's claims.
async fn id_token_claims(s: &Setup, client_id: &str, secret: &str, page: &Page) -> Value {
    let code = page
        .redirect_param("code")
        .unwrap_or_else(|| panic!("a code: {:?} {}", page.location, page.body));
    let r = client()
        .post(s.url("/token"))
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CB),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let jwt = body["id_token"].as_str().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_clients_default_acr_values_step_its_sign_ins_up() {
    let Some(s) = Setup::start(Backend::Sqlite).await else {
        return;
    };
    let envs: Vec<(&str, &str)> = s
        .envs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let bot = cli_json(
        &s.p.data_dir,
        &envs,
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
    let admin = cc_token(
        &s.p,
        bot["client_id"].as_str().unwrap(),
        bot["client_secret"].as_str().unwrap(),
        Some("pratu:admin"),
    )
    .await;
    let admin = Some(admin.as_str());

    // An acr Pratu does not know is refused, naming the field.
    let meta = |acr: &[&str]| {
        json!({
            "client_name": "Land Department",
            "redirect_uris": [CB],
            "scopes": ["openid"],
            "first_party": true,
            "default_acr_values": acr,
        })
    };
    let (status, _, body) = api(
        &s.p,
        Method::POST,
        "/admin/api/v1/clients",
        admin,
        Some(meta(&["urn:other:loa:4"])),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["field"], "default_acr_values");

    let (status, _, app) = api(
        &s.p,
        Method::POST,
        "/admin/api/v1/clients",
        admin,
        Some(meta(&[AAL2])),
    )
    .await;
    assert_eq!(status, 201, "{app}");
    assert_eq!(app["default_acr_values"], json!([AAL2]));
    let id = app["client_id"].as_str().unwrap().to_owned();
    let secret = app["client_secret"].as_str().unwrap().to_owned();
    let (_, _, shown) = api(
        &s.p,
        Method::GET,
        &format!("/admin/api/v1/clients/{id}"),
        admin,
        None,
    )
    .await;
    assert_eq!(shown["default_acr_values"], json!([AAL2]), "read back");

    // No acr_values in the request: the password leads to the step-up
    // page, and an SMS goes to the account's phone.
    let url = authorize_url(&s, &id, None);
    assert!(!url.contains("acr_values"));
    let sent = sms_count(&s);
    let browser = Browser::new();
    let page = browser.get(&url).await;
    let page = browser.sign_in(page, &s.p.url, USER, PASSWORD).await;
    assert_eq!(page.status, 200, "{:?} {}", page.location, page.body);
    assert!(page.body.contains(r#"name="code""#), "{}", page.body);
    assert_eq!(sms_count(&s), sent + 1, "a step-up code was sent");
    let (code, _) = read_otp(&s.p.data_dir, E164);
    let action = absolute(&s.p.url, &page.form_action());
    let after = browser
        .post(
            &action,
            &[
                ("req", &page.input("req")),
                ("csrf", &page.input("csrf")),
                ("code", code.as_str()),
            ],
        )
        .await;
    let back = browser.until_rp(after, &s.p.url).await;
    let claims = id_token_claims(&s, &id, &secret, &back).await;
    assert_eq!(claims["acr"], AAL2, "{claims}");

    // A request that names an acr itself is taken at its word: aal1 is
    // the password alone, in a fresh browser, with no SMS.
    let sent = sms_count(&s);
    let browser = Browser::new();
    let page = browser.get(&authorize_url(&s, &id, Some(AAL1))).await;
    let back = browser.sign_in(page, &s.p.url, USER, PASSWORD).await;
    assert_eq!(sms_count(&s), sent, "no step-up for an explicit aal1");
    let claims = id_token_claims(&s, &id, &secret, &back).await;
    assert_eq!(claims["acr"], AAL1, "{claims}");

    // The operator takes the default away: the password alone again.
    let (status, _, changed) = api(
        &s.p,
        Method::PUT,
        &format!("/admin/api/v1/clients/{id}"),
        admin,
        Some(meta(&[])),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["default_acr_values"], json!([]));
    let browser = Browser::new();
    let page = browser.get(&authorize_url(&s, &id, None)).await;
    let back = browser.sign_in(page, &s.p.url, USER, PASSWORD).await;
    let claims = id_token_claims(&s, &id, &secret, &back).await;
    assert_eq!(claims["acr"], AAL1, "{claims}");
    s.finish().await;
}

/// A self-registering client (RFC 7591) may default only to what
/// discovery's `acr_values_supported` lists; the value is echoed and kept.
#[tokio::test]
async fn a_registrant_defaults_only_to_an_acr_discovery_lists() {
    let p =
        Pratu::start_with(Options::default().env("PRATU_CLIENTS__DYNAMIC_REGISTRATION", "true"))
            .await;
    let doc: Value = p
        .get("/.well-known/openid-configuration")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = doc["registration_endpoint"].as_str().unwrap().to_owned();
    let supported: Vec<String> =
        serde_json::from_value(doc["acr_values_supported"].clone()).unwrap();
    let strongest = supported.last().unwrap().clone();
    let out = run_cli(
        &p.data_dir,
        &[],
        &["client", "registration-token", "--expires-in", "600"],
        None,
    )
    .await;
    assert!(out.status.success());
    let initial = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let register = |acr: Vec<String>| {
        client()
            .post(&endpoint)
            .bearer_auth(&initial)
            .json(&json!({
                "client_name": "Revenue Department",
                "redirect_uris": ["https://rd.example.go.th/cb"],
                "default_acr_values": acr,
            }))
            .send()
    };

    // Refused, naming the field; the token is not used up by a refusal.
    let r = register(vec!["urn:other:loa:4".to_owned()]).await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("default_acr_values"),
        "{body}"
    );

    let r = register(vec![strongest.clone()]).await.unwrap();
    assert_eq!(r.status(), 201);
    let reg: Value = r.json().await.unwrap();
    assert_eq!(reg["default_acr_values"], json!([strongest]), "{reg}");
    let r = client()
        .get(reg["registration_client_uri"].as_str().unwrap())
        .bearer_auth(reg["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let read: Value = r.json().await.unwrap();
    assert_eq!(
        read["default_acr_values"],
        json!([strongest]),
        "kept: {read}"
    );
}

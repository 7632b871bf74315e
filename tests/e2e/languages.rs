//! Issue 17, black-box: every HTML page follows the browser's language —
//! an explicit choice (`ui_locales`, the page's language link) first, then
//! the language cookie, then `Accept-Language`, then Thai.

use serde_json::Value;

use crate::harness::{Pratu, cli_json};

const CB: &str = "http://127.0.0.1:9/languages/callback";
const ENGLISH: &str = "en-US,en;q=0.9";

/// A browser with a cookie jar that sends `accept_language` (if any) and
/// follows redirects (they stay on the provider: nobody is signed in).
fn browser(accept_language: Option<&str>) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(v) = accept_language {
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            reqwest::header::HeaderValue::from_str(v).unwrap(),
        );
    }
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn html(http: &reqwest::Client, url: &str) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

fn lang_of(page: &str) -> &str {
    let marker = "<html lang=\"";
    let start = page.find(marker).expect("an html element") + marker.len();
    &page[start..start + 2]
}

/// The `href` of the page's language link (the element with `hreflang`
/// or the provider's header link), the HTML escapes of `&` undone.
fn language_link(page: &str, base: &str) -> String {
    let other = if lang_of(page) == "th" { "en" } else { "th" };
    let marker = format!("lang={other}");
    let at = page.find(&marker).expect("a language link");
    let href = page[..at].rfind("href=\"").expect("the link's href") + "href=\"".len();
    let end = page[href..].find('"').unwrap() + href;
    let url = page[href..end].replace("&#38;", "&").replace("&amp;", "&");
    if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url
    }
}

#[tokio::test]
async fn the_wizard_follows_accept_language_and_its_language_link() {
    let p = Pratu::start().await;
    let url = format!("{}/register", p.url);

    assert_eq!(lang_of(&html(&browser(None), &url).await), "th");
    let english = browser(Some(ENGLISH));
    let page = html(&english, &url).await;
    assert_eq!(lang_of(&page), "en", "{page}");
    assert!(page.contains("Digital ID enrollment"));
    assert_eq!(
        lang_of(&html(&browser(Some("fr, de;q=0.9")), &url).await),
        "th"
    );

    // The link switches to Thai, and the choice (a cookie) then beats the
    // browser's English on the next page.
    let thai = html(&english, &language_link(&page, &p.url)).await;
    assert_eq!(lang_of(&thai), "th");
    assert_eq!(lang_of(&html(&english, &url).await), "th");
    // And back.
    let back = html(&english, &language_link(&thai, &p.url)).await;
    assert_eq!(lang_of(&back), "en");
}

#[tokio::test]
async fn the_providers_error_page_follows_accept_language_after_ui_locales() {
    let p = Pratu::start().await;
    let unknown = format!(
        "{}/authorize?response_type=code&client_id=no-such-app&redirect_uri={}&scope=openid&state=st",
        p.url,
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>()
    );

    let res = browser(Some(ENGLISH)).get(&unknown).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let page = res.text().await.unwrap();
    assert_eq!(lang_of(&page), "en", "{page}");
    assert!(page.contains("is not known"), "{page}");

    let page = html(&browser(None), &unknown).await;
    assert_eq!(lang_of(&page), "th");
    assert!(page.contains("ไม่รู้จักแอปพลิเคชัน"));

    let page = html(&browser(Some("en")), &format!("{unknown}&ui_locales=th")).await;
    assert_eq!(lang_of(&page), "th", "ui_locales beats Accept-Language");
}

#[tokio::test]
async fn the_sign_in_page_follows_accept_language_ui_locales_and_its_link() {
    let p = Pratu::start().await;
    let view: Value = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "Languages",
            "--redirect-uri",
            CB,
            "--scope",
            "openid",
            "--json",
        ],
        None,
    )
    .await;
    let authorize = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=st&nonce=nn",
        p.url,
        view["client_id"].as_str().unwrap(),
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>()
    );

    let english = browser(Some(ENGLISH));
    let page = html(&english, &authorize).await;
    assert_eq!(lang_of(&page), "en", "{page}");
    assert!(page.contains("Sign in"));
    assert_eq!(lang_of(&html(&browser(None), &authorize).await), "th");
    let forced = html(&english, &format!("{authorize}&ui_locales=th")).await;
    assert_eq!(lang_of(&forced), "th", "ui_locales beats Accept-Language");

    let switched = html(&english, &language_link(&page, &p.url)).await;
    assert_eq!(lang_of(&switched), "th", "{switched}");
    assert!(switched.contains("เข้าสู่ระบบ"));
}

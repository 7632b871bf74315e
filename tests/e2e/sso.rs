//! Issue 4, black-box: agency apps registered with the CLI while the server
//! runs sign an enrolled citizen in through the real binary, with the
//! `openidconnect` crate as relying party: discovery, code + PKCE, ID token
//! verification, userinfo, SSO to a second app, refresh, RP-initiated
//! logout.

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

use crate::enrollment::{enroll, somchai, write_registry};
use crate::harness::{Options, Pratu, cli_json};

/// A browser: a cookie jar that never follows redirects by itself.
pub struct Browser {
    http: reqwest::Client,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    pub fn input(&self, name: &str) -> String {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no input {name} in {}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        html_unescape(&self.body[start..end])
    }

    pub fn form_action(&self) -> String {
        let marker = r#"<form method="post" action=""#;
        let start = self.body.find(marker).expect("a form") + marker.len();
        let end = self.body[start..].find('"').unwrap() + start;
        html_unescape(&self.body[start..end])
    }

    pub fn redirect_param(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(self.location.as_deref()?).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

fn html_unescape(s: &str) -> String {
    s.replace("&#43;", "+")
        .replace("&#61;", "=")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn read(res: reqwest::Response) -> Page {
        Self::try_read(res).await.expect("a whole answer")
    }

    /// The page, or `None` if its body broke off (the server died).
    async fn try_read(res: reqwest::Response) -> Option<Page> {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        for cookie in res.headers().get_all("set-cookie") {
            let pair = cookie
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap_or_default();
            if let Some((_, value)) = pair.split_once('=') {
                crate::leaks::watch("cookie value (session handle)", value);
            }
        }
        Some(Page {
            status,
            location,
            body: res.text().await.ok()?,
        })
    }

    pub async fn get(&self, url: &str) -> Page {
        Self::read(self.http.get(url).send().await.unwrap()).await
    }

    pub async fn post(&self, url: &str, form: &[(&str, &str)]) -> Page {
        Self::read(self.http.post(url).form(form).send().await.unwrap()).await
    }

    /// [`Self::post`], with the answer's headers too (for tests that check
    /// where a secret did not go: `Location`, `Set-Cookie`; and that the
    /// page carrying it is `Cache-Control: no-store`).
    pub async fn post_with_headers(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> (Page, reqwest::header::HeaderMap) {
        let res = self.http.post(url).form(form).send().await.unwrap();
        let headers = res.headers().clone();
        (Self::read(res).await, headers)
    }

    /// [`Self::get`] against a server that may be killed meanwhile: `None`
    /// when no whole answer came.
    pub async fn try_get(&self, url: &str) -> Option<Page> {
        Self::try_read(self.http.get(url).send().await.ok()?).await
    }

    /// [`Self::post`] against a server that may be killed meanwhile.
    pub async fn try_post(&self, url: &str, form: &[(&str, &str)]) -> Option<Page> {
        Self::try_read(self.http.post(url).form(form).send().await.ok()?).await
    }

    /// Follows redirects that stay on the provider until one leaves it (to
    /// the relying party) or a page is shown.
    pub async fn until_rp(&self, mut page: Page, issuer: &str) -> Page {
        while let Some(loc) = page
            .location
            .clone()
            .filter(|l| l.starts_with(issuer) || l.starts_with('/'))
        {
            let url = if loc.starts_with('/') {
                format!("{issuer}{loc}")
            } else {
                loc
            };
            page = self.get(&url).await;
        }
        page
    }

    /// RP-initiated logout with `id_token_hint` (and `state=bye`), followed
    /// until the provider sends the browser back to `post_logout`.
    pub async fn rp_logout(&self, issuer: &str, id_token: &str, post_logout: &str) -> Page {
        let url = format!(
            "{issuer}/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye",
            url::form_urlencoded::byte_serialize(post_logout.as_bytes()).collect::<String>()
        );
        self.until_rp(self.get(&url).await, issuer).await
    }

    /// Signs in on a login page, answers consent if asked, and returns the
    /// redirect to the relying party.
    pub async fn sign_in(&self, page: Page, issuer: &str, username: &str, password: &str) -> Page {
        crate::leaks::watch("password", password);
        assert_eq!(page.status, 200, "expected the login page: {}", page.body);
        assert!(page.body.contains(r#"autocomplete="current-password""#));
        let action = absolute(issuer, &page.form_action());
        let after = self
            .post(
                &action,
                &[
                    ("req", &page.input("req")),
                    ("csrf", &page.input("csrf")),
                    ("username", username),
                    ("password", password),
                ],
            )
            .await;
        let page = self.until_rp(after, issuer).await;
        self.allow_if_asked(page, issuer).await
    }

    /// Allows on a consent page, following the answer; any other page is
    /// returned as it is.
    pub async fn allow_if_asked(&self, page: Page, issuer: &str) -> Page {
        if page.status != 200 || !page.body.contains(r#"name="decision""#) {
            return page;
        }
        let action = absolute(issuer, &page.form_action());
        let after = self
            .post(
                &action,
                &[
                    ("req", &page.input("req")),
                    ("csrf", &page.input("csrf")),
                    ("decision", "allow"),
                ],
            )
            .await;
        self.until_rp(after, issuer).await
    }
}

pub fn absolute(issuer: &str, action: &str) -> String {
    if action.starts_with('/') {
        format!("{issuer}{action}")
    } else {
        action.to_owned()
    }
}

/// A relying party built with the `openidconnect` crate from discovery.
pub struct Rp {
    pub client: CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    pub http: openidconnect::reqwest::Client,
}

async fn register(p: &Pratu, name: &str, redirect: &str) -> Value {
    cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            name,
            "--redirect-uri",
            redirect,
            "--post-logout-redirect-uri",
            redirect,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--scope",
            "phone",
            "--scope",
            "ial",
            "--json",
        ],
        None,
    )
    .await
}

async fn relying_party(p: &Pratu, view: &Value, redirect: &str) -> Rp {
    relying_party_at(&p.url, view, redirect).await
}

/// A relying party of the provider at `issuer` (a load balancer in front of
/// several nodes, say), for the client `view` printed by `client create --json`.
pub async fn relying_party_at(issuer: &str, view: &Value, redirect: &str) -> Rp {
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let meta =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.to_owned()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        meta,
        ClientId::new(view["client_id"].as_str().unwrap().to_owned()),
        Some(ClientSecret::new(
            view["client_secret"].as_str().unwrap().to_owned(),
        )),
    )
    .set_redirect_uri(RedirectUrl::new(redirect.to_owned()).unwrap());
    Rp { client, http }
}

#[tokio::test]
async fn an_enrolled_citizen_signs_in_to_two_agency_apps_with_one_sso_session() {
    let tmp = tempfile::tempdir().unwrap();
    let citizen = somchai();
    let registry = write_registry(tmp.path(), &[somchai()]);
    let p = Pratu::start_with(
        Options::default().env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap()),
    )
    .await;
    enroll(&p, &citizen, "somchai87", "Khaosan7Lamp", "0812345678").await;

    // Registered with the CLI against the running server's database.
    let info_cb = "http://127.0.0.1:9/info/callback";
    let office_cb = "http://127.0.0.1:9/office/callback";
    let info = relying_party(&p, &register(&p, "INFO", info_cb).await, info_cb).await;
    let office = relying_party(&p, &register(&p, "Back office", office_cb).await, office_cb).await;

    // INFO: code + PKCE, login, consent.
    let browser = Browser::new();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = info
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("phone".into()))
        .set_pkce_challenge(challenge)
        .url();
    let page = browser.get(url.as_str()).await;
    let back = browser
        .sign_in(page, &p.url, "somchai87", "Khaosan7Lamp")
        .await;
    assert!(
        back.location
            .as_deref()
            .unwrap_or_default()
            .starts_with(info_cb),
        "{:?}",
        back.location
    );
    assert_eq!(
        back.redirect_param("state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(back.redirect_param("iss").as_deref(), Some(p.url.as_str()));
    let token = info
        .client
        .exchange_code(AuthorizationCode::new(back.redirect_param("code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&info.http)
        .await
        .unwrap();
    let id_token = token.id_token().unwrap();
    let id_verifier = info
        .client
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = id_token.claims(&id_verifier, &nonce).unwrap();
    let at_hash = AccessTokenHash::from_token(
        token.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    assert_eq!(claims.issuer().as_str(), p.url);
    let userinfo: CoreUserInfoClaims = info
        .client
        .user_info(token.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&info.http)
        .await
        .unwrap();
    // Profile claims come from userinfo (an access token was issued, so the
    // ID token carries the sign-in event, OIDC Core §5.4).
    assert_eq!(
        userinfo.phone_number().map(|n| n.as_str()),
        Some("+66812345678")
    );
    assert_eq!(
        userinfo.preferred_username().map(|u| u.as_str()),
        Some("somchai87")
    );
    let given = userinfo
        .given_name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_owned());
    assert_eq!(given.as_deref(), Some("สมชาย"));

    // Back office: the same browser gets a code without signing in again.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce2) = office
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let page = browser
        .until_rp(browser.get(url.as_str()).await, &p.url)
        .await;
    let page = if page.status == 200 && page.body.contains(r#"name="decision""#) {
        assert!(
            !page.body.contains("current-password"),
            "SSO must not ask for the password again"
        );
        let action = absolute(&p.url, &page.form_action());
        let after = browser
            .post(
                &action,
                &[
                    ("req", &page.input("req")),
                    ("csrf", &page.input("csrf")),
                    ("decision", "allow"),
                ],
            )
            .await;
        browser.until_rp(after, &p.url).await
    } else {
        page
    };
    let code = page
        .redirect_param("code")
        .unwrap_or_else(|| panic!("no code: {} {}", page.status, page.body));
    let token2 = office
        .client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&office.http)
        .await
        .unwrap();
    let office_verifier = office
        .client
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims2 = token2
        .id_token()
        .unwrap()
        .claims(&office_verifier, &nonce2)
        .unwrap();
    assert_eq!(
        claims2.subject(),
        claims.subject(),
        "one account, one public subject"
    );
    assert_eq!(
        claims2.auth_time(),
        claims.auth_time(),
        "the same sign-in event"
    );

    // Refresh rotates: the new refresh token works, the old one is refused.
    let old_refresh = token.refresh_token().unwrap().clone();
    let refreshed = info
        .client
        .exchange_refresh_token(&old_refresh)
        .unwrap()
        .request_async(&info.http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        old_refresh.secret()
    );
    assert!(
        info.client
            .exchange_refresh_token(&old_refresh)
            .unwrap()
            .request_async(&info.http)
            .await
            .is_err()
    );

    // RP-initiated logout, then prompt=none says login_required.
    let after = browser
        .rp_logout(&p.url, &id_token.to_string(), info_cb)
        .await;
    assert!(
        after
            .location
            .as_deref()
            .unwrap_or_default()
            .starts_with(info_cb),
        "{} {}",
        after.status,
        after.body
    );
    assert_eq!(after.redirect_param("state").as_deref(), Some("bye"));
    let (url, _, _) = office
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_prompt(openidconnect::core::CoreAuthPrompt::None)
        .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
        .url();
    let page = browser
        .until_rp(browser.get(url.as_str()).await, &p.url)
        .await;
    assert_eq!(
        page.redirect_param("error").as_deref(),
        Some("login_required")
    );

    let log = p.log();
    assert!(
        !log.contains(&citizen.citizen_id),
        "the citizen ID leaked into the log"
    );
    assert!(
        !log.contains("Khaosan7Lamp"),
        "a password leaked into the log"
    );
}

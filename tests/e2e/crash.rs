//! Issue 18, black-box: `kill -9` of a node. Every write answered as done
//! before the kill (an enrollment confirmed, a consent given, a client
//! created or changed, and the audit record of each) is there after a
//! restart, on SQLite and on PostgreSQL (and a confirm is never answered
//! for an account whose audit record did not commit with it); and a sign-in
//! or enrollment in progress on a killed node is finished on the other node
//! of a cluster.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::admin::{actions, api, cc_token};
use crate::enrollment::{Citizen, read_otp, with_check_digit, write_registry};
use crate::harness::{Options, Pratu, cli_json, client};
use crate::protocol::{CB, authorize_url, pkce};
use crate::sso::{Browser, Page, absolute};

const PASSWORD: &str = "Khaosan7Lamp";

/// The `n`th fictional citizen of the test registry (distinct IDs).
fn citizen(n: usize) -> Citizen {
    Citizen {
        citizen_id: with_check_digit(&format!("1101700{n:05}")),
        first_name: "สมชาย",
        last_name: "ใจดี",
        birth_date: "1987-01-01",
        laser_code: "JT1-2321456-32",
    }
}

/// Every write the server answered as done before it was killed.
#[derive(Default)]
struct Acknowledged {
    /// (enrollment id, username) of each confirm answered 201.
    enrollments: Vec<(String, String)>,
    /// (username, client id) of each consent answered with a code.
    consents: Vec<(String, String)>,
    /// (client id, name, whether its rename was answered) of each client
    /// created; the rename appends " renamed" to the name.
    clients: Vec<(String, String, bool)>,
}

impl Acknowledged {
    fn enough(&self) -> bool {
        self.enrollments.len() >= 3
            && self.consents.len() >= 3
            && self.clients.len() >= 5
            && self
                .clients
                .iter()
                .filter(|(_, _, changed)| *changed)
                .count()
                >= 3
    }
}

type Shared = Arc<Mutex<Acknowledged>>;

/// A whole enrollment through the JSON API that gives up quietly at the
/// first step not answered as expected (the server was killed): the
/// enrollment id when confirm answered 201.
async fn enroll_until_killed(
    url: &str,
    data_dir: &std::path::Path,
    c: &Citizen,
    username: &str,
    phone: &str,
) -> Option<String> {
    let (id, token) = enroll_to_review(url, data_dir, c, username, phone).await?;
    let r = confirm(url, &id, &token).await?;
    (r.status() == 201).then_some(id)
}

/// `POST /confirm` of an enrollment at review: `None` if no answer came.
async fn confirm(url: &str, id: &str, token: &str) -> Option<reqwest::Response> {
    client()
        .post(format!("{url}/api/v1/enrollments/{id}/confirm"))
        .bearer_auth(token)
        .send()
        .await
        .ok()
}

/// An enrollment through the JSON API up to the review, giving up quietly
/// as [`enroll_until_killed`] does: its id and token.
async fn enroll_to_review(
    url: &str,
    data_dir: &std::path::Path,
    c: &Citizen,
    username: &str,
    phone: &str,
) -> Option<(String, String)> {
    crate::leaks::watch("password", PASSWORD);
    let http = client();
    let api = |path: &str| format!("{url}/api/v1{path}");
    let terms: Value = http
        .get(api("/terms"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let r = http
        .post(api("/enrollments"))
        .json(&json!({"accept_terms": true, "terms_version": terms["version"]}))
        .send()
        .await
        .ok()?;
    if r.status() != 201 {
        return None;
    }
    let created: Value = r.json().await.ok()?;
    let id = created["enrollment_id"].as_str()?.to_owned();
    let token = created["enrollment_token"].as_str()?.to_owned();
    crate::leaks::watch("enrollment token", &token);
    let step = |path: &str| api(&format!("/enrollments/{id}{path}"));
    let steps = [
        (
            Method::PUT,
            "/citizen-id",
            json!({"citizen_id": c.citizen_id}),
        ),
        (
            Method::PUT,
            "/identity",
            json!({"method": "laser_code", "first_name": c.first_name, "last_name": c.last_name,
                   "birth_date": c.birth_date, "laser_code": c.laser_code}),
        ),
        (
            Method::PUT,
            "/account",
            json!({"username": username, "password": PASSWORD}),
        ),
        (Method::POST, "/phone", json!({"phone": phone})),
    ];
    for (method, path, body) in steps {
        let r = http
            .request(method, step(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
    }
    let (code, _) = read_otp(data_dir, &format!("+66{}", &phone[1..]));
    let r = http
        .post(step("/phone/verify"))
        .bearer_auth(&token)
        .json(&json!({"code": code}))
        .send()
        .await
        .ok()?;
    r.status().is_success().then_some((id, token))
}

/// Where a browser sign-in ended.
struct Outcome {
    code: String,
    /// The consent page was shown (and allowed) on the way.
    consented: bool,
}

/// Follows a browser from `page` to the relying party: signs in if asked,
/// allows consent if asked. `None` if the server stopped answering or the
/// flow ended anywhere else.
async fn to_the_app(b: &Browser, issuer: &str, mut page: Page, username: &str) -> Option<Outcome> {
    let mut consented = false;
    for _ in 0..8 {
        if let Some(loc) = page.location.clone() {
            if loc.starts_with(CB) {
                let code = page.redirect_param("code")?;
                return Some(Outcome { code, consented });
            }
            if !(loc.starts_with(issuer) || loc.starts_with('/')) {
                return None;
            }
            page = b.try_get(&absolute(issuer, &loc)).await?;
        } else if page.status == 200 && page.body.contains(r#"autocomplete="current-password""#) {
            let form = [
                ("req", page.input("req")),
                ("csrf", page.input("csrf")),
                ("username", username.to_owned()),
                ("password", PASSWORD.to_owned()),
            ];
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            page = b
                .try_post(&absolute(issuer, &page.form_action()), &form)
                .await?;
        } else if page.status == 200 && page.body.contains(r#"name="decision""#) {
            let (req, csrf) = (page.input("req"), page.input("csrf"));
            page = b
                .try_post(
                    &absolute(issuer, &page.form_action()),
                    &[("req", &req), ("csrf", &csrf), ("decision", "allow")],
                )
                .await?;
            consented = true;
        } else {
            return None;
        }
    }
    None
}

/// A client an operator registers through the admin API: `None` unless
/// answered 201.
async fn create_client(url: &str, admin: &str, name: &str) -> Option<String> {
    let r = client()
        .post(format!("{url}/admin/api/v1/clients"))
        .bearer_auth(admin)
        .json(&json!({
            "client_name": name,
            "redirect_uris": [CB],
            "grant_types": ["authorization_code"],
            "scopes": ["openid", "profile"],
        }))
        .send()
        .await
        .ok()?;
    if r.status() != 201 {
        return None;
    }
    let v: Value = r.json().await.ok()?;
    Some(v["client_id"].as_str()?.to_owned())
}

/// Writers of every kind until the server stops answering. Each records a
/// write only once its answer came.
fn spawn_writers(
    url: &str,
    data_dir: &std::path::Path,
    admin: &str,
    acked: &Shared,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut writers = Vec::new();
    // Enrollments: two writers, each with its own citizens and phones.
    for w in 0..2 {
        let (url, dir, acked) = (url.to_owned(), data_dir.to_owned(), acked.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..30 {
                let i = w * 100 + n;
                let username = format!("citizen{i:04}");
                let phone = format!("0812{i:06}");
                let Some(id) =
                    enroll_until_killed(&url, &dir, &citizen(i), &username, &phone).await
                else {
                    return;
                };
                acked.lock().unwrap().enrollments.push((id, username));
            }
        }));
    }
    // Consents: one signed-in browser per staff account, each consenting
    // to apps it registers as it goes.
    for w in 0..2 {
        let (url, admin, acked) = (url.to_owned(), admin.to_owned(), acked.clone());
        writers.push(tokio::spawn(async move {
            let b = Browser::new();
            let username = format!("staff{w}");
            for n in 0..30 {
                let Some(id) = create_client(&url, &admin, &format!("consent-{w}-{n}")).await
                else {
                    return;
                };
                acked
                    .lock()
                    .unwrap()
                    .clients
                    .push((id.clone(), format!("consent-{w}-{n}"), false));
                let start = format!(
                    "{url}/authorize?response_type=code&client_id={id}&redirect_uri={}\
                     &scope=openid%20profile&state=st&nonce=nn&code_challenge={}\
                     &code_challenge_method=S256",
                    url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>(),
                    pkce().1,
                );
                let Some(page) = b.try_get(&start).await else {
                    return;
                };
                match to_the_app(&b, &url, page, &username).await {
                    Some(o) if o.consented => {
                        acked.lock().unwrap().consents.push((username.clone(), id));
                    }
                    _ => return,
                }
            }
        }));
    }
    // Client changes: create, then rename.
    for w in 0..2 {
        let (url, admin, acked) = (url.to_owned(), admin.to_owned(), acked.clone());
        writers.push(tokio::spawn(async move {
            for n in 0..200 {
                let name = format!("admin-{w}-{n}");
                let Some(id) = create_client(&url, &admin, &name).await else {
                    return;
                };
                let at = {
                    let mut a = acked.lock().unwrap();
                    a.clients.push((id.clone(), name.clone(), false));
                    a.clients.len() - 1
                };
                let renamed = format!("{name} renamed");
                let r = client()
                    .put(format!("{url}/admin/api/v1/clients/{id}"))
                    .bearer_auth(&admin)
                    .json(&json!({
                        "client_name": renamed,
                        "redirect_uris": [CB],
                        "grant_types": ["authorization_code"],
                        "scopes": ["openid", "profile"],
                    }))
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 200 => {
                        acked.lock().unwrap().clients[at].2 = true;
                    }
                    _ => return,
                }
            }
        }));
    }
    writers
}

/// The events the audit trail holds for `action` on `target`.
async fn audited(p: &Pratu, admin: &str, query: &str) -> Vec<String> {
    let (s, _, events) = api(
        p,
        Method::GET,
        &format!("/admin/api/v1/audit?{query}"),
        Some(admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{events}");
    actions(&events)
}

/// The body both backends share: `envs` picks the database.
async fn sigkill_keeps_every_acknowledged_write(envs: &[(String, String)]) {
    let registry_dir = tempfile::tempdir().unwrap();
    let citizens: Vec<Citizen> = (0..2)
        .flat_map(|w| (0..30).map(move |n| citizen(w * 100 + n)))
        .collect();
    let registry = write_registry(registry_dir.path(), &citizens);
    let mut envs = envs.to_vec();
    envs.push((
        "PRATU_PROOFING__REGISTRY_FILE".to_owned(),
        registry.to_str().unwrap().to_owned(),
    ));
    let options = |data_dir| Options {
        envs: envs.clone(),
        data_dir,
    };
    let cli_env: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let p = Pratu::start_with(options(None)).await;
    for w in 0..2 {
        cli_json(
            &p.data_dir,
            &cli_env,
            &[
                "user",
                "create",
                "--username",
                &format!("staff{w}"),
                "--given-name",
                "Somsri",
                "--family-name",
                "Dee",
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
    }
    let bot = cli_json(
        &p.data_dir,
        &cli_env,
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
    let (bot, bot_secret) = (
        bot["client_id"].as_str().unwrap().to_owned(),
        bot["client_secret"].as_str().unwrap().to_owned(),
    );
    let admin = cc_token(&p, &bot, &bot_secret, Some("pratu:admin")).await;

    let acked: Shared = Arc::default();
    let writers = spawn_writers(&p.url, &p.data_dir, &admin, &acked);
    // Writes of every kind acknowledged, and more in flight: kill.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !acked.lock().unwrap().enough() {
        assert!(
            std::time::Instant::now() < deadline,
            "the writers got too few answers: {} enrollments, {} consents, {} clients\n{}",
            acked.lock().unwrap().enrollments.len(),
            acked.lock().unwrap().consents.len(),
            acked.lock().unwrap().clients.len(),
            p.log()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (data_dir, keep) = p.sigkill().await;
    for w in writers {
        tokio::time::timeout(Duration::from_secs(40), w)
            .await
            .expect("a writer gives up once the server is gone")
            .unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());

    let again = Pratu::start_with(options(Some(data_dir))).await;
    let admin = cc_token(&again, &bot, &bot_secret, Some("pratu:admin")).await;
    for (id, username) in &acked.enrollments {
        let (s, _, users) = api(
            &again,
            Method::GET,
            &format!("/admin/api/v1/users?username={username}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, 200, "{users}");
        assert!(
            users["users"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["username"] == username.as_str()),
            "the acknowledged enrollment of {username} lost its account: {users}"
        );
        let acts = audited(
            &again,
            &admin,
            &format!("action=enrollment.confirmed&target=enrollment:{id}"),
        )
        .await;
        assert_eq!(acts.len(), 1, "enrollment {id} confirmed, unaudited");
    }
    for (id, name, changed) in &acked.clients {
        let (s, _, shown) = api(
            &again,
            Method::GET,
            &format!("/admin/api/v1/clients/{id}"),
            Some(&admin),
            None,
        )
        .await;
        assert_eq!(s, 200, "the acknowledged client {name} was lost");
        // A change in flight at the kill may or may not have committed; an
        // acknowledged one has.
        let renamed = format!("{name} renamed");
        let expected = if *changed {
            vec![renamed.as_str()]
        } else {
            vec![name.as_str(), renamed.as_str()]
        };
        assert!(
            expected.contains(&shown["client_name"].as_str().unwrap()),
            "{id}: {} is not its last acknowledged name ({expected:?})",
            shown["client_name"]
        );
        let acts = audited(&again, &admin, &format!("target=client:{id}")).await;
        assert!(
            acts.iter().any(|a| a == "client.created"),
            "{name}: {acts:?}"
        );
        if *changed {
            assert!(
                acts.iter().any(|a| a == "client.changed"),
                "{name}: {acts:?}"
            );
        }
    }
    for (username, id) in &acked.consents {
        // Signing in again goes straight back to the app: no consent page.
        let b = Browser::new();
        let page = b.get(&authorize_url(&again, id, &pkce().1, "")).await;
        let o = to_the_app(&b, &again.url, page, username)
            .await
            .expect("signed in to the app");
        assert!(!o.consented, "{username} was asked again for {id}");
        assert!(!o.code.is_empty());
        let acts = audited(
            &again,
            &admin,
            &format!("action=consent.granted&target=client:{id}"),
        )
        .await;
        assert_eq!(
            acts.len(),
            1,
            "the consent of {username} to {id}, unaudited"
        );
    }
    eprintln!(
        "acknowledged before the kill: {} enrollments, {} consents, {} clients ({} changed)",
        acked.enrollments.len(),
        acked.consents.len(),
        acked.clients.len(),
        acked.clients.iter().filter(|c| c.2).count()
    );
    drop(again);
    drop(keep);
}

#[tokio::test]
async fn sigkill_on_sqlite_keeps_every_acknowledged_write() {
    sigkill_keeps_every_acknowledged_write(&[]).await;
}

#[tokio::test]
async fn sigkill_on_postgres_keeps_every_acknowledged_write() {
    let Some(pg) = crate::services::PgDb::create().await else {
        return;
    };
    sigkill_keeps_every_acknowledged_write(&[("PRATU_DATABASE_URL".to_owned(), pg.url.clone())])
        .await;
    pg.drop_db().await;
}

/// Two nodes behind the balancer; node A is killed with a sign-in and an
/// enrollment half done on it. Node B finishes both from what A left in
/// Redis and PostgreSQL: the SSO session works for a second app without a
/// password, a session A made before it died lives on, and a confirm
/// repeated after the kill (a client retrying) makes no second account.
#[tokio::test]
async fn a_node_killed_mid_sign_in_the_other_node_finishes_it() {
    use sqlx::Connection as _;

    use crate::multinode::{Balancer, cluster_envs};
    use crate::services::{PgDb, RedisNs};
    let Some(pg) = PgDb::create().await else {
        return;
    };
    let Some(redis) = RedisNs::create() else {
        pg.drop_db().await;
        return;
    };
    let lb = Balancer::start().await;
    let registry_dir = tempfile::tempdir().unwrap();
    let registry = write_registry(registry_dir.path(), &[citizen(1)]);
    let mut envs = cluster_envs(&pg, &redis, &lb);
    envs.push((
        "PRATU_PROOFING__REGISTRY_FILE".to_owned(),
        registry.to_str().unwrap().to_owned(),
    ));
    let options = || Options {
        envs: envs.clone(),
        data_dir: None,
    };
    let (a, b) = tokio::join!(Pratu::start_with(options()), Pratu::start_with(options()));
    let cli_env: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    cli_json(
        &a.data_dir,
        &cli_env,
        &[
            "user",
            "create",
            "--username",
            "staff1",
            "--given-name",
            "Somsri",
            "--family-name",
            "Dee",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    // Two agency apps that ask for consent.
    let mut apps = Vec::new();
    for name in ["INFO", "Back office"] {
        let v = cli_json(
            &a.data_dir,
            &cli_env,
            &[
                "client",
                "create",
                "--name",
                name,
                "--redirect-uri",
                CB,
                "--scope",
                "openid",
                "--scope",
                "profile",
                "--json",
            ],
            None,
        )
        .await;
        apps.push((
            v["client_id"].as_str().unwrap().to_owned(),
            v["client_secret"].as_str().unwrap().to_owned(),
        ));
    }
    let start = |(id, _): &(String, String), verifier_challenge: &str, extra: &str| {
        format!(
            "{}/authorize?response_type=code&client_id={id}&redirect_uri={}\
             &scope=openid%20profile&state=st&nonce=nn&code_challenge={verifier_challenge}\
             &code_challenge_method=S256{extra}",
            lb.url,
            url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>(),
        )
    };
    let exchange = |(id, secret): (String, String), code: String, verifier: String| {
        let url = lb.url.clone();
        async move {
            let r = client()
                .post(format!("{url}/token"))
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", CB),
                    ("code_verifier", verifier.as_str()),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };

    // On node A: one browser signed in whole, one at the sign-in page, one
    // enrollment up to the SMS code.
    lb.route("A", &a);
    let before = Browser::new();
    let (v0, c0) = pkce();
    let page = before.get(&start(&apps[0], &c0, "")).await;
    let done = to_the_app(&before, &lb.url, page, "staff1")
        .await
        .expect("signed in on A");
    let (s, body) = exchange(apps[0].clone(), done.code, v0).await;
    assert_eq!(s, 200, "{body}");
    let browser = Browser::new();
    let (verifier, challenge) = pkce();
    // Not yet consented to: B shows the consent page of a request A took.
    let login_page = browser.get(&start(&apps[1], &challenge, "")).await;
    assert!(
        login_page
            .body
            .contains(r#"autocomplete="current-password""#),
        "the sign-in page: {}",
        login_page.body
    );
    let http = client();
    let api = |path: &str| format!("{}/api/v1{path}", lb.url);
    let terms: Value = http
        .get(api("/terms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: Value = http
        .post(api("/enrollments"))
        .json(&json!({"accept_terms": true, "terms_version": terms["version"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["enrollment_id"].as_str().unwrap().to_owned();
    let token = created["enrollment_token"].as_str().unwrap().to_owned();
    crate::leaks::watch("enrollment token", &token);
    let step = |path: &str| api(&format!("/enrollments/{id}{path}"));
    let c = citizen(1);
    for (method, path, body) in [
        (
            Method::PUT,
            "/citizen-id",
            json!({"citizen_id": c.citizen_id}),
        ),
        (
            Method::PUT,
            "/identity",
            json!({"method": "laser_code", "first_name": c.first_name, "last_name": c.last_name,
                   "birth_date": c.birth_date, "laser_code": c.laser_code}),
        ),
        (
            Method::PUT,
            "/account",
            json!({"username": "somchai87", "password": PASSWORD}),
        ),
        (Method::POST, "/phone", json!({"phone": "0812345678"})),
    ] {
        let r = http
            .request(method, step(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{path}: {}",
            r.text().await.unwrap()
        );
    }
    assert!(
        lb.served_by("POST /api/v1/enrollments")
            .iter()
            .all(|n| *n == "A")
    );

    // The balancer sends everything to B, and A dies.
    lb.route("B", &b);
    let (a_dir, a_tmp) = a.sigkill().await;

    // The sign-in begun on A finishes on B: password, consent, code.
    let back = to_the_app(&browser, &lb.url, login_page, "staff1")
        .await
        .unwrap_or_else(|| panic!("the sign-in did not finish on B:\n{}", b.log()));
    assert!(back.consented, "the app asks for consent");
    assert_eq!(lb.served_by("POST /login"), ["A", "B"], "signed in on B");
    let (s, body) = exchange(apps[1].clone(), back.code, verifier).await;
    assert_eq!(s, 200, "{body}");
    // Its SSO session serves a second app on B without the password.
    let (v2, c2) = pkce();
    let page = browser.get(&start(&apps[0], &c2, "")).await;
    let page = browser.until_rp(page, &lb.url).await;
    assert!(
        !page.body.contains("current-password"),
        "SSO must not ask for the password again"
    );
    let second = to_the_app(&browser, &lb.url, page, "staff1")
        .await
        .expect("a code for the second app");
    let (s, body) = exchange(apps[0].clone(), second.code, v2).await;
    assert_eq!(s, 200, "{body}");
    // The session made on A before it died lives on: prompt=none, no page.
    let (_, c3) = pkce();
    let page = before
        .until_rp(
            before.get(&start(&apps[0], &c3, "&prompt=none")).await,
            &lb.url,
        )
        .await;
    assert!(
        page.redirect_param("code").is_some(),
        "the session made on A was lost: {:?}",
        page.location
    );

    // The enrollment begun on A finishes on B with the code A sent.
    let (code, _) = read_otp(&a_dir, "+66812345678");
    let r = http
        .post(step("/phone/verify"))
        .bearer_auth(&token)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success(),
        "verify: {}",
        r.text().await.unwrap()
    );
    let r = http
        .post(step("/confirm"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "confirm: {}", r.text().await.unwrap());
    let confirmed: Value = r.json().await.unwrap();
    // A client that lost the first answer (its node died) confirms again.
    let r = http
        .post(step("/confirm"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let again: Value = r.json().await.unwrap();
    // Confirm is idempotent: the retry is told the account the first
    // confirm made, not a second one and not an error it would have to
    // interpret.
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["user_id"], confirmed["user_id"], "{again}");
    assert_eq!(again["username"], "somchai87");
    let mut db = sqlx::PgConnection::connect(&pg.url).await.unwrap();
    assert_eq!(
        accounts(&mut db, "somchai87").await,
        1,
        "one account for one enrollment"
    );
    let (all,): (i64,) = sqlx::query_as("SELECT count(*) FROM users")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(all, 2, "staff1 and the citizen, nobody else");
    // And the citizen signs in on B.
    let citizen_browser = Browser::new();
    let (v4, c4) = pkce();
    let page = citizen_browser.get(&start(&apps[1], &c4, "")).await;
    let o = to_the_app(&citizen_browser, &lb.url, page, "somchai87")
        .await
        .expect("the new account signs in");
    let (s, body) = exchange(apps[1].clone(), o.code, v4).await;
    assert_eq!(s, 200, "{body}");

    db.close().await.unwrap();
    drop(b);
    drop(a_tmp);
    pg.drop_db().await;
}

/// What a node killed between an enrollment's commit and its audit record
/// would leave, made reproducible: PostgreSQL refuses the
/// `enrollment.confirmed` record once. The confirm fails, so the account
/// must not exist either — else the client's retry is answered 201 (confirm
/// is idempotent) for an account whose creation the audit trail never saw.
#[tokio::test]
async fn a_confirm_is_never_acknowledged_without_its_audit_record() {
    use sqlx::Connection as _;
    let Some(pg) = crate::services::PgDb::create().await else {
        return;
    };
    let registry_dir = tempfile::tempdir().unwrap();
    let registry = write_registry(registry_dir.path(), &[citizen(7)]);
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_DATABASE_URL", &pg.url)
            .env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap()),
    )
    .await;
    let (id, token) = enroll_to_review(&p.url, &p.data_dir, &citizen(7), "somchai07", "0812000007")
        .await
        .expect("an enrollment at review");
    let mut db = sqlx::PgConnection::connect(&pg.url).await.unwrap();
    refuse_audit(&mut db, "enrollment.confirmed").await;
    let r = confirm(&p.url, &id, &token).await.unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    assert_eq!(
        accounts(&mut db, "somchai07").await,
        0,
        "an account was created without its audit record"
    );

    allow_audit(&mut db).await;
    let r = confirm(&p.url, &id, &token).await.unwrap();
    assert_eq!(r.status(), 201, "the retry confirms");
    assert_eq!(accounts(&mut db, "somchai07").await, 1);
    let (recorded,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM audit_events WHERE action = 'enrollment.confirmed' AND target = $1",
    )
    .bind(format!("enrollment:{id}"))
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(
        recorded, 1,
        "the acknowledged confirm is in the audit trail"
    );
    db.close().await.unwrap();
    drop(p);
    pg.drop_db().await;
}

/// How many accounts have `username`.
async fn accounts(db: &mut sqlx::PgConnection, username: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM users WHERE username = $1")
        .bind(username)
        .fetch_one(db)
        .await
        .unwrap();
    n
}

/// Makes PostgreSQL refuse every audit record of `action` (as a node dying
/// before it would leave it unwritten), until [`allow_audit`].
async fn refuse_audit(db: &mut sqlx::PgConnection, action: &str) {
    sqlx::raw_sql(&format!(
        "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF NEW.action = '{action}' THEN RAISE EXCEPTION 'refused'; END IF; \
         RETURN NEW; END $$; \
         CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events \
         FOR EACH ROW EXECUTE FUNCTION refuse_audit();"
    ))
    .execute(db)
    .await
    .unwrap();
}

async fn allow_audit(db: &mut sqlx::PgConnection) {
    sqlx::raw_sql("DROP TRIGGER refuse_audit ON audit_events; DROP FUNCTION refuse_audit();")
        .execute(db)
        .await
        .unwrap();
}

/// A consent whose `consent.granted` record cannot be written is not
/// given: the browser gets an error page, not a code, and the next sign-in
/// asks again. Otherwise the consent would be in force, and acknowledged
/// with a code, with no record of it.
#[tokio::test]
async fn a_consent_is_never_given_without_its_audit_record() {
    use sqlx::Connection as _;
    let Some(pg) = crate::services::PgDb::create().await else {
        return;
    };
    let p = Pratu::start_with(Options::default().env("PRATU_DATABASE_URL", &pg.url)).await;
    let env = [("PRATU_DATABASE_URL", pg.url.as_str())];
    cli_json(
        &p.data_dir,
        &env,
        &[
            "user",
            "create",
            "--username",
            "staff1",
            "--given-name",
            "Somsri",
            "--family-name",
            "Dee",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    let app = cli_json(
        &p.data_dir,
        &env,
        &[
            "client",
            "create",
            "--name",
            "INFO",
            "--redirect-uri",
            CB,
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--json",
        ],
        None,
    )
    .await;
    let id = app["client_id"].as_str().unwrap().to_owned();
    let mut db = sqlx::PgConnection::connect(&pg.url).await.unwrap();

    refuse_audit(&mut db, "consent.granted").await;
    let b = Browser::new();
    let page = b.get(&authorize_url(&p, &id, &pkce().1, "")).await;
    let ended = to_the_app(&b, &p.url, page, "staff1").await;
    assert!(
        ended.is_none(),
        "a consent answered with a code while its record was refused"
    );
    assert_eq!(
        consents_to(&mut db, &id).await,
        0,
        "a consent in force, unrecorded"
    );

    allow_audit(&mut db).await;
    let page = b.get(&authorize_url(&p, &id, &pkce().1, "")).await;
    let o = to_the_app(&b, &p.url, page, "staff1")
        .await
        .expect("a code once the record can be written");
    assert!(o.consented, "asked again: the first consent was not given");
    assert_eq!(consents_to(&mut db, &id).await, 1);
    let (recorded,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM audit_events WHERE action = 'consent.granted' AND target = $1",
    )
    .bind(format!("client:{id}"))
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(recorded, 1);
    db.close().await.unwrap();
    drop(p);
    pg.drop_db().await;
}

/// How many users have consented to `client_id`.
async fn consents_to(db: &mut sqlx::PgConnection, client_id: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM consents WHERE client_id = $1")
        .bind(client_id)
        .fetch_one(db)
        .await
        .unwrap();
    n
}

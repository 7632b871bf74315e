//! A backing store going away mid-flight, through a TCP proxy the test
//! controls in front of the real Redis or PostgreSQL: outages must be
//! answered as outages (503, retryable), never as a verdict on a token,
//! and a revocation must not be lost to one.

use std::net::SocketAddr;
use std::sync::Arc;

use pratu_storage::PoolOptions;
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::ephemeral::memory::MemoryStore;
use pratu_storage::postgres::PgStore;
use pratu_storage::testing::{backend_url, postgres_schema_from_env, redis_from_env_through};
use pratu_storage::{Clock, MockClock, Store, SystemClock};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use crate::helpers::TestApp;

enum Switch {
    Cut(oneshot::Sender<()>),
    Restore(oneshot::Sender<()>),
}

/// A TCP proxy on 127.0.0.1 to `target`. Cut, it drops every connection it
/// carries and closes its port, so new connections are refused; restored,
/// it listens on the same port again.
struct Proxy {
    addr: SocketAddr,
    switch: mpsc::Sender<Switch>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (switch, mut orders) = mpsc::channel(1);
        tokio::spawn(async move {
            let mut listener = Some(listener);
            let mut carried = JoinSet::new();
            loop {
                tokio::select! {
                    order = orders.recv() => match order {
                        // The test is over: dropping the set ends every copy.
                        None => return,
                        Some(Switch::Cut(done)) => {
                            listener = None;
                            carried.abort_all();
                            while carried.join_next().await.is_some() {}
                            done.send(()).unwrap();
                        }
                        Some(Switch::Restore(done)) => {
                            listener = Some(TcpListener::bind(addr).await.unwrap());
                            done.send(()).unwrap();
                        }
                    },
                    accepted = accept(listener.as_ref()) => {
                        if let Ok((mut client, _)) = accepted {
                            let target = target.clone();
                            carried.spawn(async move {
                                if let Ok(mut server) = TcpStream::connect(&target).await {
                                    // Ends when either side closes.
                                    let _copied =
                                        tokio::io::copy_bidirectional(&mut client, &mut server).await;
                                }
                            });
                        }
                    }
                    Some(_) = carried.join_next(), if !carried.is_empty() => {}
                }
            }
        });
        Self { addr, switch }
    }

    async fn cut(&self) {
        let (done, wait) = oneshot::channel();
        self.switch.send(Switch::Cut(done)).await.unwrap();
        wait.await.unwrap();
    }

    async fn restore(&self) {
        let (done, wait) = oneshot::channel();
        self.switch.send(Switch::Restore(done)).await.unwrap();
        wait.await.unwrap();
    }
}

async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, proxy: &Proxy) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_host(Some("127.0.0.1")).unwrap();
    u.set_port(Some(proxy.addr.port())).unwrap();
    u.to_string()
}

/// `host:port` of a URL, with the scheme's default port.
fn host_port(url: &str, default_port: u16) -> String {
    let u = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        u.host_str().unwrap(),
        u.port().unwrap_or(default_port)
    )
}

async fn introspect(
    app: &TestApp,
    client: &pratu_oidc::clients::ClientView,
    token: &str,
) -> (u16, Value) {
    let secret = client
        .client_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let r = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&client.client_id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn a_revocation_list_outage_is_a_503_not_an_invalid_or_inactive_token() {
    let Some(url) = backend_url("PRATU_TEST_REDIS_URL") else {
        return;
    };
    let proxy = Proxy::start(host_port(&url, 6379)).await;
    let redis = redis_from_env_through(|u| through(u, &proxy))
        .await
        .unwrap();
    let (store, guard) = pratu_storage::testing::sqlite_store().await;
    let clock = MockClock::new(SystemClock.now());
    let app = TestApp::spawn_on(store, redis.store, clock, vec![guard, redis.guard], |_| {}).await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (status, tokens) = app.exchange(&client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.userinfo(&at).await.0, 200);
    assert_eq!(introspect(&app, &client, &at).await.1["active"], true);

    proxy.cut().await;
    let (status, body) = app.userinfo(&at).await;
    assert_eq!(
        status, 503,
        "userinfo must not call the token invalid: {body}"
    );
    assert_eq!(body["error"], "temporarily_unavailable");
    let (status, body) = introspect(&app, &client, &at).await;
    assert_eq!(
        status, 503,
        "introspection must not call the token inactive: {body}"
    );
    assert_eq!(body["error"], "temporarily_unavailable");

    proxy.restore().await;
    // The store reconnects on its next use; a few tries at most.
    let mut back = 0;
    for _ in 0..5 {
        back = app.userinfo(&at).await.0;
        if back == 200 {
            break;
        }
    }
    assert_eq!(back, 200, "the token is good again once Redis is back");
}

#[tokio::test]
async fn a_code_replay_whose_revocation_fails_is_refused_as_retryable_and_revokes_on_retry() {
    let Some((options, pg_guard)) = postgres_schema_from_env().await else {
        return;
    };
    let target = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = Proxy::start(target).await;
    let options = options.host("127.0.0.1").port(proxy.addr.port());
    let pool = PoolOptions {
        max_connections: 5,
        // Each try of a cut store fails within this.
        acquire_timeout: std::time::Duration::from_secs(1),
    };
    let pg = PgStore::connect_with(options, &pool).await.unwrap();
    pg.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(pg);
    let clock = MockClock::new(SystemClock.now());
    let ephemeral: Arc<dyn EphemeralStore> =
        Arc::new(MemoryStore::new(Arc::new(clock.clone()), 100_000));
    let app = TestApp::spawn_on(store, ephemeral, clock, vec![pg_guard], |_| {}).await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (status, tokens) = app.exchange(&client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    let rt = tokens["refresh_token"].as_str().unwrap().to_owned();

    // The refresh family is revoked in PostgreSQL: cut it, and replay.
    proxy.cut().await;
    let (status, body) = app.exchange(&client, &code).await;
    assert_eq!(
        status, 503,
        "a replay whose tokens could not be revoked must be retried: {body}"
    );
    assert_eq!(body["error"], "temporarily_unavailable");

    // Back: the retried replay revokes what the first redemption issued.
    proxy.restore().await;
    let (status, body) = app.exchange(&client, &code).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(app.userinfo(&at).await.0, 401);
    let (status, body) = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
        )
        .await;
    assert_eq!(
        status, 400,
        "the replayed code's refresh token is dead: {body}"
    );
}

//! Real PostgreSQL and Redis for the tests that need them, isolated per test
//! (a fresh database, a unique key prefix). When CI is set they must be
//! configured: a missing service fails the test instead of skipping it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::Connection as _;
use tokio::net::{TcpListener, TcpStream};

fn required() -> bool {
    std::env::var_os("CI").is_some() || std::env::var_os("PRATU_TEST_REQUIRE_ALL").is_some()
}

fn env_or_skip(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if required() => panic!("{var} must be set when CI or PRATU_TEST_REQUIRE_ALL is set"),
        _ => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// A database of its own on the test PostgreSQL server.
pub struct PgDb {
    admin_url: String,
    pub name: String,
    pub url: String,
}

impl PgDb {
    pub async fn create() -> Option<Self> {
        let admin_url = env_or_skip("PRATU_TEST_POSTGRES_URL")?;
        let name = format!("pratu_e2e_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("PostgreSQL reachable");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let url = replace_db(&admin_url, &name);
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    pub async fn drop_db(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

fn replace_db(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..].find('/').map(|i| i + scheme_end);
    let mut out = match path_start {
        Some(i) => format!("{}/{db}", &base[..i]),
        None => format!("{base}/{db}"),
    };
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The test Redis with a prefix no other test uses.
pub struct RedisNs {
    pub url: String,
    pub prefix: String,
}

impl RedisNs {
    pub fn create() -> Option<Self> {
        let url = env_or_skip("PRATU_TEST_REDIS_URL")?;
        Some(Self {
            url,
            prefix: format!("pratu-e2e-{}:", uuid::Uuid::new_v4().simple()),
        })
    }
}

/// A TCP relay in front of a service, so a test can take the service "down"
/// (refuse and cut every connection) and bring it back on the same address
/// without touching the shared server.
pub struct Relay {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Relay {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, cut_rx) = tokio::sync::watch::channel(0u64);
        let up2 = up.clone();
        tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    return;
                };
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let mut cut_rx = cut_rx.clone();
                // Only cuts after this connection opened concern it.
                cut_rx.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut ri, mut wi) = inbound.into_split();
                    let (mut ro, mut wo) = outbound.into_split();
                    let pump = async {
                        tokio::select! {
                            _ = tokio::io::copy(&mut ri, &mut wo) => {},
                            _ = tokio::io::copy(&mut ro, &mut wi) => {},
                        }
                    };
                    tokio::select! {
                        () = pump => {},
                        _ = cut_rx.changed() => {},
                    }
                });
            }
        });
        Self { addr, up, cut }
    }

    /// Refuses new connections and cuts the open ones.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    pub fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// `host:port` of a service URL.
pub fn socket_of(url: &str) -> SocketAddr {
    let after = url.split("://").nth(1).unwrap();
    let authority = after.split(['/', '?']).next().unwrap();
    let hostport = authority.rsplit('@').next().unwrap();
    let hostport = hostport.replace("localhost", "127.0.0.1");
    hostport.parse().unwrap()
}

/// The same URL pointing at another address.
pub fn via(url: &str, addr: SocketAddr) -> String {
    let original = socket_of(url);
    url.replacen(&original.to_string(), &addr.to_string(), 1)
        .replacen(
            &format!("localhost:{}", original.port()),
            &addr.to_string(),
            1,
        )
}

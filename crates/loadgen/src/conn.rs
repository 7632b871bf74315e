//! One virtual user's connection: a single HTTP/1.1 keep-alive connection
//! (reconnected when the server closes it) and a cookie jar. Plain HTTP
//! only: the load generator runs next to the server, and TLS would measure
//! the load generator's handshakes rather than the provider.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, LOCATION, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, Request};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use url::Url;

use crate::error::LoadError;

/// Where the server is: one resolved address, the `Host` header, and the
/// issuer's path prefix.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: HeaderValue,
    pub issuer: String,
    base_path: String,
    origin: String,
}

impl Target {
    pub async fn resolve(issuer: &str) -> Result<Self, LoadError> {
        let url =
            Url::parse(issuer).map_err(|e| LoadError::setup(format!("issuer {issuer}: {e}")))?;
        if url.scheme() != "http" {
            return Err(LoadError::setup(
                "pratu-load speaks plain HTTP: point it at the server's own listener (run it next to the server)",
            ));
        }
        let host = url
            .host_str()
            .ok_or_else(|| LoadError::setup("issuer without host"))?
            .to_owned();
        let port = url.port_or_known_default().unwrap_or(80);
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| LoadError::io(format!("resolve {host}"), e))?
            .next()
            .ok_or_else(|| LoadError::setup(format!("{host} does not resolve")))?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host,
        };
        let issuer = issuer.trim_end_matches('/').to_owned();
        Ok(Self {
            addr,
            host: HeaderValue::from_str(&authority)
                .map_err(|_| LoadError::setup("issuer host is not a valid header"))?,
            base_path: url.path().trim_end_matches('/').to_owned(),
            origin: format!("http://{authority}"),
            issuer,
        })
    }

    /// A path under the issuer (`/api/v1/terms` → `/prefix/api/v1/terms`).
    pub fn path(&self, p: &str) -> String {
        format!("{}{p}", self.base_path)
    }

    /// The path and query of an absolute URL on this server, or of a
    /// server-relative one; `None` when it points elsewhere.
    pub fn local(&self, url: &str) -> Option<String> {
        if url.starts_with('/') {
            return Some(url.to_owned());
        }
        let rest = url.strip_prefix(&self.origin)?;
        if rest.is_empty() {
            Some("/".into())
        } else if rest.starts_with('/') || rest.starts_with('?') {
            Some(rest.to_owned())
        } else {
            None
        }
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Response {
    pub fn location(&self) -> Option<&str> {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body as JSON, after checking the status.
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &'static str,
        want: u16,
    ) -> Result<T, LoadError> {
        self.expect(what, want)?;
        serde_json::from_slice(&self.body)
            .map_err(|e| LoadError::protocol(format!("{what}: body is not the expected JSON: {e}")))
    }

    pub fn expect(&self, what: &'static str, want: u16) -> Result<(), LoadError> {
        if self.status == want {
            Ok(())
        } else {
            Err(LoadError::status(what, self.status, &self.body))
        }
    }
}

/// A request body with its content type.
#[derive(Debug)]
pub enum Body {
    Empty,
    Form(String),
    Json(Vec<u8>),
}

/// One virtual user's connection and cookie jar.
#[derive(Debug)]
pub struct Conn {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
    jar: Vec<(String, String)>,
}

impl Conn {
    pub fn new(target: Arc<Target>) -> Self {
        Self {
            target,
            sender: None,
            jar: Vec::new(),
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Forgets every cookie (a fresh browser).
    pub fn clear_cookies(&mut self) {
        self.jar.clear();
    }

    pub fn cookies(&self) -> &[(String, String)] {
        &self.jar
    }

    pub fn set_cookies(&mut self, jar: Vec<(String, String)>) {
        self.jar = jar;
    }

    async fn connect(&mut self) -> Result<(), LoadError> {
        let addr = self.target.addr;
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|source| LoadError::Connect {
                addr: addr.to_string(),
                source,
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| LoadError::io("set TCP_NODELAY", e))?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
            .await
            .map_err(|e| LoadError::Http(format!("handshake: {e}")))?;
        tokio::spawn(async move {
            // The connection ends when the server closes it or the sender
            // is dropped; the next request reconnects.
            let _ended = conn.await;
        });
        self.sender = Some(sender);
        Ok(())
    }

    /// Sends one request on the keep-alive connection and reads the whole
    /// response; remembers the cookies it sets.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        auth: Option<&HeaderValue>,
        body: Body,
    ) -> Result<Response, LoadError> {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, self.target.host.clone());
        if let Some(a) = auth {
            req = req.header(AUTHORIZATION, a.clone());
        }
        if !self.jar.is_empty() {
            let cookie = self
                .jar
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.header(COOKIE, cookie);
        }
        let bytes = match body {
            Body::Empty => Bytes::new(),
            Body::Form(f) => {
                req = req.header(CONTENT_TYPE, "application/x-www-form-urlencoded");
                Bytes::from(f)
            }
            Body::Json(j) => {
                req = req.header(CONTENT_TYPE, "application/json");
                Bytes::from(j)
            }
        };
        let req = req
            .body(Full::new(bytes))
            .map_err(|e| LoadError::Http(format!("request {path}: {e}")))?;

        let usable = match &mut self.sender {
            Some(s) => !s.is_closed() && s.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            self.connect().await?;
        }
        let Some(sender) = self.sender.as_mut() else {
            return Err(LoadError::Http("no connection".into()));
        };
        let res = match sender.send_request(req).await {
            Ok(r) => r,
            Err(e) => {
                self.sender = None;
                return Err(LoadError::Http(format!("{path}: {e}")));
            }
        };
        let (parts, body) = res.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| LoadError::Http(format!("{path}: reading the body: {e}")))?
            .to_bytes();
        for v in parts.headers.get_all(SET_COOKIE) {
            if let Ok(v) = v.to_str() {
                self.remember(v);
            }
        }
        Ok(Response {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
    }

    fn remember(&mut self, set_cookie: &str) {
        let mut attrs = set_cookie.split(';');
        let Some((name, value)) = attrs.next().and_then(|kv| kv.split_once('=')) else {
            return;
        };
        let name = name.trim();
        let value = value.trim();
        let expired = attrs.any(|a| {
            let a = a.trim().to_ascii_lowercase();
            a == "max-age=0" || a.starts_with("max-age=-")
        });
        self.jar.retain(|(k, _)| k != name);
        if !expired && !value.is_empty() {
            self.jar.push((name.to_owned(), value.to_owned()));
        }
    }

    pub async fn get(&mut self, path: &str) -> Result<Response, LoadError> {
        self.send(Method::GET, path, None, Body::Empty).await
    }

    pub async fn get_auth(
        &mut self,
        path: &str,
        auth: &HeaderValue,
    ) -> Result<Response, LoadError> {
        self.send(Method::GET, path, Some(auth), Body::Empty).await
    }

    pub async fn post_form<K: AsRef<str>, V: AsRef<str>>(
        &mut self,
        path: &str,
        auth: Option<&HeaderValue>,
        form: &[(K, V)],
    ) -> Result<Response, LoadError> {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        let body = serde_urlencoded::to_string(pairs)
            .map_err(|e| LoadError::Http(format!("form encoding: {e}")))?;
        self.send(Method::POST, path, auth, Body::Form(body)).await
    }

    pub async fn json(
        &mut self,
        method: Method,
        path: &str,
        value: &serde_json::Value,
    ) -> Result<Response, LoadError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| LoadError::Http(format!("json encoding: {e}")))?;
        self.send(method, path, None, Body::Json(body)).await
    }

    /// [`Self::json`] with an `Authorization` header.
    pub async fn json_auth(
        &mut self,
        method: Method,
        path: &str,
        auth: &HeaderValue,
        value: &serde_json::Value,
    ) -> Result<Response, LoadError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| LoadError::Http(format!("json encoding: {e}")))?;
        self.send(method, path, Some(auth), Body::Json(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            addr: "127.0.0.1:8080".parse().unwrap(),
            host: HeaderValue::from_static("127.0.0.1:8080"),
            issuer: "http://127.0.0.1:8080".into(),
            base_path: String::new(),
            origin: "http://127.0.0.1:8080".into(),
        }
    }

    #[test]
    fn local_urls_are_recognised() {
        let t = target();
        assert_eq!(t.local("/login?x=1").as_deref(), Some("/login?x=1"));
        assert_eq!(t.local("http://127.0.0.1:8080/a").as_deref(), Some("/a"));
        assert_eq!(t.local("http://127.0.0.1:9/cb?code=1"), None);
        assert_eq!(t.local("http://127.0.0.1:80801/a"), None);
    }

    #[test]
    fn cookies_are_set_replaced_and_expired() {
        let mut c = Conn::new(Arc::new(target()));
        c.remember("sid=abc; Path=/; HttpOnly");
        c.remember("csrf=1; Path=/");
        c.remember("sid=def; Path=/");
        assert_eq!(
            c.cookies(),
            &[("csrf".into(), "1".into()), ("sid".into(), "def".into())]
        );
        c.remember("csrf=; Max-Age=0");
        assert_eq!(c.cookies(), &[("sid".into(), "def".into())]);
    }
}

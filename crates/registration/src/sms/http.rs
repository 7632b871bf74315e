//! A generic HTTP SMS gateway: URL, method, headers and a body template
//! from config. `{to}` and `{text}` in the template (and `{to}` in the URL)
//! are replaced; in the body they are JSON-escaped without quotes, in the URL
//! percent-encoded.

use std::time::Duration;

use async_trait::async_trait;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use pratu_core::sms::{SmsError, SmsMessage, SmsSender};

use crate::config::HttpSmsConfig;

#[derive(Debug, thiserror::Error)]
pub enum HttpSmsBuildError {
    #[error("invalid header {0} in sms.http")]
    Header(String),
    #[error("invalid method in sms.http.method")]
    Method,
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

#[derive(Debug, thiserror::Error)]
#[error("SMS gateway answered HTTP {0}")]
struct GatewayStatus(u16);

#[derive(Debug)]
pub struct HttpSmsSender {
    client: reqwest::Client,
    url: String,
    method: Method,
    body_template: String,
}

impl HttpSmsSender {
    pub fn new(config: &HttpSmsConfig) -> Result<Self, HttpSmsBuildError> {
        Self::with_timeout(config, Duration::from_secs(config.timeout_seconds))
    }

    pub fn with_timeout(
        config: &HttpSmsConfig,
        timeout: Duration,
    ) -> Result<Self, HttpSmsBuildError> {
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HttpSmsBuildError::Header(name.clone()))?;
            let mut v = HeaderValue::from_str(value)
                .map_err(|_| HttpSmsBuildError::Header(name.clone()))?;
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        let ct = HeaderValue::from_str(&config.content_type)
            .map_err(|_| HttpSmsBuildError::Header("content_type".into()))?;
        headers.insert(http::header::CONTENT_TYPE, ct);
        let method = Method::from_bytes(config.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| HttpSmsBuildError::Method)?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .default_headers(headers)
            .build()
            .map_err(HttpSmsBuildError::Client)?;
        Ok(Self {
            client,
            url: config.url.clone(),
            method,
            body_template: config.body_template.clone(),
        })
    }
}

/// `s` as the inside of a JSON string literal.
fn json_inner(s: &str) -> String {
    let quoted = serde_json::Value::String(s.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Fills the template in one pass, so a `{text}` inside the phone number
/// (impossible) or a `{to}` inside the text cannot be substituted twice.
pub(crate) fn render_body(template: &str, to: &str, text: &str) -> String {
    let mut out = String::with_capacity(template.len() + text.len());
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{to}") {
            out.push_str(&json_inner(to));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{text}") {
            out.push_str(&json_inner(text));
            rest = after;
        } else {
            out.push('{');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

#[async_trait]
impl SmsSender for HttpSmsSender {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError> {
        let url = self.url.replace(
            "{to}",
            &url::form_urlencoded::byte_serialize(message.to.as_bytes()).collect::<String>(),
        );
        let body = render_body(&self.body_template, &message.to, &message.text);
        let response = self
            .client
            .request(self.method.clone(), url)
            .body(body)
            .send()
            .await
            .map_err(|e| SmsError::Unavailable(Box::new(e.without_url())))?;
        let status = response.status();
        if !status.is_success() {
            return Err(SmsError::Unavailable(Box::new(GatewayStatus(
                status.as_u16(),
            ))));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::routing::any;

    use super::*;

    type Seen = Arc<Mutex<Vec<(String, String, String, String)>>>;

    async fn spawn_gateway(status: StatusCode) -> (Seen, String) {
        let seen: Seen = Arc::default();
        let app = Router::new()
            .route(
                "/send",
                any(
                    move |State(seen): State<Seen>,
                          method: axum::http::Method,
                          headers: axum::http::HeaderMap,
                          body: String| async move {
                        let auth = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let ct = headers
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        seen.lock()
                            .unwrap()
                            .push((method.to_string(), auth, ct, body));
                        status
                    },
                ),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (seen, format!("http://{addr}/send"))
    }

    fn config(url: &str) -> HttpSmsConfig {
        HttpSmsConfig {
            url: url.into(),
            headers: BTreeMap::from([("Authorization".into(), "Bearer k".into())]),
            ..Default::default()
        }
    }

    #[test]
    fn placeholders_are_json_escaped_once() {
        assert_eq!(
            render_body(
                r#"{"to":"{to}","text":"{text}","x":{}}"#,
                "+66812345678",
                "say \"hi\" {to}\n"
            ),
            r#"{"to":"+66812345678","text":"say \"hi\" {to}\n","x":{}}"#
        );
    }

    #[tokio::test]
    async fn the_gateway_gets_the_configured_request() {
        let (seen, url) = spawn_gateway(StatusCode::OK).await;
        let sender = HttpSmsSender::new(&config(&url)).unwrap();
        let msg = SmsMessage {
            to: "+66812345678".into(),
            text: "Pratu OTP 123456 (Ref: KXQF) valid 5 min".into(),
        };
        sender.send(&msg).await.unwrap();
        let (method, auth, ct, body) = seen.lock().unwrap()[0].clone();
        assert_eq!(method, "POST");
        assert_eq!(auth, "Bearer k");
        assert_eq!(ct, "application/json");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["to"], "+66812345678");
        assert_eq!(json["text"], "Pratu OTP 123456 (Ref: KXQF) valid 5 min");
    }

    #[tokio::test]
    async fn a_refusing_or_absent_gateway_is_unavailable() {
        let (_, url) = spawn_gateway(StatusCode::TOO_MANY_REQUESTS).await;
        let sender = HttpSmsSender::new(&config(&url)).unwrap();
        let msg = SmsMessage {
            to: "+66812345678".into(),
            text: "t".into(),
        };
        assert!(matches!(
            sender.send(&msg).await,
            Err(SmsError::Unavailable(_))
        ));
        let sender = HttpSmsSender::new(&config("http://127.0.0.1:1/send")).unwrap();
        assert!(matches!(
            sender.send(&msg).await,
            Err(SmsError::Unavailable(_))
        ));
    }
}

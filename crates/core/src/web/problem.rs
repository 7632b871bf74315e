//! RFC 9457 problem details, the one writer for every JSON API (enrollment,
//! admin, and the account API to come): `{type, title, status, detail,
//! code}` plus members of the surface's own, as `application/problem+json`,
//! never cached. The `code` is the stable contract; `detail` is plain text
//! that never repeats what the client sent.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::error::InternalError;

/// A problem about to be answered.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    code: &'static str,
    title: &'static str,
    detail: String,
    extra: Map<String, Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
    internal: Option<InternalError>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            extra: Map::new(),
            headers: Vec::new(),
            internal: None,
        }
    }

    /// A 500 whose cause is logged once, with the request id, by
    /// [`super::log_internal_errors`]; the body says nothing of it. A store
    /// that is down is not our bug but a pause: 503 `service_unavailable`
    /// with `Retry-After`, so every JSON API answers an outage the same
    /// honest way and clients retry the same request when it is back.
    pub fn internal(source: impl Into<InternalError>) -> Self {
        let source = source.into();
        let mut p = if source.is_outage() {
            Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "Service unavailable",
                "A service Pratu depends on is unavailable. Repeat the request in a few seconds.",
            )
            .header(
                header::RETRY_AFTER,
                HeaderValue::from(super::error::OUTAGE_RETRY_AFTER_SECONDS),
            )
        } else {
            Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "Something went wrong on our side. Try again later.",
            )
        };
        p.internal = Some(source);
        p
    }

    /// Records `source` as this problem's cause (logged, never shown).
    #[must_use]
    pub fn caused_by(mut self, source: impl Into<InternalError>) -> Self {
        self.internal = Some(source.into());
        self
    }

    /// An extension member (`attempts_left`, `errors`, `field`, …).
    #[must_use]
    pub fn with(mut self, member: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(member.to_owned(), value.into());
        self
    }

    /// A response header (`Retry-After`, `WWW-Authenticate`).
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        body.insert(
            "type".into(),
            json!(format!("urn:pratu:problem:{}", self.code)),
        );
        body.insert("title".into(), json!(self.title));
        body.insert("status".into(), json!(self.status.as_u16()));
        body.insert("detail".into(), json!(self.detail));
        body.insert("code".into(), json!(self.code));
        for (k, v) in self.extra {
            body.entry(k).or_insert(v);
        }
        let mut res = (self.status, Json(Value::Object(body))).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.headers {
            h.insert(name, value);
        }
        if let Some(e) = self.internal {
            res.extensions_mut().insert(e);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_problem_has_the_rfc_members_its_own_and_no_store() {
        let res = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "otp_invalid",
            "Wrong code",
            "The code is wrong.",
        )
        .with("attempts_left", 2)
        .with("code", "overridden?")
        .header(header::RETRY_AFTER, HeaderValue::from_static("5"))
        .into_response();
        assert_eq!(res.status(), 422);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["type"], "urn:pratu:problem:otp_invalid");
        assert_eq!(v["status"], 422);
        assert_eq!(
            v["code"], "otp_invalid",
            "an extension never replaces a member"
        );
        assert_eq!(v["attempts_left"], 2);
    }

    #[tokio::test]
    async fn an_internal_problem_carries_its_cause_to_the_log_not_the_body() {
        let res = Problem::internal(std::io::Error::other("disk on fire")).into_response();
        assert_eq!(res.status(), 500);
        assert!(res.extensions().get::<InternalError>().is_some());
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("fire"));
    }

    #[tokio::test]
    async fn a_store_outage_is_503_with_retry_after_not_500() {
        let res = Problem::internal(pratu_storage::StorageError::Full).into_response();
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        assert!(res.extensions().get::<InternalError>().is_some());
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "service_unavailable");
        assert_eq!(v["status"], 503);
    }
}

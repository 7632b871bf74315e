//! Who may call a step: whoever presents the enrollment's token as
//! `Authorization: Bearer` (RFC 6750 §2.1). Never in the URL or a body
//! field: those end up in logs, histories and referrers.

use axum::extract::{FromRequestParts, Path};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use uuid::Uuid;

use super::ApiError;
use crate::service::{EnrollmentAccess, EnrollmentError, EnrollmentToken};

/// The enrollment of the path together with the presented token. Without a
/// usable token the call is refused before the enrollment is looked up.
#[derive(Debug)]
pub(crate) struct Authorized(pub EnrollmentAccess);

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::MissingToken)?;
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| EnrollmentError::NotFound)?;
        let id = Uuid::parse_str(&raw).map_err(|_| EnrollmentError::NotFound)?;
        Ok(Self(EnrollmentAccess::new(id, token)))
    }
}

/// The token of an `Authorization: Bearer …` header (scheme matched
/// case-insensitively); anything else is no token.
fn bearer(parts: &Parts) -> Option<EnrollmentToken> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    EnrollmentToken::parse(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(header: Option<&str>) -> Parts {
        let mut b = Request::builder().uri("/api/v1/enrollments/x");
        if let Some(h) = header {
            b = b.header(AUTHORIZATION, h);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_a_bearer_header_carries_a_token() {
        assert!(bearer(&parts(Some("Bearer abc_DEF-1"))).is_some());
        assert!(bearer(&parts(Some("bearer abc"))).is_some());
        assert!(bearer(&parts(Some("Basic abc"))).is_none());
        assert!(bearer(&parts(Some("Bearer "))).is_none());
        assert!(bearer(&parts(Some("Bearer a b"))).is_none());
        assert!(bearer(&parts(None)).is_none());
    }
}

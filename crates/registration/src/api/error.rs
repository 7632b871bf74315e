//! RFC 9457 problem details with a stable `code` (DESIGN.md), for every
//! error of the JSON API — including bodies that are not JSON at all. The
//! `detail` is plain English and never repeats what the client sent.

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pratu_core::web::Problem;
use pratu_core::web::error::InternalError;
use serde_json::{Map, Value, json};

use crate::service::{EnrollmentError, FieldError};

/// Everything the JSON API can answer with besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Enrollment(#[from] EnrollmentError),
    /// No `Authorization: Bearer` enrollment token came with a step.
    #[error("the enrollment token is missing")]
    MissingToken,
    /// The body is not JSON, or not the expected shape.
    #[error("malformed request body")]
    MalformedBody {
        status: StatusCode,
        detail: &'static str,
        errors: Vec<FieldError>,
    },
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::MalformedBody {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                detail: "Send the body as JSON with Content-Type: application/json.",
                errors: Vec::new(),
            },
            JsonRejection::JsonDataError(e) => Self::MalformedBody {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: "The JSON body does not have the expected fields.",
                errors: field_from_serde(&e.body_text()).into_iter().collect(),
            },
            JsonRejection::JsonSyntaxError(_) => Self::MalformedBody {
                status: StatusCode::BAD_REQUEST,
                detail: "The body is not valid JSON.",
                errors: Vec::new(),
            },
            _ => Self::MalformedBody {
                status: StatusCode::BAD_REQUEST,
                detail: "The request body could not be read.",
                errors: Vec::new(),
            },
        }
    }
}

/// Names the field of a serde "missing field `x`" / "unknown field `x`" /
/// "invalid type … at … `x`" error without echoing any value.
fn field_from_serde(text: &str) -> Option<FieldError> {
    for (marker, code, message) in [
        ("missing field `", "required", "this field is required"),
        ("unknown field `", "unknown", "this field is not accepted"),
    ] {
        if let Some(rest) = text.split(marker).nth(1) {
            let name = rest.split('`').next().unwrap_or_default();
            if !name.is_empty()
                && name.len() < 64
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Some(FieldError {
                    field: leak_known(name),
                    code,
                    message: message.to_owned(),
                });
            }
        }
    }
    None
}

/// Field names are `&'static str`; map the ones this API has, anything else
/// to `body`.
fn leak_known(name: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "accept_terms",
        "terms_version",
        "language",
        "citizen_id",
        "method",
        "first_name",
        "last_name",
        "birth_date",
        "laser_code",
        "title",
        "middle_name",
        "title_en",
        "first_name_en",
        "middle_name_en",
        "last_name_en",
        "username",
        "password",
        "phone",
        "code",
    ];
    KNOWN.iter().copied().find(|k| *k == name).unwrap_or("body")
}

fn status_of(e: &EnrollmentError) -> StatusCode {
    use EnrollmentError as E;
    match e {
        E::Invalid { .. }
        | E::TermsNotAccepted
        | E::IdentityNotVerified { .. }
        | E::ProofingMethodUnsupported
        | E::OtpInvalid { .. }
        | E::OtpExpired => StatusCode::UNPROCESSABLE_ENTITY,
        E::TermsOutdated { .. }
        | E::CitizenIdTaken
        | E::UsernameTaken
        | E::StepOutOfOrder { .. }
        | E::Conflict => StatusCode::CONFLICT,
        E::IdentityServiceUnavailable | E::SmsUnavailable | E::Busy { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        E::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        E::NotFound => StatusCode::NOT_FOUND,
        E::InvalidToken => StatusCode::UNAUTHORIZED,
        E::Expired => StatusCode::GONE,
        E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn title_of(code: &str) -> &'static str {
    match code {
        "invalid_request" => "Invalid request",
        "invalid_citizen_id" => "Invalid citizen ID",
        "password_policy" => "Password does not meet the policy",
        "password_too_common" => "Password too common",
        "password_contains_username" => "Password contains the username",
        "temporarily_unavailable" => "Temporarily unavailable",
        "terms_not_accepted" => "Terms not accepted",
        "terms_outdated" => "Terms have changed",
        "citizen_id_taken" => "Citizen ID already enrolled",
        "identity_not_verified" => "Identity not verified",
        "identity_service_unavailable" => "Identity service unavailable",
        "proofing_method_unsupported" => "Proofing method not available online",
        "username_taken" => "Username taken",
        "otp_invalid" => "Wrong code",
        "otp_expired" => "Code expired",
        "too_many_attempts" => "Too many attempts",
        "sms_unavailable" => "SMS unavailable",
        "step_out_of_order" => "Step out of order",
        "enrollment_not_found" => "Enrollment not found",
        "invalid_enrollment_token" => "Missing or wrong enrollment token",
        "enrollment_expired" => "Enrollment expired",
        "conflict" => "Concurrent change",
        _ => "Internal error",
    }
}

/// Extra detail where the refusal needs it, in plain English.
fn detail_of(e: &EnrollmentError) -> String {
    match e {
        EnrollmentError::ProofingMethodUnsupported => "Cards without a laser code (old lifetime \
            cards) cannot be checked online. Enroll in person at a district office (สำนักงานเขต/\
            ที่ว่าการอำเภอ) with your ID card, or renew your card first."
            .to_owned(),
        EnrollmentError::IdentityNotVerified { .. } => "The details do not match a valid ID card. \
            Check the names (Thai, without title or middle name), the date of birth and the laser \
            code exactly as printed on your card, and that the card has not expired."
            .to_owned(),
        other => format!("{}.", capitalise(&other.to_string())),
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn problem(
    status: StatusCode,
    code: &'static str,
    detail: String,
    extra: Map<String, Value>,
) -> Problem {
    extra.into_iter().fold(
        Problem::new(status, code, title_of(code), detail),
        |p, (k, v)| p.with(&k, v),
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut extra = Map::new();
        match self {
            // RFC 6750 §3.1: no error code when no credentials came at all.
            ApiError::MissingToken => problem(
                StatusCode::UNAUTHORIZED,
                EnrollmentError::InvalidToken.code(),
                "Send the enrollment token from the start of the enrollment as \
                 Authorization: Bearer <enrollment_token>."
                    .to_owned(),
                extra,
            )
            .header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
            .into_response(),
            ApiError::MalformedBody {
                status,
                detail,
                errors,
            } => {
                if !errors.is_empty() {
                    extra.insert("errors".into(), json!(errors));
                }
                problem(status, "invalid_request", detail.to_owned(), extra).into_response()
            }
            // A store that is down: the same 503 as every JSON API.
            ApiError::Enrollment(EnrollmentError::Internal(source))
                if pratu_core::web::error::is_outage(source.as_ref()) =>
            {
                Problem::internal(InternalError::from_boxed(source)).into_response()
            }
            ApiError::Enrollment(e) => {
                let status = status_of(&e);
                let mut retry_after = None;
                match &e {
                    EnrollmentError::Invalid { errors, .. } => {
                        extra.insert("errors".into(), json!(errors));
                    }
                    EnrollmentError::IdentityNotVerified { attempts_left }
                    | EnrollmentError::OtpInvalid { attempts_left } => {
                        extra.insert("attempts_left".into(), json!(attempts_left));
                    }
                    EnrollmentError::TooManyAttempts { retry_after: r } => {
                        retry_after = *r;
                        if let Some(r) = r {
                            extra.insert("retry_after".into(), json!(r));
                        }
                    }
                    EnrollmentError::Busy { retry_after: r } => {
                        retry_after = Some(*r);
                        extra.insert("retry_after".into(), json!(r));
                    }
                    // The outside service may be back in moments: tell the
                    // client when to repeat the step (it did not count).
                    EnrollmentError::IdentityServiceUnavailable
                    | EnrollmentError::SmsUnavailable => {
                        retry_after =
                            Some(pratu_core::web::error::OUTSIDE_SERVICE_RETRY_AFTER_SECONDS);
                    }
                    EnrollmentError::TermsOutdated { current } => {
                        extra.insert("terms_version".into(), json!(current));
                    }
                    EnrollmentError::StepOutOfOrder { current } => {
                        extra.insert("next".into(), json!(current.as_str()));
                    }
                    _ => {}
                }
                let detail = if matches!(e, EnrollmentError::Internal(_)) {
                    "Something went wrong on our side. Try again later.".to_owned()
                } else {
                    detail_of(&e)
                };
                let mut response = problem(status, e.code(), detail, extra);
                if let Some(r) =
                    retry_after.and_then(|r| HeaderValue::from_str(&r.to_string()).ok())
                {
                    response = response.header(header::RETRY_AFTER, r);
                }
                if matches!(e, EnrollmentError::InvalidToken) {
                    response = response.header(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Bearer error=\"invalid_token\""),
                    );
                }
                if let EnrollmentError::Internal(source) = e {
                    response = response.caused_by(InternalError::from_boxed(source));
                }
                response.into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_known_fields_only() {
        let e = field_from_serde("Failed to deserialize: missing field `citizen_id` at line 1")
            .unwrap();
        assert_eq!((e.field, e.code), ("citizen_id", "required"));
        let e = field_from_serde("unknown field `secret_stuff`, expected one of").unwrap();
        assert_eq!((e.field, e.code), ("body", "unknown"));
        assert_eq!(
            field_from_serde("invalid type: string \"1234567890121\""),
            None
        );
    }

    #[tokio::test]
    async fn problems_are_problem_json_with_a_code() {
        let r = ApiError::from(EnrollmentError::TooManyAttempts {
            retry_after: Some(60),
        })
        .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(r.headers()[header::RETRY_AFTER], "60");
        let body = axum::body::to_bytes(r.into_body(), 10_000).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "too_many_attempts");
        assert_eq!(v["status"], 429);
        assert_eq!(v["type"], "urn:pratu:problem:too_many_attempts");
        assert_eq!(v["retry_after"], 60);
    }

    /// A saturated password hasher is the caller's cue to retry, not our
    /// failure: 503 with `Retry-After`, never 500.
    #[tokio::test]
    async fn a_busy_hasher_is_503_with_retry_after() {
        let r = ApiError::from(EnrollmentError::from(
            pratu_core::password::PasswordError::Busy,
        ))
        .into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        let body = axum::body::to_bytes(r.into_body(), 10_000).await.unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], "temporarily_unavailable");
    }

    #[tokio::test]
    async fn internal_errors_say_nothing_of_the_cause() {
        let r = ApiError::from(EnrollmentError::internal(std::io::Error::other(
            "db password wrong",
        )))
        .into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(r.into_body(), 10_000).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("password"));
    }
}

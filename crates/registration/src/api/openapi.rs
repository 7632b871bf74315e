//! The enrollment API's OpenAPI document, generated from the handlers'
//! annotations. The server serves it (merged with the account and recovery
//! APIs') at `/api/openapi.json`.

use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// An RFC 9457 problem, as every error of the API is answered
/// (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// Plain English; never repeats what the client sent.
    pub detail: String,
    /// The stable code to branch on: `invalid_request`, `invalid_citizen_id`,
    /// `password_policy`, `password_too_common`, `password_contains_username`,
    /// `terms_not_accepted`, `terms_outdated`, `citizen_id_taken`,
    /// `identity_not_verified`, `identity_service_unavailable`,
    /// `proofing_method_unsupported`, `username_taken`, `otp_invalid`,
    /// `otp_expired`, `too_many_attempts`, `sms_unavailable`,
    /// `step_out_of_order`, `enrollment_not_found`,
    /// `invalid_enrollment_token`, `enrollment_expired`, `conflict`,
    /// `temporarily_unavailable`.
    pub code: String,
    /// Refused fields, for `invalid_request` and the field codes.
    #[schema(value_type = Option<Vec<Object>>)]
    pub errors: Option<Vec<serde_json::Value>>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pratu citizen APIs",
        description = "The citizen's side of Pratu: enrollment (one call per step; the \
            `enrollment_token` the start answers continues it, as `Authorization: Bearer`), \
            and — merged in by the server — the account and recovery APIs. Errors are RFC 9457 \
            problem details with a stable `code`.",
    ),
    paths(
        super::terms, super::start, super::review, super::citizen_id, super::identity,
        super::account, super::phone, super::verify_phone, super::confirm,
    ),
    components(schemas(Problem)),
    modifiers(&EnrollmentToken),
    tags((name = "enrollment", description = "Enrolling for a Digital ID")),
)]
struct ApiDoc;

struct EnrollmentToken;

impl Modify for EnrollmentToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "enrollment_token",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The enrollment API's OpenAPI document; the server merges the other
/// citizen APIs into it (`doc.merge(other)`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_enrollment_route_is_documented_with_its_problems() {
        let doc = serde_json::to_value(openapi()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for (method, path) in [
            ("get", "/api/v1/terms"),
            ("post", "/api/v1/enrollments"),
            ("get", "/api/v1/enrollments/{id}"),
            ("put", "/api/v1/enrollments/{id}/citizen-id"),
            ("put", "/api/v1/enrollments/{id}/identity"),
            ("put", "/api/v1/enrollments/{id}/account"),
            ("post", "/api/v1/enrollments/{id}/phone"),
            ("post", "/api/v1/enrollments/{id}/phone/verify"),
            ("post", "/api/v1/enrollments/{id}/confirm"),
        ] {
            let op = &paths[path][method];
            assert!(op.is_object(), "{method} {path} is not documented");
            assert!(
                op["responses"].as_object().unwrap().len() >= 2 || path == "/api/v1/terms",
                "{method} {path}"
            );
        }
        assert!(doc["components"]["schemas"]["Problem"].is_object());
    }
}

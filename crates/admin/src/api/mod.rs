//! The JSON admin API under `/admin/api/v1` and its OpenAPI document,
//! generated from the handlers' annotations.

pub mod audit;
pub mod clients;
pub mod factors;
pub mod keys;
pub mod users;

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRef, Query};
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use pratu_core::audit::{AuditAction, Entry, Outcome};
use pratu_storage::records::AuditEvent;
use serde::Deserialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi};

use crate::problem::{ApiError, Problem};
use crate::state::AdminState;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/admin/api/openapi.json";

/// Every route of the admin API, as `(method, path)` in OpenAPI form; the
/// tests check the router serves each and the document lists each.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/admin/api/v1/clients"),
    ("post", "/admin/api/v1/clients"),
    ("get", "/admin/api/v1/clients/{client_id}"),
    ("put", "/admin/api/v1/clients/{client_id}"),
    ("delete", "/admin/api/v1/clients/{client_id}"),
    ("post", "/admin/api/v1/clients/{client_id}/secret"),
    ("post", "/admin/api/v1/clients/{client_id}/disable"),
    ("post", "/admin/api/v1/clients/{client_id}/enable"),
    ("get", "/admin/api/v1/users"),
    ("get", "/admin/api/v1/users/{user_id}"),
    ("post", "/admin/api/v1/users/{user_id}/disable"),
    ("post", "/admin/api/v1/users/{user_id}/enable"),
    ("post", "/admin/api/v1/users/{user_id}/logout"),
    ("get", "/admin/api/v1/users/{user_id}/factors"),
    ("post", "/admin/api/v1/users/{user_id}/factors/reset"),
    (
        "delete",
        "/admin/api/v1/users/{user_id}/consents/{client_id}",
    ),
    ("get", "/admin/api/v1/keys"),
    ("post", "/admin/api/v1/keys/rotate"),
    ("get", "/admin/api/v1/audit"),
];

pub(crate) fn router<S>() -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(
            "/admin/api/v1/clients",
            get(clients::list).post(clients::create),
        )
        .route(
            "/admin/api/v1/clients/{client_id}",
            get(clients::show)
                .put(clients::update)
                .delete(clients::delete),
        )
        .route(
            "/admin/api/v1/clients/{client_id}/secret",
            post(clients::rotate_secret),
        )
        .route(
            "/admin/api/v1/clients/{client_id}/disable",
            post(clients::disable),
        )
        .route(
            "/admin/api/v1/clients/{client_id}/enable",
            post(clients::enable),
        )
        .route("/admin/api/v1/users", get(users::search))
        .route("/admin/api/v1/users/{user_id}", get(users::show))
        .route(
            "/admin/api/v1/users/{user_id}/disable",
            post(users::disable),
        )
        .route("/admin/api/v1/users/{user_id}/enable", post(users::enable))
        .route("/admin/api/v1/users/{user_id}/logout", post(users::logout))
        .route("/admin/api/v1/users/{user_id}/factors", get(factors::show))
        .route(
            "/admin/api/v1/users/{user_id}/factors/reset",
            post(factors::reset),
        )
        .route(
            "/admin/api/v1/users/{user_id}/consents/{client_id}",
            delete(users::revoke_consent),
        )
        .route("/admin/api/v1/keys", get(keys::list))
        .route("/admin/api/v1/keys/rotate", post(keys::rotate))
        .route("/admin/api/v1/audit", get(audit::list))
        .route(OPENAPI_PATH, get(openapi_json))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pratu admin API",
        description = "Manage client applications, accounts, signing keys and read the audit trail. \
            Every call needs a Pratu access token with scope `pratu:admin` (a user-bound token \
            also needs the operator role). Errors are RFC 9457 problem details.",
    ),
    paths(
        clients::list, clients::create, clients::show, clients::update, clients::delete,
        clients::rotate_secret, clients::disable, clients::enable,
        users::search, users::show, users::disable, users::enable, users::logout,
        users::revoke_consent, factors::show, factors::reset,
        keys::list, keys::rotate,
        audit::list,
    ),
    components(schemas(Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "clients", description = "Client applications (relying parties)"),
        (name = "users", description = "Accounts"),
        (name = "keys", description = "Signing keys"),
        (name = "audit", description = "The audit trail"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.bearer_format = Some("JWT".to_owned());
            c.add_security_scheme("bearer", SecurityScheme::Http(http));
        }
    }
}

/// The OpenAPI document of the admin API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

async fn openapi_json() -> Response {
    let mut res = Json(openapi()).into_response();
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

/// Paging of list endpoints.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// At most this many (default 50, capped by `admin.max_page_size`).
    pub limit: Option<u32>,
    /// Skip this many (default 0).
    pub offset: Option<u32>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolved {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    pub(crate) fn resolve(self, max: u32) -> Resolved {
        Resolved {
            limit: self.limit.unwrap_or(50).clamp(1, max),
            offset: self.offset.unwrap_or(0),
        }
    }
}

impl Resolved {
    /// The offset of the next page, if this one was full.
    pub(crate) fn next(self, got: usize) -> Option<u32> {
        (got >= self.limit as usize).then(|| self.offset.saturating_add(self.limit))
    }
}

pub(crate) fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    match b {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::BadRequest(
            "send the body as JSON with Content-Type: application/json".into(),
        )),
        Err(JsonRejection::JsonDataError(e)) => Err(ApiError::BadRequest(format!(
            "the JSON body does not have the expected fields: {}",
            field_hint(&e.body_text())
        ))),
        Err(_) => Err(ApiError::BadRequest("the body is not valid JSON".into())),
    }
}

/// Names the field serde complained about, never a value.
fn field_hint(text: &str) -> String {
    for marker in ["unknown field `", "missing field `"] {
        if let Some(name) = text.split(marker).nth(1).and_then(|r| r.split('`').next())
            && name.len() < 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return format!("{}{name}", &marker[..marker.len() - 1]);
        }
    }
    "a field has the wrong type".to_owned()
}

/// Records an admin call in the audit trail (actor, action, target, request
/// id, outcome) and passes its result on, so no handler can forget to.
pub(crate) async fn audited<T>(
    s: &AdminState,
    op: &crate::auth::Operator,
    action: AuditAction,
    target: Option<String>,
    r: Result<T, ApiError>,
) -> Result<T, ApiError> {
    let (outcome, details) = match &r {
        Ok(_) => (Outcome::Success, serde_json::json!({})),
        Err(e) => (e.audit_outcome(), serde_json::json!({ "code": e.code() })),
    };
    s.audit(
        &op.actor,
        action,
        target,
        op.request_id.as_deref(),
        outcome,
        details,
    )
    .await;
    r
}

/// Runs a unit of work that writes its own audit record: `work` gets the
/// success record and hands it to the one repository call that commits it
/// in the same transaction as the change it records, so the change and its
/// record exist together or not at all. When `work` fails nothing of it
/// was committed, and the failure is recorded as [`audited`] records any.
pub(crate) async fn audited_unit<T>(
    s: &AdminState,
    op: &crate::auth::Operator,
    action: AuditAction,
    target: Option<String>,
    work: impl AsyncFnOnce(&AuditEvent) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let entry = Entry::new(op.actor.clone(), action, Outcome::Success)
        .maybe_target(target.clone())
        .request_id(op.request_id.clone());
    let record = s.0.auditor.event(entry);
    match work(&record).await {
        Ok(v) => {
            tracing::info!(
                event.kind = "security",
                action = action.as_str(),
                outcome = Outcome::Success.as_str(),
                "audit"
            );
            Ok(v)
        }
        Err(e) => audited(s, op, action, target, Err(e)).await,
    }
}

/// The answer when an ephemeral-store write a unit of work makes before its
/// commit fails: nothing was committed, so the operator can simply retry.
pub(crate) fn ephemeral_unavailable(e: &pratu_storage::StorageError) -> ApiError {
    tracing::error!(error = %e, "ephemeral store write failed; nothing was committed");
    ApiError::Unavailable
}

pub(crate) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|_| ApiError::BadRequest("the query string is not valid".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_parses_and_lists_exactly_the_routes() {
        let json = serde_json::to_string(&openapi()).unwrap();
        let spec = oas3::from_json(&json).unwrap();
        let mut listed: Vec<(String, String)> = Vec::new();
        for (path, item) in spec.paths.unwrap_or_default() {
            for (method, _) in item.methods() {
                listed.push((method.as_str().to_lowercase(), path.clone()));
            }
        }
        let mut want: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        listed.sort();
        want.sort();
        assert_eq!(listed, want);
        assert!(json.contains(r#""bearer""#));
    }

    #[test]
    fn paging_is_capped_and_knows_the_next_page() {
        let p = Page {
            limit: Some(5000),
            offset: Some(10),
        }
        .resolve(200);
        assert_eq!((p.limit, p.offset), (200, 10));
        assert_eq!(p.next(200), Some(210));
        assert_eq!(p.next(3), None);
        assert_eq!(Page::default().resolve(200).limit, 50);
    }

    #[test]
    fn body_errors_name_the_field_never_the_value() {
        assert_eq!(
            field_hint("unknown field `secret_value`, expected one of"),
            "unknown field secret_value"
        );
        assert_eq!(
            field_hint("invalid type: string \"hunter2\", expected a boolean"),
            "a field has the wrong type"
        );
    }
}

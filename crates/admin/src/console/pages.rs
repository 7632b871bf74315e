//! The console's pages and form handlers.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::web::error::InternalError;
use pratu_oidc::clients::{ClientError, ClientView, NewClient};
use pratu_storage::records::AuditEvent;
use pratu_storage::records::GrantType;
use serde::Deserialize;
use serde_json::json;

use super::session::{ConsoleSession, end, start_login};
use crate::api::audit::{AuditQuery, filter_of};
use crate::auth::request_id;
use crate::state::AdminState;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    message: &'a str,
    user: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ClientsPage<'a> {
    user: Option<&'a str>,
    clients: &'a [ClientView],
    csrf_rotate: &'a str,
    csrf_logout: &'a str,
    next_offset: Option<u32>,
}

#[derive(Template)]
#[template(path = "new_client.html")]
struct NewClientPage<'a> {
    user: Option<&'a str>,
    csrf: &'a str,
    csrf_logout: &'a str,
    form: &'a ClientForm,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "secret.html")]
struct SecretPage<'a> {
    user: Option<&'a str>,
    csrf_logout: &'a str,
    heading: &'a str,
    client: &'a ClientView,
    secret: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    user: Option<&'a str>,
    csrf_logout: &'a str,
    events: &'a [AuditEvent],
    q: &'a AuditQuery,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage {
    user: Option<&'static str>,
}

fn render(t: &impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => {
            let mut res = (status, Html(html)).into_response();
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "console page failed to render");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

pub(crate) fn error_page(status: StatusCode, message: &str) -> Response {
    render(
        &ErrorPage {
            message,
            user: None,
        },
        status,
    )
}

fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

/// The signed-in operator, or a redirect to sign in.
async fn require(state: &AdminState, headers: &HeaderMap) -> Result<ConsoleSession, Response> {
    state
        .console_session(headers)
        .await
        .ok_or_else(|| see_other("/admin/login"))
}

pub(crate) async fn home(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    match require(&state, &headers).await {
        Ok(_) => see_other("/admin/clients"),
        Err(r) => r,
    }
}

pub(crate) async fn login(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    if state.console_session(&headers).await.is_some() {
        return see_other("/admin/clients");
    }
    start_login(&state).await
}

pub(crate) async fn signed_out() -> Response {
    render(&SignedOutPage { user: None }, StatusCode::OK)
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn form<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> T {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

pub(crate) async fn logout(
    State(state): State<AdminState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match require(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f: CsrfForm = form(&body);
    if !state.csrf_ok(&session, "logout", &f.csrf) {
        return error_page(StatusCode::FORBIDDEN, "The form expired. Please try again.");
    }
    end(&state, &session).await
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Paging {
    offset: Option<u32>,
}

pub(crate) async fn clients(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(p): Query<Paging>,
) -> Response {
    let session = match require(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let limit = 50.min(state.0.config.max_page_size);
    let offset = p.offset.unwrap_or(0);
    let list = match state.oidc().clients().list(limit, offset).await {
        Ok(l) => l,
        Err(e) => {
            return InternalError::from(e).attach(error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again shortly.",
            ));
        }
    };
    let next_offset = (list.len() >= limit as usize).then_some(offset + limit);
    render(
        &ClientsPage {
            user: Some(&session.username),
            clients: &list,
            csrf_rotate: &state.csrf(&session, "rotate"),
            csrf_logout: &state.csrf(&session, "logout"),
            next_offset,
        },
        StatusCode::OK,
    )
}

/// The registration form's fields (what a person fills in).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ClientForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub client_name: String,
    /// One per line.
    #[serde(default)]
    pub redirect_uris: String,
    /// `confidential`, `public` or `service`.
    #[serde(default)]
    pub kind: String,
    /// Space-separated; empty for the defaults.
    #[serde(default)]
    pub scopes: String,
    #[serde(default)]
    pub refresh_tokens: Option<String>,
    #[serde(default)]
    pub first_party: Option<String>,
}

impl ClientForm {
    fn to_new_client(&self) -> NewClient {
        let scopes = self.scopes.split_whitespace().map(str::to_owned).collect();
        let redirect_uris = self
            .redirect_uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        let mut grant_types = Vec::new();
        if self.kind == "service" {
            grant_types.push(GrantType::ClientCredentials);
        } else if self.refresh_tokens.is_some() {
            grant_types.push(GrantType::AuthorizationCode);
            grant_types.push(GrantType::RefreshToken);
        }
        NewClient {
            client_name: self.client_name.clone(),
            redirect_uris,
            public: self.kind == "public",
            grant_types,
            scopes,
            first_party: self.first_party.is_some(),
            ..NewClient::default()
        }
    }
}

pub(crate) async fn new_client(State(state): State<AdminState>, headers: HeaderMap) -> Response {
    let session = match require(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let form = ClientForm {
        kind: "confidential".to_owned(),
        ..ClientForm::default()
    };
    render(
        &NewClientPage {
            user: Some(&session.username),
            csrf: &state.csrf(&session, "create"),
            csrf_logout: &state.csrf(&session, "logout"),
            form: &form,
            error: None,
        },
        StatusCode::OK,
    )
}

pub(crate) async fn create_client(
    State(state): State<AdminState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let session = match require(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f: ClientForm = form(&body);
    if !state.csrf_ok(&session, "create", &f.csrf) {
        return error_page(StatusCode::FORBIDDEN, "The form expired. Please try again.");
    }
    let actor = format!("user:{}", session.user_id);
    let rid = request_id(&headers);
    match state.oidc().clients().create(f.to_new_client()).await {
        Ok(view) => {
            state
                .audit(
                    &actor,
                    AuditAction::ClientCreated,
                    Some(format!("client:{}", view.client_id)),
                    rid.as_deref(),
                    Outcome::Success,
                    json!({"via": "console"}),
                )
                .await;
            let secret = view
                .client_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned());
            render(
                &SecretPage {
                    user: Some(&session.username),
                    csrf_logout: &state.csrf(&session, "logout"),
                    heading: "Client registered",
                    client: &view,
                    secret: secret.as_deref(),
                },
                StatusCode::OK,
            )
        }
        Err(e) => {
            let message = match &e {
                ClientError::Invalid { .. } => e.to_string(),
                ClientError::AlreadyExists => "That client id is taken.".to_owned(),
                _ => {
                    tracing::error!(error = %e, "console: registering a client failed");
                    "The client could not be registered. Please try again.".to_owned()
                }
            };
            render(
                &NewClientPage {
                    user: Some(&session.username),
                    csrf: &state.csrf(&session, "create"),
                    csrf_logout: &state.csrf(&session, "logout"),
                    form: &f,
                    error: Some(&message),
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

pub(crate) async fn rotate_secret(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let session = match require(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let f: CsrfForm = form(&body);
    if !state.csrf_ok(&session, "rotate", &f.csrf) {
        return error_page(StatusCode::FORBIDDEN, "The form expired. Please try again.");
    }
    let r = state.oidc().clients().rotate_secret(&id).await;
    state
        .audit(
            &format!("user:{}", session.user_id),
            AuditAction::ClientSecretRotated,
            Some(format!("client:{id}")),
            request_id(&headers).as_deref(),
            if r.is_ok() {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            json!({"via": "console"}),
        )
        .await;
    match r {
        Ok(view) => {
            let secret = view
                .client_secret
                .as_ref()
                .map(|s| s.expose_secret().to_owned());
            render(
                &SecretPage {
                    user: Some(&session.username),
                    csrf_logout: &state.csrf(&session, "logout"),
                    heading: "New secret issued",
                    client: &view,
                    secret: secret.as_deref(),
                },
                StatusCode::OK,
            )
        }
        Err(ClientError::NotFound) => error_page(StatusCode::NOT_FOUND, "No such client."),
        Err(e @ ClientError::Invalid { .. }) => {
            error_page(StatusCode::UNPROCESSABLE_ENTITY, &e.to_string())
        }
        Err(e) => InternalError::from(e).attach(error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again shortly.",
        )),
    }
}

pub(crate) async fn audit(
    State(state): State<AdminState>,
    headers: HeaderMap,
    q: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let session = match require(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(Query(q)) = q else {
        return error_page(StatusCode::BAD_REQUEST, "The filter is not valid.");
    };
    let filter = match filter_of(&q, 100) {
        Ok(f) => f,
        Err(e) => return error_page(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let events = match state.0.store.list_audit(&filter).await {
        Ok(e) => e,
        Err(e) => {
            return InternalError::from(e).attach(error_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Please try again shortly.",
            ));
        }
    };
    let next = (events.len() >= filter.limit as usize)
        .then(|| events.last())
        .flatten()
        .map(|last| {
            let mut u = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in [
                ("actor", &q.actor),
                ("action", &q.action),
                ("target", &q.target),
            ] {
                if let Some(v) = v.as_ref().filter(|v| !v.is_empty()) {
                    u.append_pair(k, v);
                }
            }
            u.append_pair("before", &last.id.to_string());
            format!("/admin/audit?{}", u.finish())
        });
    render(
        &AuditPage {
            user: Some(&session.username),
            csrf_logout: &state.csrf(&session, "logout"),
            events: &events,
            q: &q,
            next,
        },
        StatusCode::OK,
    )
}

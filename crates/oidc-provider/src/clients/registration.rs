//! RFC 7591 dynamic client registration (`POST /connect/register`) and the
//! RFC 7592 management protocol (`GET`/`PUT`/`DELETE
//! /connect/register/{client_id}`). Off unless
//! `clients.dynamic_registration` is set: until then every route answers 404.
//!
//! # Initial access tokens
//! Registration needs a bearer token the operator issues with `pratu client
//! registration-token`. The CLI is a separate process that shares only the
//! database with the servers, so tokens are rows there (SHA-256 digest,
//! creation and expiry time) rather than MACs under a server key: a row can
//! be issued without the server's keys and revoked by deleting it, and a
//! stolen token is worth one client at most, because a token is **single
//! use** — it is consumed by the registration it authorises (RFC 7591 §3
//! leaves this to the server). Registrations refused for bad metadata do
//! not consume it, so a registrant can correct its request.
//!
//! # Registration access tokens
//! Each registered client gets its own bearer token for the management
//! protocol; its digest is kept in the client's extra metadata
//! ([`TOKEN_HASH_KEY`]). Clients the operator registered have none and
//! cannot be managed through this protocol. An unknown client, and a token
//! of another client, get the same 401.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::Random;
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::web::error::InternalError;
use pratu_storage::records::{Client, RegistrationToken, SubjectType, TokenEndpointAuthMethod};
use pratu_storage::{Clock, StorageError, Store};
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use super::metadata::apply_metadata;
use super::registration_metadata::{INFO_FIELDS, MetadataError, RegistrationRequest};
use super::secret::{hash_secret, random_token, verify_secret};
use super::service::{ClientError, MAX_CLIENT_ID_LEN};
use super::{ClientView, SecretString};
use crate::state::{Audit, Registration};

pub const REGISTER_PATH: &str = "/connect/register";
pub const MANAGE_PATH: &str = "/connect/register/{client_id}";

/// Extra-metadata key: base64url SHA-256 of the registration access token.
pub const TOKEN_HASH_KEY: &str = "registration_access_token_sha256";

/// Longest initial access token lifetime the CLI issues (30 days).
pub const MAX_INITIAL_TOKEN_LIFETIME_SECONDS: u64 = 30 * 24 * 3600;

/// Issues a single-use initial access token valid for `lifetime_seconds`
/// (1 s to [`MAX_INITIAL_TOKEN_LIFETIME_SECONDS`]). Only its digest is
/// stored; the token is returned this once.
pub async fn issue_initial_access_token(
    store: &dyn Store,
    clock: &dyn Clock,
    random: &dyn Random,
    lifetime_seconds: u64,
) -> Result<(SecretString, OffsetDateTime), StorageError> {
    let lifetime = lifetime_seconds.clamp(1, MAX_INITIAL_TOKEN_LIFETIME_SECONDS);
    let token = SecretString::new(random_token(random, 32));
    let now = clock.now();
    let expires_at = now + time::Duration::seconds(i64::try_from(lifetime).unwrap_or(3600));
    store
        .insert_registration_token(&RegistrationToken {
            token_hash: hash_secret(token.expose_secret()),
            created_at: now,
            expires_at,
        })
        .await?;
    Ok((token, expires_at))
}

/// A short, non-reversible name for a token in audit records.
pub fn token_fingerprint(token_hash: &[u8]) -> String {
    B64.encode(token_hash.get(..9).unwrap_or(token_hash))
}

/// An RFC 7591 §3.2.2 / RFC 6750 §3 error.
#[derive(Debug)]
enum RegError {
    NotFound,
    InvalidToken(&'static str),
    InvalidRedirectUri(String),
    InvalidMetadata(String),
    InvalidRequest(String),
    /// Logged once, with the request id, where it becomes the response.
    Server(InternalError),
}

impl From<MetadataError> for RegError {
    fn from(e: MetadataError) -> Self {
        match e {
            MetadataError::RedirectUri(d) => Self::InvalidRedirectUri(d),
            MetadataError::Metadata(d) => Self::InvalidMetadata(d),
            MetadataError::Request(d) => Self::InvalidRequest(d),
        }
    }
}

impl From<ClientError> for RegError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Invalid {
                field: "redirect_uris",
                reason,
            } => Self::InvalidRedirectUri(reason),
            ClientError::Invalid { field, reason } => {
                Self::InvalidMetadata(format!("{field}: {reason}"))
            }
            ClientError::NotFound => Self::InvalidToken("unknown client"),
            other => Self::Server(InternalError::new(other)),
        }
    }
}

impl From<StorageError> for RegError {
    fn from(e: StorageError) -> Self {
        Self::Server(InternalError::new(e))
    }
}

impl IntoResponse for RegError {
    fn into_response(self) -> Response {
        let mut cause = None;
        let (status, code, description) = match self {
            Self::NotFound => return StatusCode::NOT_FOUND.into_response(),
            Self::InvalidToken(d) => (StatusCode::UNAUTHORIZED, "invalid_token", d.to_owned()),
            Self::InvalidRedirectUri(d) => (StatusCode::BAD_REQUEST, "invalid_redirect_uri", d),
            Self::InvalidMetadata(d) => (StatusCode::BAD_REQUEST, "invalid_client_metadata", d),
            Self::InvalidRequest(d) => (StatusCode::BAD_REQUEST, "invalid_request", d),
            // A store that is down: retry shortly (RFC 6749 §4.1.2.1's
            // code, as the token endpoint answers it).
            Self::Server(e) if e.is_outage() => {
                cause = Some(e);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    "a service is unavailable; retry shortly".to_owned(),
                )
            }
            Self::Server(e) => {
                cause = Some(e);
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the request could not be processed".to_owned(),
                )
            }
        };
        let mut res = (
            status,
            json_body(&json!({ "error": code, "error_description": description })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(
                RETRY_AFTER,
                HeaderValue::from(pratu_core::web::error::OUTAGE_RETRY_AFTER_SECONDS),
            );
        }
        let res = no_store(res);
        match cause {
            Some(cause) => cause.attach(res),
            None => res,
        }
    }
}

fn json_body(v: &Value) -> ([(axum::http::HeaderName, HeaderValue); 1], String) {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        v.to_string(),
    )
}

fn no_store(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn enabled(reg: &Registration) -> Result<(), RegError> {
    if reg.enabled {
        Ok(())
    } else {
        Err(RegError::NotFound)
    }
}

/// The bearer token of the request, digested.
fn bearer_hash(headers: &HeaderMap) -> Result<Vec<u8>, RegError> {
    let value = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(RegError::InvalidToken("a bearer token is required"))?;
    let token = value
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty() && t.len() <= 512)
        .ok_or(RegError::InvalidToken("a bearer token is required"))?;
    Ok(hash_secret(token))
}

/// `POST /connect/register`.
pub(crate) async fn register(
    State(reg): State<Registration>,
    State(audit): State<Audit>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match register_inner(&reg, &audit, &headers, &body).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn register_inner(
    reg: &Registration,
    audit: &Audit,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, RegError> {
    enabled(reg)?;
    let initial = bearer_hash(headers)?;
    let now = reg.clock.now();
    if !reg.store.registration_token_valid(&initial, now).await? {
        return Err(RegError::InvalidToken(
            "the initial access token is invalid, expired or used",
        ));
    }
    let request = RegistrationRequest::parse(body)?;
    let info = request.info()?;
    let new = request.to_new_client(&reg.acr_values_supported)?;
    check_outbound(&new).await?;
    // Validate fully before using up the token.
    apply_metadata(&mut scratch_client(now), new.clone())?;
    if !reg.store.consume_registration_token(&initial, now).await? {
        return Err(RegError::InvalidToken(
            "the initial access token is invalid, expired or used",
        ));
    }
    let view = reg.clients.create(new).await?;
    let access_token = SecretString::new(random_token(&*reg.random, 32));
    let stored = set_extra(
        reg,
        &view.client_id,
        Some(hash_secret(access_token.expose_secret())),
        info,
    )
    .await;
    let client = match stored {
        Ok(c) => c,
        Err(e) => {
            // Without its token the client could never be managed.
            if let Err(e) = reg.clients.delete(&view.client_id).await {
                tracing::error!(error = %e, "could not remove a half-registered client");
            }
            return Err(e);
        }
    };
    audit
        .record(
            format!("registration_token:{}", token_fingerprint(&initial)),
            AuditAction::ClientCreated,
            Some(format!("client:{}", view.client_id)),
            Outcome::Success,
            json!({ "via": "dynamic_registration" }),
        )
        .await;
    let body = response_body(reg, &client, view, Some(&access_token));
    Ok(no_store(
        (StatusCode::CREATED, json_body(&Value::Object(body))).into_response(),
    ))
}

/// Refuses URIs Pratu would send requests to that reach internal
/// addresses (see [`super::outbound`]); the back-channel logout URI is the
/// one (`jwks_uri` is refused outright, the sector document never fetched).
async fn check_outbound(new: &super::NewClient) -> Result<(), RegError> {
    if let Some(uri) = &new.backchannel_logout_uri {
        super::outbound::public_addresses(uri)
            .await
            .map_err(|e| RegError::InvalidMetadata(format!("backchannel_logout_uri {e}")))?;
    }
    Ok(())
}

/// Whether `client` registered itself (RFC 7591): its URIs are the
/// registrant's choice, checked again before every request Pratu sends.
pub(crate) fn is_self_registered(client: &Client) -> bool {
    client.extra.get(TOKEN_HASH_KEY).is_some()
}

/// Writes the registration metadata Pratu keeps in `extra` (the token
/// digest when `token_hash` is given, and the informational fields, which
/// replace the previous ones).
async fn set_extra(
    reg: &Registration,
    client_id: &str,
    token_hash: Option<Vec<u8>>,
    info: Map<String, Value>,
) -> Result<Client, RegError> {
    let mut client = reg.store.client_by_id(client_id).await?.ok_or_else(|| {
        RegError::Server(InternalError::described(
            "the client of a valid registration token is gone".to_owned(),
        ))
    })?;
    if !client.extra.is_object() {
        client.extra = json!({});
    }
    if let Some(extra) = client.extra.as_object_mut() {
        if let Some(h) = token_hash {
            extra.insert(TOKEN_HASH_KEY.to_owned(), Value::String(B64.encode(h)));
        }
        for f in INFO_FIELDS {
            extra.remove(*f);
        }
        extra.extend(info);
    }
    client.updated_at = reg.clock.now();
    reg.store.update_client(&client).await?;
    Ok(client)
}

/// A blank record to validate metadata against.
fn scratch_client(now: OffsetDateTime) -> Client {
    Client {
        client_id: String::new(),
        secret_hash: None,
        client_name: String::new(),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
        grant_types: vec![],
        response_types: vec![],
        scopes: vec![],
        // Placeholders: `apply_metadata` sets both.
        token_endpoint_auth_method: TokenEndpointAuthMethod::None,
        jwks: None,
        jwks_uri: None,
        id_token_signed_response_alg: None,
        subject_type: SubjectType::Public,
        sector_identifier_uri: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        first_party: false,
        allow_citizen_id: false,
        status: pratu_storage::records::ClientStatus::Active,
        extra: json!({}),
        created_at: now,
        updated_at: now,
        default_acr_values: vec![],
    }
}

/// RFC 7591 §3.2.1 client information: the registered metadata (Pratu's
/// own operator fields left out), the secret when just issued, and the
/// management endpoint with its token when just issued.
fn response_body(
    reg: &Registration,
    client: &Client,
    view: ClientView,
    access_token: Option<&SecretString>,
) -> Map<String, Value> {
    let mut body = match serde_json::to_value(&view) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for operator_only in [
        "first_party",
        "allow_citizen_id",
        "claims_in_id_token",
        "status",
        "created_at",
        "updated_at",
    ] {
        body.remove(operator_only);
    }
    // RFC 7591 §3.2.1 echoes registered metadata; none registered, none
    // echoed.
    if client.default_acr_values.is_empty() {
        body.remove("default_acr_values");
    }
    if let Some(extra) = client.extra.as_object() {
        for f in INFO_FIELDS {
            if let Some(v) = extra.get(*f) {
                body.insert((*f).to_owned(), v.clone());
            }
        }
    }
    if let Some(t) = access_token {
        body.insert(
            "registration_access_token".to_owned(),
            Value::String(t.expose_secret().to_owned()),
        );
    }
    body.insert(
        "registration_client_uri".to_owned(),
        Value::String(
            reg.issuer
                .endpoint(&format!("{REGISTER_PATH}/{}", client.client_id)),
        ),
    );
    body
}

/// The client named in the path, if the request carries its registration
/// access token.
async fn authorised_client(
    reg: &Registration,
    headers: &HeaderMap,
    client_id: &str,
) -> Result<Client, RegError> {
    enabled(reg)?;
    let presented = bearer_hash(headers)?;
    let refused = RegError::InvalidToken("the registration access token is invalid");
    if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(refused);
    }
    let client = reg
        .store
        .client_by_id(client_id)
        .await?
        .ok_or(RegError::InvalidToken(
            "the registration access token is invalid",
        ))?;
    let stored = client
        .extra
        .get(TOKEN_HASH_KEY)
        .and_then(Value::as_str)
        .and_then(|s| B64.decode(s).ok());
    let ok = stored.is_some_and(|s| bool::from(s.as_slice().ct_eq(presented.as_slice())));
    if ok { Ok(client) } else { Err(refused) }
}

/// `GET /connect/register/{client_id}` (RFC 7592 §2.1).
pub(crate) async fn read(
    State(reg): State<Registration>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let client = authorised_client(&reg, &headers, &client_id).await?;
        let view = reg.clients.show(&client.client_id).await?;
        let body = response_body(&reg, &client, view, None);
        Ok::<_, RegError>(no_store(
            (StatusCode::OK, json_body(&Value::Object(body))).into_response(),
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `PUT /connect/register/{client_id}` (RFC 7592 §2.2): the body replaces
/// the whole registration; omitted fields take their defaults.
pub(crate) async fn update(
    State(reg): State<Registration>,
    State(audit): State<Audit>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let client = authorised_client(&reg, &headers, &client_id).await?;
        let request = RegistrationRequest::parse(&body)?;
        request.check_update_fields()?;
        if request.client_id.as_deref() != Some(client.client_id.as_str()) {
            return Err(RegError::InvalidRequest(
                "client_id must be sent and match the client".into(),
            ));
        }
        if let Some(secret) = &request.client_secret {
            let matches = client
                .secret_hash
                .as_deref()
                .is_some_and(|h| verify_secret(secret, h));
            if !matches {
                return Err(RegError::InvalidRequest(
                    "client_secret does not match".into(),
                ));
            }
        }
        let info = request.info()?;
        let new = request.to_new_client(&reg.acr_values_supported)?;
        check_outbound(&new).await?;
        let view = reg.clients.update(&client.client_id, new).await?;
        let stored = set_extra(&reg, &client.client_id, None, info).await?;
        audit
            .record(
                format!("client:{}", client.client_id),
                AuditAction::ClientChanged,
                Some(format!("client:{}", client.client_id)),
                Outcome::Success,
                json!({ "via": "dynamic_registration" }),
            )
            .await;
        let body = response_body(&reg, &stored, view, None);
        Ok(no_store(
            (StatusCode::OK, json_body(&Value::Object(body))).into_response(),
        ))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `DELETE /connect/register/{client_id}` (RFC 7592 §2.3): the client, its
/// consents and refresh tokens go; its token stops working with it.
pub(crate) async fn delete(
    State(reg): State<Registration>,
    State(audit): State<Audit>,
    Path(client_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let client = authorised_client(&reg, &headers, &client_id).await?;
        reg.clients.delete(&client.client_id).await?;
        audit
            .record(
                format!("client:{}", client.client_id),
                AuditAction::ClientDeleted,
                Some(format!("client:{}", client.client_id)),
                Outcome::Success,
                json!({ "via": "dynamic_registration" }),
            )
            .await;
        Ok::<_, RegError>(no_store(StatusCode::NO_CONTENT.into_response()))
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_outage_is_503_temporarily_unavailable_and_a_bug_500() {
        let res = RegError::from(StorageError::Full).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[RETRY_AFTER], "5");
        assert!(res.extensions().get::<InternalError>().is_some());
        let res =
            RegError::from(StorageError::unhandled(std::io::Error::other("bug"))).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().get(RETRY_AFTER).is_none());
    }
}

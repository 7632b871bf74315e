//! `/admin/api/v1/clients`: the client registry through
//! [`pratu_oidc::clients::ClientService`] (the same validation as the CLI).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pratu_core::audit::AuditAction;
use pratu_oidc::clients::{ClientError, ClientView, NewClient, parse_value, parse_values};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Page, body, query};
use crate::auth::Operator;
use crate::problem::{ApiError, Problem};
use crate::state::AdminState;

/// Client metadata an operator sends (RFC 7591 names; `scopes` is a list).
/// Omitted fields take their defaults, as with `pratu client create`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClientMetadata {
    /// Chosen by the operator, or random when absent (create only).
    pub client_id: Option<String>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (native or browser app): no secret, PKCE.
    pub public: bool,
    /// `authorization_code` (default), `refresh_token`, `client_credentials`.
    pub grant_types: Vec<String>,
    /// Scopes the client may request, e.g. `["openid","profile"]` or
    /// `["pratu:admin"]`.
    pub scopes: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
    /// A JWK Set of public keys for `private_key_jwt`.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    pub id_token_signed_response_alg: Option<String>,
    /// `public` (default) or `pairwise`.
    pub subject_type: Option<String>,
    pub sector_identifier_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub first_party: bool,
    pub allow_citizen_id: bool,
    pub claims_in_id_token: bool,
    /// `acr` values a request that asks for none is taken to ask for
    /// (OIDC Dynamic Client Registration §2), e.g. `["urn:pratu:acr:aal2"]`
    /// to have every sign-in to this client stepped up.
    pub default_acr_values: Vec<String>,
}

/// Protocol values arrive as text and are read here, so one Pratu does not
/// support is a 422 naming its field, like any other refused metadata.
impl TryFrom<ClientMetadata> for NewClient {
    type Error = ClientError;

    fn try_from(m: ClientMetadata) -> Result<Self, ClientError> {
        Ok(Self {
            client_id: m.client_id,
            client_name: m.client_name,
            redirect_uris: m.redirect_uris,
            post_logout_redirect_uris: m.post_logout_redirect_uris,
            public: m.public,
            grant_types: parse_values("grant_types", &m.grant_types)?,
            scopes: m.scopes,
            token_endpoint_auth_method: m
                .token_endpoint_auth_method
                .as_deref()
                .map(|v| parse_value("token_endpoint_auth_method", v))
                .transpose()?,
            jwks: m.jwks,
            id_token_signed_response_alg: m.id_token_signed_response_alg,
            subject_type: m
                .subject_type
                .as_deref()
                .map(|v| parse_value("subject_type", v))
                .transpose()?,
            sector_identifier_uri: m.sector_identifier_uri,
            backchannel_logout_uri: m.backchannel_logout_uri,
            backchannel_logout_session_required: m.backchannel_logout_session_required,
            first_party: m.first_party,
            allow_citizen_id: m.allow_citizen_id,
            claims_in_id_token: m.claims_in_id_token,
            default_acr_values: m.default_acr_values,
        })
    }
}

/// A client as the API shows it (`client_secret` only right after create
/// or rotation).
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the JSON of ClientView")]
pub struct Client {
    client_id: String,
    client_secret: Option<String>,
    client_id_issued_at: i64,
    client_secret_expires_at: Option<i64>,
    client_name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    /// Space-separated.
    scope: String,
    token_endpoint_auth_method: String,
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    id_token_signed_response_alg: String,
    subject_type: String,
    sector_identifier_uri: Option<String>,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: bool,
    first_party: bool,
    allow_citizen_id: bool,
    claims_in_id_token: bool,
    default_acr_values: Vec<String>,
    /// `active` or `disabled`.
    status: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientList {
    #[schema(value_type = Vec<Client>)]
    pub clients: Vec<ClientView>,
    /// The `offset` of the next page; absent on the last page.
    pub next_offset: Option<u32>,
}

fn target(id: &str) -> Option<String> {
    Some(format!("client:{id}"))
}

/// Records the call against `client:<id>` and passes its result on.
async fn audited<T>(
    s: &AdminState,
    op: &Operator,
    action: AuditAction,
    id: &str,
    r: Result<T, ApiError>,
) -> Result<T, ApiError> {
    super::audited(s, op, action, target(id), r).await
}

#[utoipa::path(get, path = "/admin/api/v1/clients", tag = "clients",
    params(Page),
    responses((status = 200, body = ClientList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn list(
    State(s): State<AdminState>,
    op: Operator,
    q: Result<Query<Page>, QueryRejection>,
) -> Result<Json<ClientList>, ApiError> {
    let page = query(q)?.resolve(s.0.config.max_page_size);
    let r = s
        .oidc()
        .clients()
        .list(page.limit, page.offset)
        .await
        .map_err(ApiError::from);
    let clients = audited(&s, &op, AuditAction::AdminClientListed, "*", r).await?;
    let next_offset = page.next(clients.len());
    Ok(Json(ClientList {
        clients,
        next_offset,
    }))
}

#[utoipa::path(post, path = "/admin/api/v1/clients", tag = "clients",
    request_body = ClientMetadata,
    responses((status = 201, body = Client), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn create(
    State(s): State<AdminState>,
    op: Operator,
    b: Result<Json<ClientMetadata>, JsonRejection>,
) -> Result<Response, ApiError> {
    let meta = body(b)?;
    let r = match NewClient::try_from(meta) {
        Ok(new) => s.oidc().clients().create(new).await,
        Err(e) => Err(e),
    }
    .map_err(ApiError::from);
    let id = r.as_ref().map_or("-", |v| v.client_id.as_str()).to_owned();
    let view = audited(&s, &op, AuditAction::ClientCreated, &id, r).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[utoipa::path(get, path = "/admin/api/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 200, body = Client), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn show(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Json<ClientView>, ApiError> {
    let r = s.oidc().clients().show(&id).await.map_err(ApiError::from);
    Ok(Json(
        audited(&s, &op, AuditAction::AdminClientShown, &id, r).await?,
    ))
}

#[utoipa::path(put, path = "/admin/api/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)),
    request_body = ClientMetadata,
    responses((status = 200, body = Client), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn update(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<String>,
    b: Result<Json<ClientMetadata>, JsonRejection>,
) -> Result<Json<ClientView>, ApiError> {
    let meta = body(b)?;
    if meta.client_id.as_ref().is_some_and(|m| *m != id) {
        return Err(ApiError::Invalid {
            field: "client_id",
            reason: "cannot be changed".into(),
        });
    }
    let r = match NewClient::try_from(meta) {
        Ok(new) => s.oidc().clients().update(&id, new).await,
        Err(e) => Err(e),
    }
    .map_err(ApiError::from);
    Ok(Json(
        audited(&s, &op, AuditAction::ClientChanged, &id, r).await?,
    ))
}

/// Deletes a client with its consents and refresh tokens, as one unit of
/// work: the cache-invalidation notice goes to every node first, then one
/// transaction deletes the client and its grants and appends the audit
/// record (see `ClientService::delete_with_audit` for why in that order).
/// If the notice cannot be written nothing is deleted and the answer is
/// 503: retry.
#[utoipa::path(delete, path = "/admin/api/v1/clients/{client_id}", tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 503, description = "The ephemeral store is unavailable; nothing was deleted, retry", body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn delete(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let clients = s.oidc().clients();
    super::audited_unit(
        &s,
        &op,
        AuditAction::ClientDeleted,
        target(&id),
        async |record| {
            clients
                .announce_change(&id)
                .await
                .map_err(|e| super::ephemeral_unavailable(&e))?;
            Ok(clients.delete_with_audit(&id, record).await?)
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/admin/api/v1/clients/{client_id}/secret", tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 200, description = "The new secret, shown once", body = Client), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn rotate_secret(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Json<ClientView>, ApiError> {
    let r = s
        .oidc()
        .clients()
        .rotate_secret(&id)
        .await
        .map_err(ApiError::from);
    Ok(Json(
        audited(&s, &op, AuditAction::ClientSecretRotated, &id, r).await?,
    ))
}

async fn set_enabled(
    s: &AdminState,
    op: &Operator,
    id: &str,
    enabled: bool,
) -> Result<Json<ClientView>, ApiError> {
    let clients = s.oidc().clients();
    let r = match clients.set_enabled(id, enabled).await {
        Ok(()) => clients.show(id).await.map_err(ApiError::from),
        Err(e) => Err(e.into()),
    };
    let action = if enabled {
        AuditAction::ClientEnabled
    } else {
        AuditAction::ClientDisabled
    };
    Ok(Json(audited(s, op, action, id, r).await?))
}

#[utoipa::path(post, path = "/admin/api/v1/clients/{client_id}/disable", tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 200, description = "Disabled on every node: no sign-in, no token; its tokens stop working", body = Client), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn disable(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Json<ClientView>, ApiError> {
    set_enabled(&s, &op, &id, false).await
}

#[utoipa::path(post, path = "/admin/api/v1/clients/{client_id}/enable", tag = "clients",
    params(("client_id" = String, Path)),
    responses((status = 200, body = Client), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn enable(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<String>,
) -> Result<Json<ClientView>, ApiError> {
    set_enabled(&s, &op, &id, true).await
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;
    use pratu_storage::records::{GrantType, SubjectType, TokenEndpointAuthMethod};

    use super::*;

    fn meta(v: serde_json::Value) -> ClientMetadata {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn protocol_values_are_read_and_unknown_ones_are_a_422_naming_the_field() {
        let new = NewClient::try_from(meta(serde_json::json!({
            "client_name": "Batch",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "subject_type": "pairwise",
        })))
        .unwrap();
        assert_eq!(new.grant_types, [GrantType::ClientCredentials]);
        assert_eq!(
            new.token_endpoint_auth_method,
            Some(TokenEndpointAuthMethod::PrivateKeyJwt)
        );
        assert_eq!(new.subject_type, Some(SubjectType::Pairwise));

        for (field, value) in [
            (
                "grant_types",
                serde_json::json!(["authorization_code", "password"]),
            ),
            (
                "token_endpoint_auth_method",
                serde_json::json!("tls_client_auth"),
            ),
            ("subject_type", serde_json::json!("secret")),
        ] {
            let mut body = serde_json::json!({ "client_name": "x" });
            body[field] = value;
            let e = ApiError::from(NewClient::try_from(meta(body)).unwrap_err());
            assert!(
                matches!(&e, ApiError::Invalid { field: f, .. } if *f == field),
                "{field}: {e:?}"
            );
            assert_eq!(
                e.into_response().status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{field}"
            );
        }
    }
}

//! What the CLI and admin surfaces print for a client: RFC 7591 metadata
//! names, the secret only when just generated.

use pratu_storage::records::{
    Client, ClientStatus, GrantType, SubjectType, TokenEndpointAuthMethod,
};
use serde::Serialize;
use time::OffsetDateTime;

use super::SecretString;

/// A client as shown to operators (`pratu client show --json`).
#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    pub client_id: String,
    /// Present only right after `create` or `rotate-secret`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretString>,
    /// RFC 7591: when the id was issued (seconds since the epoch).
    pub client_id_issued_at: i64,
    /// RFC 7591: `0` = the secret does not expire; absent for clients
    /// without a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<String>,
    /// RFC 7591: space-separated.
    pub scope: String,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    pub id_token_signed_response_alg: String,
    pub subject_type: SubjectType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Pratu: consent is not asked (operator-marked first-party app).
    pub first_party: bool,
    /// Pratu: may receive `pid` / `citizen_id`.
    pub allow_citizen_id: bool,
    /// Pratu: scope claims are in ID tokens too.
    pub claims_in_id_token: bool,
    /// OIDC Dynamic Client Registration: the `acr` values a request that
    /// asks for none is taken to ask for.
    pub default_acr_values: Vec<String>,
    /// Pratu: `active` or `disabled`.
    pub status: ClientStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl ClientView {
    pub fn of(c: &Client, secret: Option<SecretString>) -> Self {
        Self {
            client_id: c.client_id.clone(),
            client_secret: secret,
            client_id_issued_at: c.created_at.unix_timestamp(),
            client_secret_expires_at: c.secret_hash.as_ref().map(|_| 0),
            client_name: c.client_name.clone(),
            redirect_uris: c.redirect_uris.clone(),
            post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
            grant_types: c.grant_types.clone(),
            response_types: c.response_types.clone(),
            scope: c.scopes.join(" "),
            token_endpoint_auth_method: c.token_endpoint_auth_method,
            jwks: c.jwks.clone(),
            id_token_signed_response_alg: c
                .id_token_signed_response_alg
                .clone()
                .unwrap_or_else(|| "ES256".to_owned()),
            subject_type: c.subject_type,
            sector_identifier_uri: c.sector_identifier_uri.clone(),
            backchannel_logout_uri: c.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: c.backchannel_logout_session_required,
            first_party: c.first_party,
            allow_citizen_id: c.allow_citizen_id,
            claims_in_id_token: super::claims_in_id_token(c),
            default_acr_values: c.default_acr_values.clone(),
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

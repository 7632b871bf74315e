//! Validation of client metadata (RFC 7591 names) before it is stored.

use std::str::FromStr;

use pratu_storage::records::{
    Client, GrantType, SubjectType, TokenEndpointAuthMethod, UnsupportedValue,
};

use super::redirect::{validate_backchannel_uri, validate_redirect_uri};
use super::service::{ClientError, NewClient};
use crate::keys::SigningAlg;
use crate::{acr, scopes};

/// Key in a client's extra metadata: scope claims go in ID tokens too.
pub(crate) const CLAIMS_IN_ID_TOKEN: &str = "claims_in_id_token";

/// Whether `client` wants the scope claims in its ID tokens.
pub(crate) fn claims_in_id_token(client: &Client) -> bool {
    client
        .extra
        .get(CLAIMS_IN_ID_TOKEN)
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

fn invalid(field: &'static str, reason: impl Into<String>) -> ClientError {
    ClientError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A protocol value an edge received as text (the admin API, a form),
/// parsed; one Pratu does not support is refused naming `field`, its
/// RFC 7591 name, as the rest of the metadata is.
pub fn parse_value<T>(field: &'static str, value: &str) -> Result<T, ClientError>
where
    T: FromStr<Err = UnsupportedValue>,
{
    value
        .parse()
        .map_err(|e: UnsupportedValue| invalid(field, e.to_string()))
}

/// [`parse_value`] for each of a list.
pub fn parse_values<T>(field: &'static str, values: &[String]) -> Result<Vec<T>, ClientError>
where
    T: FromStr<Err = UnsupportedValue>,
{
    values.iter().map(|v| parse_value(field, v)).collect()
}

/// Validates `meta` and writes it into `client` (all or nothing).
pub(super) fn apply_metadata(client: &mut Client, meta: NewClient) -> Result<(), ClientError> {
    let name = meta.client_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("client_name", "1-200 characters required"));
    }

    let mut grant_types = if meta.grant_types.is_empty() {
        vec![GrantType::AuthorizationCode]
    } else {
        meta.grant_types.clone()
    };
    grant_types.dedup();
    let code_flow = grant_types.contains(&GrantType::AuthorizationCode);
    if grant_types.contains(&GrantType::RefreshToken) && !code_flow {
        return Err(invalid(
            "grant_types",
            "refresh_token needs authorization_code",
        ));
    }
    if meta.public && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid(
            "grant_types",
            "a public client cannot use client_credentials",
        ));
    }

    if code_flow && meta.redirect_uris.is_empty() {
        return Err(invalid(
            "redirect_uris",
            "at least one is required for authorization_code",
        ));
    }
    for uri in &meta.redirect_uris {
        validate_redirect_uri(uri).map_err(|e| invalid("redirect_uris", format!("{uri}: {e}")))?;
        if !meta.public && !uri.starts_with("https:") && !uri.starts_with("http:") {
            return Err(invalid(
                "redirect_uris",
                format!("{uri}: private-use schemes are for public (native) clients"),
            ));
        }
    }
    for uri in &meta.post_logout_redirect_uris {
        validate_redirect_uri(uri)
            .map_err(|e| invalid("post_logout_redirect_uris", format!("{uri}: {e}")))?;
    }
    if let Some(uri) = &meta.backchannel_logout_uri {
        validate_backchannel_uri(uri)
            .map_err(|e| invalid("backchannel_logout_uri", format!("{uri}: {e}")))?;
    }

    let method = match (meta.token_endpoint_auth_method, meta.public) {
        (Some(m), false) => m,
        (Some(TokenEndpointAuthMethod::None), true) | (None, true) => TokenEndpointAuthMethod::None,
        (Some(_), true) => {
            return Err(invalid(
                "token_endpoint_auth_method",
                "a public client uses none",
            ));
        }
        (None, false) if meta.jwks.is_some() => TokenEndpointAuthMethod::PrivateKeyJwt,
        (None, false) => TokenEndpointAuthMethod::ClientSecretBasic,
    };
    match method {
        TokenEndpointAuthMethod::ClientSecretBasic | TokenEndpointAuthMethod::ClientSecretPost => {}
        TokenEndpointAuthMethod::None if meta.public => {}
        TokenEndpointAuthMethod::None => {
            return Err(invalid(
                "token_endpoint_auth_method",
                "none is only for public clients",
            ));
        }
        TokenEndpointAuthMethod::PrivateKeyJwt => {
            let ok = meta
                .jwks
                .as_ref()
                .and_then(|j| j.get("keys"))
                .and_then(serde_json::Value::as_array)
                .is_some_and(|keys| !keys.is_empty() && keys.iter().all(|k| k.get("d").is_none()));
            if !ok {
                return Err(invalid(
                    "jwks",
                    "private_key_jwt needs a JWK Set of public keys",
                ));
            }
        }
    }

    let mut requested_scopes = if meta.scopes.is_empty() {
        let mut d: Vec<String> = scopes::DEFAULT_CLIENT_SCOPES
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if meta.allow_citizen_id {
            d.extend(scopes::SENSITIVE_SCOPES.iter().map(|s| (*s).to_owned()));
        }
        d
    } else {
        meta.scopes.clone()
    };
    for s in &requested_scopes {
        if !scopes::is_known(s) {
            return Err(invalid("scope", format!("unknown scope {s:?}")));
        }
    }
    if !requested_scopes.iter().any(|s| s == "openid") && code_flow {
        requested_scopes.insert(0, "openid".to_owned());
    }
    requested_scopes.dedup();

    if let Some(alg) = &meta.id_token_signed_response_alg
        && SigningAlg::parse(alg).is_none()
    {
        return Err(invalid(
            "id_token_signed_response_alg",
            "ES256, RS256 or EdDSA",
        ));
    }
    let subject_type = meta.subject_type.unwrap_or(SubjectType::Public);
    if subject_type == SubjectType::Pairwise
        && sector_of(meta.sector_identifier_uri.as_deref(), &meta.redirect_uris).is_none()
    {
        return Err(invalid(
            "sector_identifier_uri",
            "pairwise subjects need a sector_identifier_uri or redirect_uris on one host",
        ));
    }
    if let Some(uri) = &meta.sector_identifier_uri
        && (!uri.starts_with("https://") || url::Url::parse(uri).is_err())
    {
        return Err(invalid("sector_identifier_uri", "must be an https URL"));
    }

    let mut default_acr_values: Vec<String> = Vec::new();
    for v in &meta.default_acr_values {
        if !acr::KNOWN.contains(&v.as_str()) {
            return Err(invalid(
                "default_acr_values",
                format!(
                    "{v:?} is not an acr value Pratu knows ({})",
                    acr::KNOWN.join(", ")
                ),
            ));
        }
        if !default_acr_values.contains(v) {
            default_acr_values.push(v.clone());
        }
    }

    client.client_name = name.to_owned();
    client.redirect_uris = meta.redirect_uris;
    client.post_logout_redirect_uris = meta.post_logout_redirect_uris;
    client.response_types = if code_flow {
        vec!["code".to_owned()]
    } else {
        vec![]
    };
    client.grant_types = grant_types;
    client.scopes = requested_scopes;
    client.token_endpoint_auth_method = method;
    client.jwks = meta.jwks;
    client.id_token_signed_response_alg = meta.id_token_signed_response_alg;
    client.subject_type = subject_type;
    client.sector_identifier_uri = meta.sector_identifier_uri;
    client.backchannel_logout_uri = meta.backchannel_logout_uri;
    client.backchannel_logout_session_required = meta.backchannel_logout_session_required;
    client.first_party = meta.first_party;
    client.allow_citizen_id = meta.allow_citizen_id;
    client.default_acr_values = default_acr_values;
    if !client.extra.is_object() {
        client.extra = serde_json::json!({});
    }
    if let Some(extra) = client.extra.as_object_mut() {
        if meta.claims_in_id_token {
            extra.insert(CLAIMS_IN_ID_TOKEN.to_owned(), serde_json::Value::Bool(true));
        } else {
            extra.remove(CLAIMS_IN_ID_TOKEN);
        }
    }
    Ok(())
}

/// The sector of a pairwise client (OIDC Core §8.1): the host of its
/// `sector_identifier_uri`, else the one host of its redirect URIs. The
/// sector document itself is not fetched: the operator registers clients,
/// so the list of redirect URIs it would hold is known here already.
pub(crate) fn sector_of(
    sector_identifier_uri: Option<&str>,
    redirect_uris: &[String],
) -> Option<String> {
    if let Some(uri) = sector_identifier_uri {
        return url::Url::parse(uri).ok()?.host_str().map(str::to_owned);
    }
    let mut hosts = redirect_uris
        .iter()
        .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned));
    let first = hosts.next()?;
    hosts.all(|h| h == first).then_some(first)
}

//! What a dynamically registering client may ask for (RFC 7591 §2), turned
//! into the [`NewClient`] the registry validates.
//!
//! Stricter than operator registration on purpose: the caller is a piece of
//! software holding nothing but a registration token, so
//! - redirect URIs are `https`, or `http` on a loopback host (RFC 8252
//!   §7.3); no private-use schemes, no fragments, no wildcards;
//! - Pratu's own scopes (`pratu:admin`) and the citizen-ID scopes are
//!   refused, and `first_party` / `allow_citizen_id` / `claims_in_id_token`
//!   are never set — those are operator decisions (`pratu client create`);
//! - `jwks_uri` is refused: keys are registered by value, so Pratu never
//!   fetches URLs a registrant names; `sector_identifier_uri` must be the
//!   redirect URIs' own host (see [`check_sector`]), and
//!   `backchannel_logout_uri`, which Pratu POSTs to, must resolve to public
//!   addresses only (see `outbound`).
//!
//! Metadata Pratu does not use but RFC 7591 defines for display
//! ([`INFO_FIELDS`]) is kept verbatim in the record's extra metadata and
//! echoed back; anything else unknown is ignored (RFC 7591 §2).

use pratu_storage::records::{GrantType, TokenEndpointAuthMethod};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::metadata::{parse_value, parse_values};
use super::redirect::validate_redirect_uri;
use super::service::{ClientError, NewClient};
use crate::scopes::SENSITIVE_SCOPES;

/// RFC 7591 informational metadata, kept and echoed, never interpreted.
pub(super) const INFO_FIELDS: &[&str] = &[
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "contacts",
    "software_id",
    "software_version",
];

/// Scopes of Pratu itself start with this; no registrant gets one.
const PRATU_SCOPE_PREFIX: &str = "pratu:";

/// Longest informational value kept (a URL or a contact).
const MAX_INFO_LEN: usize = 2048;

/// A refusal, as RFC 7591 §3.2.2 names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum MetadataError {
    RedirectUri(String),
    Metadata(String),
    /// RFC 7592 §2.2 protocol violations (fields a client must not send).
    Request(String),
}

/// The request body of registration (RFC 7591 §3.1) and update (RFC 7592
/// §2.2). Unknown members land in `rest`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RegistrationRequest {
    redirect_uris: Vec<String>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
    scope: Option<String>,
    jwks: Option<Value>,
    jwks_uri: Option<String>,
    post_logout_redirect_uris: Vec<String>,
    id_token_signed_response_alg: Option<String>,
    subject_type: Option<String>,
    sector_identifier_uri: Option<String>,
    backchannel_logout_uri: Option<String>,
    backchannel_logout_session_required: bool,
    default_acr_values: Vec<String>,
    pub(super) client_id: Option<String>,
    pub(super) client_secret: Option<String>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// Fields the server issues; an update must not send them (RFC 7592 §2.2).
const SERVER_FIELDS: &[&str] = &[
    "registration_access_token",
    "registration_client_uri",
    "client_secret_expires_at",
    "client_id_issued_at",
];

impl RegistrationRequest {
    pub(super) fn parse(body: &[u8]) -> Result<Self, MetadataError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| MetadataError::Metadata("the body is not a JSON object".into()))?;
        if !value.is_object() {
            return Err(MetadataError::Metadata(
                "the body is not a JSON object".into(),
            ));
        }
        serde_json::from_value(value).map_err(|e| MetadataError::Metadata(e.to_string()))
    }

    /// Refuses server-issued fields in an update.
    pub(super) fn check_update_fields(&self) -> Result<(), MetadataError> {
        if let Some(f) = SERVER_FIELDS.iter().find(|f| self.rest.contains_key(**f)) {
            return Err(MetadataError::Request(format!(
                "{f} is issued by the server and must not be sent"
            )));
        }
        Ok(())
    }

    /// The informational metadata to keep (strings or, for `contacts`, a
    /// list of strings; anything else is refused).
    pub(super) fn info(&self) -> Result<Map<String, Value>, MetadataError> {
        let mut out = Map::new();
        for field in INFO_FIELDS {
            let Some(v) = self.rest.get(*field) else {
                continue;
            };
            let ok = match v {
                Value::String(s) => s.len() <= MAX_INFO_LEN,
                Value::Array(items) if *field == "contacts" => {
                    items.len() <= 20
                        && items
                            .iter()
                            .all(|i| i.as_str().is_some_and(|s| s.len() <= MAX_INFO_LEN))
                }
                _ => false,
            };
            if !ok {
                return Err(MetadataError::Metadata(format!("{field} is malformed")));
            }
            if field.ends_with("_uri") && v.as_str().is_some_and(|u| !is_web_url(u)) {
                return Err(MetadataError::Metadata(format!(
                    "{field} must be an https URL"
                )));
            }
            out.insert((*field).to_owned(), v.clone());
        }
        Ok(out)
    }

    /// The registry's view of the request, after the checks that only
    /// apply to self-registration. `acr_supported` is discovery's
    /// `acr_values_supported`: a registrant may default only to what this
    /// deployment can reach.
    pub(super) fn to_new_client(&self, acr_supported: &[&str]) -> Result<NewClient, MetadataError> {
        for uri in &self.redirect_uris {
            check_redirect_uri(uri).map_err(MetadataError::RedirectUri)?;
        }
        for uri in &self.post_logout_redirect_uris {
            check_redirect_uri(uri)
                .map_err(|e| MetadataError::Metadata(format!("post_logout_redirect_uris: {e}")))?;
        }
        if let Some(sector) = &self.sector_identifier_uri {
            check_sector(sector, &self.redirect_uris).map_err(MetadataError::Metadata)?;
        }
        match (&self.jwks, &self.jwks_uri) {
            (Some(_), Some(_)) => {
                return Err(MetadataError::Metadata(
                    "jwks and jwks_uri are mutually exclusive".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(MetadataError::Metadata(
                    "jwks_uri is not supported; register the keys by value in jwks".into(),
                ));
            }
            _ => {}
        }
        let grant_types = match &self.grant_types {
            Some(names) => parse_values("grant_types", names).map_err(invalid_metadata)?,
            None => vec![GrantType::AuthorizationCode],
        };
        let token_endpoint_auth_method = self
            .token_endpoint_auth_method
            .as_deref()
            .map(|m| parse_value("token_endpoint_auth_method", m))
            .transpose()
            .map_err(invalid_metadata)?;
        let subject_type = self
            .subject_type
            .as_deref()
            .map(|t| parse_value("subject_type", t))
            .transpose()
            .map_err(invalid_metadata)?;
        let code_flow = grant_types.contains(&GrantType::AuthorizationCode);
        if let Some(response_types) = &self.response_types {
            if let Some(other) = response_types.iter().find(|r| *r != "code") {
                return Err(MetadataError::Metadata(format!(
                    "response_types: {other:?} is not supported (only \"code\")"
                )));
            }
            let has_code = response_types.iter().any(|r| r == "code");
            if has_code != code_flow {
                return Err(MetadataError::Metadata(
                    "response_types and grant_types are inconsistent: \"code\" goes with \
                     \"authorization_code\""
                        .into(),
                ));
            }
        }
        let scopes: Vec<String> = self
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        if let Some(s) = scopes
            .iter()
            .find(|s| s.starts_with(PRATU_SCOPE_PREFIX) || SENSITIVE_SCOPES.contains(&s.as_str()))
        {
            return Err(MetadataError::Metadata(format!(
                "scope {s:?} is granted by an operator only"
            )));
        }
        if let Some(v) = self
            .default_acr_values
            .iter()
            .find(|v| !acr_supported.contains(&v.as_str()))
        {
            return Err(MetadataError::Metadata(format!(
                "default_acr_values: {v:?} is not supported (acr_values_supported: {})",
                acr_supported.join(", ")
            )));
        }
        let public = token_endpoint_auth_method == Some(TokenEndpointAuthMethod::None);
        let client_name = match self.client_name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => n.to_owned(),
            _ => default_name(&self.redirect_uris),
        };
        Ok(NewClient {
            client_id: None,
            client_name,
            redirect_uris: self.redirect_uris.clone(),
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            public,
            grant_types,
            scopes,
            token_endpoint_auth_method,
            jwks: self.jwks.clone(),
            id_token_signed_response_alg: self.id_token_signed_response_alg.clone(),
            subject_type,
            sector_identifier_uri: self.sector_identifier_uri.clone(),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self.backchannel_logout_session_required,
            first_party: false,
            allow_citizen_id: false,
            claims_in_id_token: false,
            default_acr_values: self.default_acr_values.clone(),
        })
    }
}

/// A protocol value Pratu does not support, as RFC 7591 §3.2.2 answers it.
fn invalid_metadata(e: ClientError) -> MetadataError {
    MetadataError::Metadata(e.to_string())
}

/// The registry's URI rules (absolute, no fragment, no user info) plus:
/// web schemes only, and no wildcard anywhere.
fn check_redirect_uri(uri: &str) -> Result<(), String> {
    if uri.contains('*') {
        return Err(format!("{uri}: wildcards are not allowed"));
    }
    validate_redirect_uri(uri).map_err(|e| format!("{uri}: {e}"))?;
    if !uri.starts_with("https://") && !uri.starts_with("http://") {
        return Err(format!(
            "{uri}: only https (or http on loopback) is allowed"
        ));
    }
    Ok(())
}

/// OpenID Connect Core §8.1: a sector identifier groups the redirect URIs
/// of one party, whose pairwise `sub` values it then shares. Unchecked, a
/// registrant could name another agency's host and receive that agency's
/// `sub` for every citizen. Pratu does not fetch the sector document (a
/// request to a URL the registrant chose): the sector must be the host of
/// every redirect URI, which is the grouping such a document would prove.
/// A party with redirect URIs on several hosts asks an operator.
fn check_sector(sector: &str, redirect_uris: &[String]) -> Result<(), String> {
    let host = url::Url::parse(sector)
        .ok()
        .filter(|u| u.scheme() == "https")
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .ok_or_else(|| "sector_identifier_uri must be an https URL".to_owned())?;
    let foreign = redirect_uris.iter().find(|r| {
        url::Url::parse(r)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .as_deref()
            != Some(host.as_str())
    });
    match foreign {
        Some(r) => Err(format!(
            "sector_identifier_uri: the sector host {host} must be the host of every \
             redirect URI, and {r} is not on it (Pratu does not fetch sector documents; \
             a client spanning several hosts is registered by an operator)"
        )),
        None => Ok(()),
    }
}

fn is_web_url(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

/// A consent page needs a name: the redirect host stands in for a missing
/// `client_name`.
fn default_name(redirect_uris: &[String]) -> String {
    redirect_uris
        .first()
        .and_then(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned))
        .unwrap_or_else(|| "Unnamed application".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(v: Value) -> Result<NewClient, MetadataError> {
        RegistrationRequest::parse(v.to_string().as_bytes())?.to_new_client(&crate::acr::KNOWN)
    }

    #[test]
    fn default_acr_values_are_only_what_discovery_lists() {
        let body = |acr: &[&str]| {
            serde_json::json!({
                "redirect_uris": ["https://rp.example/cb"],
                "default_acr_values": acr,
            })
            .to_string()
        };
        let parsed = |acr: &[&str], supported: &[&str]| {
            RegistrationRequest::parse(body(acr).as_bytes())
                .unwrap()
                .to_new_client(supported)
        };
        let aal2 = crate::acr::AAL2;
        let ok = parsed(&[aal2], &crate::acr::KNOWN).unwrap();
        assert_eq!(ok.default_acr_values, vec![aal2.to_owned()]);
        assert!(parsed(&[], &[]).unwrap().default_acr_values.is_empty());
        // Without step-up or passkeys aal2 cannot be reached: refused,
        // naming the field.
        match parsed(&[aal2], &[crate::acr::AAL1]) {
            Err(MetadataError::Metadata(m)) => assert!(m.starts_with("default_acr_values"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parsed(&["urn:other:loa:3"], &crate::acr::KNOWN),
            Err(MetadataError::Metadata(_))
        ));
    }

    #[test]
    fn wildcards_private_schemes_and_plain_http_are_invalid_redirect_uris() {
        for uri in [
            "https://*.rp.example/cb",
            "https://rp.example/*",
            "th.go.agency.app:/cb",
            "http://rp.example/cb",
            "https://rp.example/cb#frag",
            "/cb",
        ] {
            let r = req(serde_json::json!({ "redirect_uris": [uri] }));
            assert!(
                matches!(r, Err(MetadataError::RedirectUri(_))),
                "{uri}: {r:?}"
            );
        }
        for uri in [
            "https://rp.example/cb",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost/cb",
        ] {
            assert!(
                req(serde_json::json!({ "redirect_uris": [uri] })).is_ok(),
                "{uri}"
            );
        }
    }

    #[test]
    fn operator_only_scopes_and_flags_are_never_granted() {
        for scope in ["openid pratu:admin", "openid pid", "citizen_id"] {
            let r = req(
                serde_json::json!({ "redirect_uris": ["https://rp.example/cb"], "scope": scope }),
            );
            assert!(matches!(r, Err(MetadataError::Metadata(_))), "{scope}");
        }
        let c = req(serde_json::json!({
            "redirect_uris": ["https://rp.example/cb"],
            "first_party": true, "allow_citizen_id": true, "claims_in_id_token": true
        }))
        .unwrap();
        assert!(!c.first_party && !c.allow_citizen_id && !c.claims_in_id_token);
        assert_eq!(c.client_name, "rp.example");
    }

    #[test]
    fn protocol_values_are_read_into_their_types_and_unknown_ones_refused() {
        let c = req(serde_json::json!({
            "redirect_uris": ["https://rp.example/cb"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "subject_type": "pairwise",
        }))
        .unwrap();
        assert_eq!(
            c.grant_types,
            [GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(
            c.token_endpoint_auth_method,
            Some(TokenEndpointAuthMethod::None)
        );
        assert!(c.public);
        assert_eq!(
            c.subject_type,
            Some(pratu_storage::records::SubjectType::Pairwise)
        );

        for (body, field) in [
            (
                serde_json::json!({ "grant_types": ["authorization_code", "implicit"] }),
                "grant_types",
            ),
            (
                serde_json::json!({ "grant_types": ["urn:ietf:params:oauth:grant-type:jwt-bearer"] }),
                "grant_types",
            ),
            (
                serde_json::json!({ "token_endpoint_auth_method": "client_secret_jwt" }),
                "token_endpoint_auth_method",
            ),
            (
                serde_json::json!({ "subject_type": "Pairwise" }),
                "subject_type",
            ),
        ] {
            let mut body = body;
            body["redirect_uris"] = serde_json::json!(["https://rp.example/cb"]);
            match req(body.clone()) {
                Err(MetadataError::Metadata(d)) => assert!(d.contains(field), "{body}: {d}"),
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    /// Issue 16: a sector naming another party's host would share its
    /// pairwise subjects.
    #[test]
    fn a_sector_must_be_the_redirect_uris_own_host() {
        let body = |sector: &str, uris: &[&str]| {
            serde_json::json!({
                "redirect_uris": uris,
                "subject_type": "pairwise",
                "sector_identifier_uri": sector,
            })
        };
        for (sector, uris) in [
            (
                "https://agency.example.go.th/sector.json",
                &["https://evil.example/cb"][..],
            ),
            (
                "https://rp.example/sector.json",
                &["https://rp.example/cb", "https://other.example/cb"],
            ),
            ("http://rp.example/sector.json", &["https://rp.example/cb"]),
        ] {
            match req(body(sector, uris)) {
                Err(MetadataError::Metadata(d)) => {
                    assert!(d.contains("sector_identifier_uri"), "{d}");
                }
                other => panic!("{sector} {uris:?}: {other:?}"),
            }
        }
        let ok = req(body(
            "https://RP.example/sector.json",
            &["https://rp.example/cb", "https://rp.example/other"],
        ))
        .unwrap();
        assert_eq!(
            ok.sector_identifier_uri.as_deref(),
            Some("https://RP.example/sector.json")
        );
    }

    #[test]
    fn inconsistent_response_types_and_key_sources_are_refused() {
        for body in [
            serde_json::json!({ "grant_types": ["client_credentials"], "response_types": ["code"] }),
            serde_json::json!({ "redirect_uris": ["https://rp.example/cb"], "response_types": ["token"] }),
            serde_json::json!({ "redirect_uris": ["https://rp.example/cb"], "response_types": [] }),
            serde_json::json!({ "jwks": {"keys": []}, "jwks_uri": "https://rp.example/jwks" }),
            serde_json::json!({ "jwks_uri": "https://rp.example/jwks" }),
            serde_json::json!({ "redirect_uris": "https://rp.example/cb" }),
        ] {
            assert!(
                matches!(req(body.clone()), Err(MetadataError::Metadata(_))),
                "{body}"
            );
        }
        assert!(matches!(
            RegistrationRequest::parse(b"[1]"),
            Err(MetadataError::Metadata(_))
        ));
    }
}

//! The `claims` request parameter (OIDC Core §5.5): which individual claims
//! the client wants in the ID token and at userinfo, and OpenID Connect for
//! Identity Assurance `verified_claims` requests.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("claims parameter: {0}")]
pub struct ClaimsRequestError(pub &'static str);

/// What a `claims` parameter asked for, reduced to what Pratu acts on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token: Vec<String>,
    /// `acr` values requested for the ID token (`value` / `values`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr: Vec<String>,
    /// Whether the `acr` request was marked essential.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub acr_essential: bool,
    /// Claims requested inside `verified_claims` (where it was requested).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_userinfo: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_id_token: Option<Vec<String>>,
}

impl ClaimsRequest {
    pub fn parse(raw: &str) -> Result<Self, ClaimsRequestError> {
        let v: Value = serde_json::from_str(raw).map_err(|_| ClaimsRequestError("not JSON"))?;
        let obj = v
            .as_object()
            .ok_or(ClaimsRequestError("not a JSON object"))?;
        let mut out = Self::default();
        for (target, members) in obj {
            let members = match members {
                Value::Object(m) => m,
                Value::Null => continue,
                _ => return Err(ClaimsRequestError("members must be objects")),
            };
            let (names, verified) = match target.as_str() {
                "userinfo" => (&mut out.userinfo, &mut out.verified_userinfo),
                "id_token" => (&mut out.id_token, &mut out.verified_id_token),
                // Other members are ignored (OIDC Core §5.5).
                _ => continue,
            };
            for (name, spec) in members {
                if !(spec.is_null() || spec.is_object()) {
                    return Err(ClaimsRequestError(
                        "each claim request must be null or an object",
                    ));
                }
                if name == "verified_claims" {
                    *verified = Some(verified_claim_names(spec)?);
                    continue;
                }
                if name == "acr" && target == "id_token" {
                    if let Some(v) = spec.get("value").and_then(Value::as_str) {
                        out.acr.push(v.to_owned());
                    }
                    if let Some(vs) = spec.get("values").and_then(Value::as_array) {
                        out.acr
                            .extend(vs.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                    out.acr_essential = spec
                        .get("essential")
                        .and_then(Value::as_bool)
                        .unwrap_or(false);
                }
                if name.len() <= 64 && !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        Ok(out)
    }

    /// Every claim name requested anywhere (for consent and allowance).
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        let verified = (self.verified_userinfo.is_some() || self.verified_id_token.is_some())
            .then_some("verified_claims");
        self.userinfo
            .iter()
            .chain(self.id_token.iter())
            .map(String::as_str)
            .chain(verified)
    }
}

/// The claim names inside a `verified_claims` request: `{"claims": {...}}`,
/// or an array of such objects.
fn verified_claim_names(spec: &Value) -> Result<Vec<String>, ClaimsRequestError> {
    let mut names = Vec::new();
    let items: Vec<&Value> = match spec {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    for item in items {
        if let Some(claims) = item.get("claims") {
            let obj = claims.as_object().ok_or(ClaimsRequestError(
                "verified_claims.claims must be an object",
            ))?;
            for k in obj.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_for_each_target_and_the_acr_request_are_read() {
        let r = ClaimsRequest::parse(
            r#"{"userinfo":{"given_name":{"essential":true},"pid":null},
                "id_token":{"acr":{"essential":true,"values":["urn:pratu:acr:aal2"]},"auth_time":null},
                "other":{}}"#,
        )
        .unwrap();
        assert_eq!(r.userinfo, vec!["given_name", "pid"]);
        assert_eq!(r.id_token, vec!["acr", "auth_time"]);
        assert_eq!(r.acr, vec!["urn:pratu:acr:aal2"]);
        assert!(r.acr_essential);
    }

    #[test]
    fn verified_claims_requests_name_their_claims() {
        let r = ClaimsRequest::parse(
            r#"{"userinfo":{"verified_claims":{"verification":{"trust_framework":null},
                "claims":{"given_name":null,"birthdate":null}}}}"#,
        )
        .unwrap();
        // JSON object members come sorted.
        assert_eq!(
            r.verified_userinfo,
            Some(vec!["birthdate".to_owned(), "given_name".to_owned()])
        );
        assert!(r.all_names().any(|n| n == "verified_claims"));
    }

    #[test]
    fn malformed_requests_are_refused() {
        assert!(ClaimsRequest::parse("nope").is_err());
        assert!(ClaimsRequest::parse("[1]").is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":[]}"#).is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":{"name":1}}"#).is_err());
    }
}

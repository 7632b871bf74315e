//! Reading and checking an authorization request (OIDC Core §3.1.2.1,
//! RFC 6749 §4.1.1, RFC 7636).
//!
//! Order matters: until the client and its redirect URI are established,
//! errors are shown on a page and never redirected (RFC 6749 §4.1.2.1: an
//! open redirector otherwise); after that they go back to the client.

use std::sync::Arc;

use axum::http::HeaderMap;
use pratu_storage::records::Client;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::respond::{AuthorizeError, PageError, RedirectTarget, ResponseMode};
use crate::claims::ClaimsRequest;
use crate::clients::redirect::redirect_uri_matches;
use crate::clients::{GRANT_AUTHORIZATION_CODE, allows_grant};
use crate::scopes;
use crate::state::{AuthorizeFlow, Tokens};
use crate::subject::SubjectKind;
use crate::web::i18n::Locale;
use crate::web::params::Params;

/// A checked authorization request, kept in the ephemeral store while the
/// user signs in or consents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// Requested scopes the client may have, in request order.
    pub scopes: Vec<String>,
    #[serde(default)]
    pub claims: ClaimsRequest,
    /// S256 challenge.
    pub code_challenge: Option<String>,
    pub prompt_none: bool,
    pub prompt_consent: bool,
    /// A sign-in at or after this time (unix seconds) is required
    /// (`prompt=login`, `prompt=select_account`, `max_age=0`).
    pub login_after: Option<i64>,
    pub max_age: Option<i64>,
    pub login_hint: Option<String>,
    /// The account an `id_token_hint` names.
    pub hint_user: Option<Uuid>,
    pub locale: Locale,
    pub acr_values: Vec<String>,
    pub created_at: i64,
    /// The second factor the citizen chose on a step-up page ("use another
    /// way"); `None`: the account's strongest.
    #[serde(default)]
    pub step_up_factor: Option<String>,
}

impl AuthRequest {
    pub fn target(&self) -> RedirectTarget {
        RedirectTarget {
            redirect_uri: self.redirect_uri.clone(),
            response_mode: self.response_mode,
            state: self.state.clone(),
            locale: self.locale,
        }
    }

    /// Every scope the user is asked to share, including those implied by
    /// individually requested claims.
    pub fn consent_scopes(&self) -> Vec<String> {
        let mut v = self.scopes.clone();
        for name in self.claims.all_names() {
            if let Some(s) = scopes::scope_of_claim(name)
                && !v.iter().any(|x| x == s)
            {
                v.push(s.to_owned());
            }
        }
        v
    }
}

const MAX_STATE: usize = 2048;
const MAX_NONCE: usize = 512;
pub(crate) const MAX_HINT: usize = 256;

/// Checks the parameters of `/authorize`.
pub(crate) async fn validate(
    flow: &AuthorizeFlow,
    p: &Params,
    headers: &HeaderMap,
) -> Result<(AuthRequest, Arc<Client>), AuthorizeError> {
    let locale = flow
        .forms
        .locale(headers, Locale::from_ui_locales(p.get("ui_locales")));
    let page = |e: PageError| AuthorizeError::Page(e, locale);
    for name in ["client_id", "redirect_uri"] {
        if p.is_duplicated(name) {
            return Err(page(PageError::BadRequest(format!("{name} is repeated"))));
        }
    }
    let client_id = p
        .get("client_id")
        .ok_or_else(|| page(PageError::BadRequest("client_id is missing".into())))?;
    let client = flow
        .clients
        .active(client_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "client lookup failed");
            page(PageError::Server)
        })?
        .ok_or_else(|| page(PageError::UnknownClient))?;
    let redirect_uri = p
        .get("redirect_uri")
        .ok_or_else(|| page(PageError::BadRequest("redirect_uri is missing".into())))?;
    if !redirect_uri_matches(&client.redirect_uris, redirect_uri) {
        return Err(page(PageError::BadRedirectUri));
    }

    // From here on, errors are redirected to the client.
    // An unsupported mode is refused below, answered in the default mode.
    let requested_mode = p.get("response_mode").map(str::parse::<ResponseMode>);
    let response_mode = match requested_mode {
        Some(Ok(mode)) => mode,
        Some(Err(_)) | None => ResponseMode::Query,
    };
    let target = RedirectTarget {
        redirect_uri: redirect_uri.to_owned(),
        response_mode,
        state: p
            .get("state")
            .filter(|_| !p.is_duplicated("state"))
            .map(str::to_owned),
        locale,
    };
    let fail = |error: &'static str, description: String| AuthorizeError::Redirect {
        target: target.clone(),
        error,
        description,
    };
    let invalid = |d: &str| fail("invalid_request", d.to_owned());

    if let Some(name) = p.first_duplicate() {
        return Err(fail("invalid_request", format!("{name} is repeated")));
    }
    if p.contains("request") {
        return Err(fail(
            "request_not_supported",
            "request objects are not supported".into(),
        ));
    }
    if p.contains("request_uri") {
        return Err(fail(
            "request_uri_not_supported",
            "request_uri is not supported".into(),
        ));
    }
    if p.contains("registration") {
        return Err(fail(
            "registration_not_supported",
            "registration is not supported".into(),
        ));
    }
    match p.get("response_type") {
        None => return Err(invalid("response_type is missing")),
        Some("code") => {}
        Some(_) => {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported".into(),
            ));
        }
    }
    if let Some(Err(_)) = requested_mode {
        return Err(invalid("response_mode must be query or form_post"));
    }
    if !allows_grant(&client, GRANT_AUTHORIZATION_CODE) {
        return Err(fail(
            "unauthorized_client",
            "this client may not use the authorization code flow".into(),
        ));
    }

    let requested = p.get("scope").ok_or_else(|| invalid("scope is missing"))?;
    let mut granted: Vec<String> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if scopes::client_may_request(&client.scopes, client.allow_citizen_id, s)
            && !granted.iter().any(|g| g == s)
        {
            granted.push(s.to_owned());
        }
    }
    if granted.is_empty() {
        return Err(fail(
            "invalid_scope",
            "none of the requested scopes is available to this client".into(),
        ));
    }

    let code_challenge = match (p.get("code_challenge"), p.get("code_challenge_method")) {
        (None, None) => None,
        (Some(c), Some("S256")) => {
            if !(43..=128).contains(&c.len())
                || !c
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
            {
                return Err(invalid("code_challenge is malformed"));
            }
            Some(c.to_owned())
        }
        (Some(_), None) | (Some(_), Some("plain")) => {
            return Err(invalid(
                "code_challenge_method must be S256 (plain is not accepted)",
            ));
        }
        (Some(_), Some(_)) => return Err(invalid("code_challenge_method must be S256")),
        (None, Some(_)) => return Err(invalid("code_challenge is missing")),
    };
    if code_challenge.is_none() && client.token_endpoint_auth_method == crate::clients::AUTH_NONE {
        return Err(invalid(
            "public clients must use PKCE (code_challenge with S256)",
        ));
    }

    let now = flow.clock.now().unix_timestamp();
    let (mut prompt_none, mut prompt_login, mut prompt_consent) = (false, false, false);
    if let Some(prompt) = p.get("prompt") {
        for v in prompt.split(' ').filter(|s| !s.is_empty()) {
            match v {
                "none" => prompt_none = true,
                "login" | "select_account" => prompt_login = true,
                "consent" => prompt_consent = true,
                _ => return Err(invalid("prompt has an unsupported value")),
            }
        }
        if prompt_none && (prompt_login || prompt_consent) {
            return Err(invalid("prompt=none cannot be combined with other values"));
        }
    }
    let max_age = match p.get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<u32>()
                .map(i64::from)
                .map_err(|_| invalid("max_age must be a non-negative integer"))?,
        ),
    };
    let login_after = (prompt_login || max_age == Some(0)).then_some(now);

    let mut claims = match p.get("claims") {
        None => ClaimsRequest::default(),
        Some(raw) => {
            ClaimsRequest::parse(raw).map_err(|e| fail("invalid_request", e.to_string()))?
        }
    };
    let allowed = |name: &String| {
        scopes::scope_of_claim(name)
            .is_some_and(|s| scopes::client_may_request(&client.scopes, client.allow_citizen_id, s))
    };
    claims.userinfo.retain(allowed);
    claims.id_token.retain(allowed);
    let ial_allowed = scopes::client_may_request(&client.scopes, client.allow_citizen_id, "ial");
    if !ial_allowed {
        claims.verified_userinfo = None;
        claims.verified_id_token = None;
    }

    let state_param = p.get("state");
    let nonce = p.get("nonce");
    let login_hint = p.get("login_hint");
    if state_param.is_some_and(|s| s.len() > MAX_STATE)
        || nonce.is_some_and(|s| s.len() > MAX_NONCE)
        || login_hint.is_some_and(|s| s.len() > MAX_HINT)
    {
        return Err(invalid("a parameter is too long"));
    }

    let hint_user = match p.get("id_token_hint") {
        None => None,
        Some(hint) => Some(
            flow.tokens
                .hint_subject(&client, hint)
                .ok_or_else(|| invalid("id_token_hint is not an ID token issued here"))?,
        ),
    };

    let acr_values = requested_acr_values(p.get("acr_values"), &claims, &client);

    Ok((
        AuthRequest {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            response_mode,
            state: state_param.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            scopes: granted,
            claims,
            code_challenge,
            prompt_none,
            prompt_consent,
            login_after,
            max_age,
            login_hint: login_hint.map(str::to_owned),
            hint_user,
            locale,
            acr_values,
            created_at: now,
            step_up_factor: None,
        },
        client,
    ))
}

/// The `acr` values the request asks for: its `acr_values`, or, when it
/// asks for no `acr` at all (neither `acr_values` nor an `acr` claim
/// request), the client's `default_acr_values` (OIDC Dynamic Client
/// Registration §2). An operator sets those for an agency that always
/// wants step-up but whose software cannot send `acr_values`; step-up
/// itself reads the result like any requested value.
fn requested_acr_values(
    param: Option<&str>,
    claims: &ClaimsRequest,
    client: &Client,
) -> Vec<String> {
    let asked: Vec<String> = param
        .map(|v| {
            v.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if asked.is_empty() && claims.acr.is_empty() {
        client.default_acr_values.clone()
    } else {
        asked
    }
}

/// The account an ID token we issued names, if `hint` is one (its expiry
/// does not matter: OIDC Core §3.1.2.1).
impl Tokens {
    pub(crate) fn hint_subject(&self, client: &Client, hint: &str) -> Option<Uuid> {
        #[derive(serde::Deserialize)]
        struct Hint {
            sub: String,
        }
        let hint: Hint = self
            .keys
            .ring()
            .decode_id_token_hint(&self.issuer.url, hint)
            .ok()?
            .claims;
        SubjectKind::of(client).user(&self.server_key, &hint.sub)
    }
}

#[cfg(test)]
mod tests {
    use pratu_storage::testing::fixtures;

    use super::*;
    use crate::acr::{AAL1, AAL2};

    #[test]
    fn the_clients_default_acr_values_stand_in_only_when_no_acr_is_asked_for() {
        let mut client = fixtures::public_client("rp");
        client.default_acr_values = vec![AAL2.to_owned()];
        let none = ClaimsRequest::default();
        assert_eq!(requested_acr_values(None, &none, &client), vec![AAL2]);
        assert_eq!(requested_acr_values(Some("  "), &none, &client), vec![AAL2]);
        // The request's own values win, even weaker ones.
        assert_eq!(requested_acr_values(Some(AAL1), &none, &client), vec![AAL1]);
        // So does an acr claim request.
        let claims = ClaimsRequest {
            acr: vec![AAL1.to_owned()],
            ..ClaimsRequest::default()
        };
        assert!(requested_acr_values(None, &claims, &client).is_empty());
        // No default: nothing asked.
        client.default_acr_values.clear();
        assert!(requested_acr_values(None, &none, &client).is_empty());
    }
}

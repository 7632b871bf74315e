//! The userinfo endpoint (OIDC Core §5.3): GET or POST, the access token in
//! the `Authorization: Bearer` header or a form body's `access_token`
//! (RFC 6750 §2.1-2.2; the query string is not accepted). Errors per RFC
//! 6750 §3 with `WWW-Authenticate`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use pratu_storage::records::UserStatus;
use serde_json::{Map, Value};

use crate::claims::Source;
use crate::scopes;
use crate::state::{Accounts, Clients, Tokens};
use crate::subject::SubjectKind;
use crate::web::oauth_error::{ErrorCode, OAuthError, internal};
use crate::web::params::Params;

#[tracing::instrument(name = "pratu.oidc.userinfo", skip_all)]
pub(crate) async fn userinfo(
    State(tokens): State<Tokens>,
    State(clients): State<Clients>,
    State(accounts): State<Accounts>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&tokens, &clients, &accounts, &method, &headers, &body).await {
        Ok(claims) => {
            let mut res = axum::Json(Value::Object(claims)).into_response();
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}

/// The bearer token of a request, from the header or (POST) the form body.
pub(crate) fn bearer_token(
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<String, OAuthError> {
    let header = match headers.get(AUTHORIZATION) {
        None => None,
        Some(v) => {
            let v = v
                .to_str()
                .map_err(|_| OAuthError::invalid_token("malformed Authorization header"))?;
            match v.split_once(' ') {
                Some((scheme, t))
                    if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() =>
                {
                    Some(t.trim().to_owned())
                }
                _ => {
                    return Err(bearer_request_error(
                        "the Authorization header must use the Bearer scheme",
                    ));
                }
            }
        }
    };
    let form = if *method == Method::POST {
        Params::from_form(headers, body).and_then(|p| {
            if p.is_duplicated("access_token") {
                Some(Err(()))
            } else {
                p.get("access_token").map(|t| Ok(t.to_owned()))
            }
        })
    } else {
        None
    };
    match (header, form) {
        (Some(_), Some(_)) => Err(bearer_request_error(
            "the access token was sent in more than one way",
        )),
        (_, Some(Err(()))) => Err(bearer_request_error("access_token is repeated")),
        (Some(t), None) | (None, Some(Ok(t))) => Ok(t),
        (None, None) => Err(OAuthError::missing_bearer()),
    }
}

fn bearer_request_error(d: &'static str) -> OAuthError {
    OAuthError {
        code: ErrorCode::InvalidRequest,
        description: d.into(),
        challenge: crate::web::oauth_error::Challenge::Bearer,
        cause: None,
    }
}

async fn handle(
    tokens: &Tokens,
    clients: &Clients,
    accounts: &Accounts,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Map<String, Value>, OAuthError> {
    let token = bearer_token(method, headers, body)?;
    // An outage answers 503, not `invalid_token`: the client keeps its
    // token and retries.
    let at = tokens.verify_access_token(&token).await?;
    let granted: Vec<&str> = at.scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !granted.contains(&"openid") {
        return Err(OAuthError {
            code: ErrorCode::InsufficientScope,
            description: "the access token lacks the openid scope".into(),
            challenge: crate::web::oauth_error::Challenge::Bearer,
            cause: None,
        });
    }
    let client = clients
        .active(&at.client_id)
        .await
        .map_err(|e| internal(&e))?
        .ok_or_else(|| OAuthError::invalid_token("the client of this token is no longer active"))?;
    let user_id = SubjectKind::of(&client)
        .user(&tokens.server_key, &at.sub)
        .ok_or_else(|| OAuthError::invalid_token("the access token is not valid"))?;
    let user = accounts
        .store
        .user_by_id(user_id)
        .await
        .map_err(|e| internal(&e))?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(|| OAuthError::invalid_token("the account is no longer active"))?;

    let source = Source {
        user: &user,
        citizen_ids: &accounts.citizen_ids,
        allow_citizen_id: client.allow_citizen_id,
    };
    let mut out = Map::new();
    out.insert("sub".into(), Value::String(at.sub.clone()));
    for s in &granted {
        source.release(scopes::claims_of(s).iter().copied(), &mut out);
    }
    if let Some(names) = &at.userinfo_claims {
        source.release(names.iter().map(String::as_str), &mut out);
    }
    if let Some(names) = &at.verified_claims
        && let Some(v) = source.verified_claims(names)
    {
        out.insert("verified_claims".into(), v);
    }
    Ok(out)
}

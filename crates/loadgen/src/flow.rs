//! The authorization-code flow with PKCE as a browser and a relying party
//! drive it together: authorize, the login form (when there is no SSO
//! session), consent (when asked), the code back at the redirect URI, the
//! token request, and the ID token verified.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::conn::{Conn, Response};
use crate::ctx::Ctx;
use crate::error::LoadError;
use crate::html;

/// The token endpoint's answer.
#[derive(Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    /// Seconds the access token lives (RFC 6749 §5.1).
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// What a completed flow leaves the relying party with.
#[derive(Debug)]
pub struct Signed {
    pub tokens: Tokens,
    pub sub: String,
}

pub fn random_token(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    crate::random::fill(&mut b);
    B64.encode(b)
}

/// Redirects and pages one flow may pass through before it is a failure.
const MAX_STEPS: usize = 12;

/// Runs one flow. `user` is `None` for an SSO flow: a login page is then an
/// error (the session was expected to carry the sign-in).
pub async fn sign_in(
    conn: &mut Conn,
    ctx: &Ctx,
    user: Option<(&str, &str)>,
) -> Result<Signed, LoadError> {
    let verifier = random_token(32);
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    let state = random_token(12);
    let nonce = random_token(12);
    let query = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", ctx.client_id.as_str()),
        ("redirect_uri", ctx.redirect_uri.as_str()),
        ("scope", ctx.scope.as_str()),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ])
    .map_err(|e| LoadError::protocol(format!("authorize query: {e}")))?;
    let mut res = conn.get(&format!("{}?{query}", ctx.ep.authorize)).await?;
    let mut signed_in = false;
    let mut consented = false;
    let mut back = None;
    for _ in 0..MAX_STEPS {
        if matches!(res.status, 302 | 303) {
            let loc = res
                .location()
                .ok_or_else(|| LoadError::protocol("redirect without Location"))?
                .to_owned();
            if loc.starts_with(&ctx.redirect_uri) {
                back = Some(loc);
                break;
            }
            let path = conn.target().local(&loc).ok_or_else(|| {
                LoadError::protocol(format!("redirected off the provider to {loc}"))
            })?;
            res = conn.get(&path).await?;
            continue;
        }
        if res.status != 200 {
            return Err(LoadError::status("authorize", res.status, &res.body));
        }
        let page = res.text().into_owned();
        if let Some(form) = html::form_with(&page, "current-password") {
            let (username, password) = user.ok_or_else(|| {
                LoadError::protocol("the login page was shown although an SSO session exists")
            })?;
            if signed_in {
                return Err(LoadError::protocol(
                    "the login page came back after signing in (wrong password?)",
                ));
            }
            signed_in = true;
            let mut fields = form.hidden;
            fields.push(("username".into(), username.into()));
            fields.push(("password".into(), password.into()));
            res = submit(conn, &form.action, &fields).await?;
        } else if let Some(form) = html::form_with(&page, r#"name="decision""#) {
            if consented {
                return Err(LoadError::protocol(
                    "the consent page came back after consenting",
                ));
            }
            consented = true;
            let mut fields = form.hidden;
            fields.push(("decision".into(), "allow".into()));
            res = submit(conn, &form.action, &fields).await?;
        } else {
            let head: String = page.chars().take(300).collect();
            return Err(LoadError::protocol(format!(
                "unexpected page in the flow: {head}"
            )));
        }
    }
    let back = back.ok_or_else(|| LoadError::protocol("the flow did not return to the client"))?;
    let url =
        url::Url::parse(&back).map_err(|e| LoadError::protocol(format!("redirect URI: {e}")))?;
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(err) = param("error") {
        return Err(LoadError::protocol(format!(
            "authorization error {err}: {}",
            param("error_description").unwrap_or_default()
        )));
    }
    if param("state").as_deref() != Some(state.as_str()) {
        return Err(LoadError::protocol("state does not match"));
    }
    let code = param("code").ok_or_else(|| LoadError::protocol("no code in the redirect"))?;
    let res = conn
        .post_form(
            &ctx.ep.token,
            ctx.basic.as_ref(),
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", ctx.redirect_uri.as_str()),
                ("code_verifier", verifier.as_str()),
                ("client_id", ctx.client_id.as_str()),
            ],
        )
        .await?;
    let tokens: Tokens = res.json("token (authorization_code)", 200)?;
    let id_token = tokens
        .id_token
        .as_deref()
        .ok_or_else(|| LoadError::protocol("no id_token"))?;
    let claims = ctx.verifier.verify(id_token, &ctx.client_id, &nonce)?;
    Ok(Signed {
        tokens,
        sub: claims.sub,
    })
}

async fn submit(
    conn: &mut Conn,
    action: &str,
    fields: &[(String, String)],
) -> Result<Response, LoadError> {
    let path = if action.is_empty() {
        return Err(LoadError::protocol("form without action"));
    } else {
        conn.target().local(action).ok_or_else(|| {
            LoadError::protocol(format!("form posts off the provider to {action}"))
        })?
    };
    conn.post_form(&path, None, fields).await
}

/// `GET /userinfo` with the access token; checks `sub`.
pub async fn userinfo(
    conn: &mut Conn,
    ctx: &Ctx,
    access_token: &str,
    sub: &str,
) -> Result<(), LoadError> {
    #[derive(Deserialize)]
    struct Info {
        sub: String,
    }
    let auth = bearer(access_token)?;
    let info: Info = conn
        .get_auth(&ctx.ep.userinfo, &auth)
        .await?
        .json("userinfo", 200)?;
    if info.sub != sub {
        return Err(LoadError::protocol(
            "userinfo sub differs from the ID token's",
        ));
    }
    Ok(())
}

pub fn bearer(token: &str) -> Result<http::HeaderValue, LoadError> {
    http::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| LoadError::protocol("access token does not fit a header"))
}

//! The scenarios and what one virtual user does in each: a set-up (not
//! measured) and one operation, repeated.

use std::fmt;

use serde::Deserialize;

use crate::conn::Conn;
use crate::ctx::Ctx;
use crate::enroll;
use crate::error::LoadError;
use crate::flow;

/// What a run exercises. One operation is one request, or one whole flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// `GET /.well-known/openid-configuration`.
    Discovery,
    /// `GET /jwks`.
    Jwks,
    /// `POST /token` with `grant_type=client_credentials` (one access token).
    ClientCredentials,
    /// A full sign-in with a fresh browser: authorize → login form with the
    /// password → consent if shown → code → token (ID token verified) →
    /// userinfo.
    LoginFlow,
    /// authorize → code → token with an existing SSO session (no password).
    SsoFlow,
    /// `POST /token` with `grant_type=refresh_token`; each virtual user
    /// follows its own rotation chain.
    Refresh,
    /// `GET /userinfo` with a bearer access token.
    Userinfo,
    /// `POST /introspect` of an access token.
    Introspect,
    /// The whole enrollment JSON API flow, OTP read from the SMS outbox.
    Enrollment,
}

impl Scenario {
    pub const ALL: [Scenario; 9] = [
        Scenario::Discovery,
        Scenario::Jwks,
        Scenario::ClientCredentials,
        Scenario::Refresh,
        Scenario::Userinfo,
        Scenario::Introspect,
        Scenario::SsoFlow,
        Scenario::LoginFlow,
        Scenario::Enrollment,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Discovery => "discovery",
            Scenario::Jwks => "jwks",
            Scenario::ClientCredentials => "client-credentials",
            Scenario::LoginFlow => "login-flow",
            Scenario::SsoFlow => "sso-flow",
            Scenario::Refresh => "refresh",
            Scenario::Userinfo => "userinfo",
            Scenario::Introspect => "introspect",
            Scenario::Enrollment => "enrollment",
        }
    }

    pub fn needs_client(self) -> bool {
        !matches!(
            self,
            Scenario::Discovery | Scenario::Jwks | Scenario::Enrollment
        )
    }

    pub fn needs_secret(self) -> bool {
        matches!(self, Scenario::ClientCredentials | Scenario::Introspect)
    }

    pub fn needs_user(self) -> bool {
        matches!(
            self,
            Scenario::LoginFlow | Scenario::SsoFlow | Scenario::Refresh | Scenario::Userinfo
        )
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One virtual user: its connection and whatever its scenario carries from
/// one operation to the next.
#[derive(Debug)]
pub struct Vu {
    pub index: usize,
    conn: Conn,
    state: VuState,
}

#[derive(Debug)]
enum VuState {
    Stateless,
    /// The refresh token to present next (rotation chain).
    Refresh(String),
    /// An access token and its subject.
    Access {
        token: String,
        sub: String,
        /// When to sign in again for a new one (a relying party does not
        /// present a token it knows has expired; only a long run, the
        /// soak, gets there).
        renew_at: Option<tokio::time::Instant>,
    },
}

/// A token is renewed this long before its stated expiry.
const RENEW_MARGIN: u64 = 30;

fn renew_at(expires_in: Option<u64>) -> Option<tokio::time::Instant> {
    expires_in.map(|s| {
        tokio::time::Instant::now() + std::time::Duration::from_secs(s.saturating_sub(RENEW_MARGIN))
    })
}

#[derive(Deserialize)]
struct CcTokens {
    access_token: String,
}

#[derive(Deserialize)]
struct Introspection {
    active: bool,
}

impl Vu {
    /// The unmeasured part: sign in for the scenarios that start from a
    /// session or a token.
    pub async fn setup(index: usize, scenario: Scenario, ctx: &Ctx) -> Result<Self, LoadError> {
        let mut conn = Conn::new(ctx.target.clone());
        let state = match scenario {
            Scenario::SsoFlow => {
                flow::sign_in(&mut conn, ctx, ctx.user(index)).await?;
                VuState::Stateless
            }
            Scenario::Refresh => {
                let signed = flow::sign_in(&mut conn, ctx, ctx.user(index)).await?;
                conn.clear_cookies();
                VuState::Refresh(signed.tokens.refresh_token.ok_or_else(|| {
                    LoadError::setup(
                        "the client got no refresh token (grant refresh_token missing?)",
                    )
                })?)
            }
            Scenario::Userinfo => {
                let signed = flow::sign_in(&mut conn, ctx, ctx.user(index)).await?;
                conn.clear_cookies();
                VuState::Access {
                    renew_at: renew_at(signed.tokens.expires_in),
                    token: signed.tokens.access_token,
                    sub: signed.sub,
                }
            }
            Scenario::Introspect => {
                let t = client_credentials(&mut conn, ctx).await?;
                VuState::Access {
                    token: t,
                    sub: String::new(),
                    renew_at: None,
                }
            }
            _ => VuState::Stateless,
        };
        Ok(Self { index, conn, state })
    }

    /// One measured operation.
    pub async fn op(&mut self, scenario: Scenario, ctx: &Ctx) -> Result<(), LoadError> {
        match scenario {
            Scenario::Discovery => {
                let r = self.conn.get(&ctx.ep.discovery).await?;
                r.expect("discovery", 200)?;
                if r.body.is_empty() {
                    return Err(LoadError::protocol("empty discovery document"));
                }
                Ok(())
            }
            Scenario::Jwks => {
                let r = self.conn.get(&ctx.ep.jwks).await?;
                r.expect("jwks", 200)?;
                if r.body.is_empty() {
                    return Err(LoadError::protocol("empty JWKS"));
                }
                Ok(())
            }
            Scenario::ClientCredentials => client_credentials(&mut self.conn, ctx).await.map(drop),
            Scenario::LoginFlow => {
                self.conn.clear_cookies();
                let user = ctx.user(self.index);
                let signed = flow::sign_in(&mut self.conn, ctx, user).await?;
                flow::userinfo(
                    &mut self.conn,
                    ctx,
                    &signed.tokens.access_token,
                    &signed.sub,
                )
                .await
            }
            Scenario::SsoFlow => flow::sign_in(&mut self.conn, ctx, None).await.map(drop),
            Scenario::Refresh => {
                let VuState::Refresh(current) = &self.state else {
                    return Err(LoadError::protocol("no refresh token"));
                };
                let res = self
                    .conn
                    .post_form(
                        &ctx.ep.token,
                        ctx.basic.as_ref(),
                        &[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", current.as_str()),
                            ("client_id", ctx.client_id.as_str()),
                        ],
                    )
                    .await?;
                let t: flow::Tokens = res.json("token (refresh_token)", 200)?;
                let next = t.refresh_token.ok_or_else(|| {
                    LoadError::protocol("refresh did not rotate: no new refresh token")
                })?;
                if &next == current {
                    return Err(LoadError::protocol(
                        "refresh returned the same refresh token",
                    ));
                }
                self.state = VuState::Refresh(next);
                Ok(())
            }
            Scenario::Userinfo => {
                if let VuState::Access {
                    renew_at: Some(at), ..
                } = &self.state
                    && tokio::time::Instant::now() >= *at
                {
                    *self = Self::setup(self.index, Scenario::Userinfo, ctx).await?;
                }
                let VuState::Access { token, sub, .. } = &self.state else {
                    return Err(LoadError::protocol("no access token"));
                };
                flow::userinfo(&mut self.conn, ctx, token, sub).await
            }
            Scenario::Introspect => {
                let VuState::Access { token, .. } = &self.state else {
                    return Err(LoadError::protocol("no access token"));
                };
                let res = self
                    .conn
                    .post_form(
                        &ctx.ep.introspect,
                        Some(ctx.basic()?),
                        &[("token", token.as_str())],
                    )
                    .await?;
                let i: Introspection = res.json("introspect", 200)?;
                if i.active {
                    Ok(())
                } else {
                    Err(LoadError::protocol(
                        "introspection says a fresh token is inactive",
                    ))
                }
            }
            Scenario::Enrollment => enroll::enroll_one(&mut self.conn, ctx).await,
        }
    }
}

async fn client_credentials(conn: &mut Conn, ctx: &Ctx) -> Result<String, LoadError> {
    let res = conn
        .post_form(
            &ctx.ep.token,
            Some(ctx.basic()?),
            &[("grant_type", "client_credentials")],
        )
        .await?;
    let t: CcTokens = res.json("token (client_credentials)", 200)?;
    if t.access_token.is_empty() {
        return Err(LoadError::protocol("empty access token"));
    }
    Ok(t.access_token)
}

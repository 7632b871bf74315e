//! Back-Channel Logout 1.0: a signed logout token POSTed to every client of
//! the ended session that registered a `backchannel_logout_uri`. Deliveries
//! run in spawned tasks with a few bounded retries and never hold up the
//! user's logout.

use std::sync::Arc;
use std::time::Duration;

use pratu_storage::records::Client;
use serde_json::json;
use uuid::Uuid;

use crate::clients::outbound::public_addresses;
use crate::clients::random_token;
use crate::clients::registration::is_self_registered;
use crate::config::LOGOUT_TOKEN_LIFETIME_SECONDS;
use crate::state::{Logout, Tokens};
use crate::subject::SubjectKind;

const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
const ATTEMPTS: u32 = 3;

impl Tokens {
    /// The logout token for `client` (OIDC Back-Channel Logout §2.4).
    pub(crate) fn logout_token(&self, client: &Client, user: Uuid, sid: &str) -> Option<String> {
        let now = self.clock.now().unix_timestamp();
        let lifetime = i64::try_from(LOGOUT_TOKEN_LIFETIME_SECONDS).unwrap_or(120);
        let claims = json!({
            "iss": self.issuer.url,
            "aud": client.client_id,
            "iat": now,
            "exp": now + lifetime,
            "jti": random_token(&*self.random, 16),
            "sub": SubjectKind::of(client).subject(&self.server_key, user),
            "sid": sid,
            "events": { EVENT: {} },
        });
        let ring = self.keys.ring();
        let key = ring.signer(self.id_token_alg(client), self.clock.now())?;
        key.sign(Some("logout+jwt"), &claims).ok()
    }
}

impl Logout {
    /// Sends logout tokens to the clients of an ended session, in the
    /// background.
    pub(crate) fn notify_backchannel(&self, client_ids: Vec<String>, user: Uuid, sid: String) {
        for client_id in client_ids {
            let logout = self.clone();
            let sid = sid.clone();
            tokio::spawn(async move {
                let client = match logout.clients.active(&client_id).await {
                    Ok(Some(c)) => c,
                    _ => return,
                };
                let Some(uri) = client.backchannel_logout_uri.clone() else {
                    return;
                };
                let Some(token) = logout.tokens.logout_token(&client, user, &sid) else {
                    tracing::error!(client.id = %client_id, "cannot sign a logout token");
                    return;
                };
                let http = match delivery_client(&logout.http, &uri, &client).await {
                    Ok(http) => http,
                    Err(reason) => {
                        tracing::warn!(
                            event.kind = "security",
                            client.id = %client_id,
                            reason = %reason,
                            "back-channel logout not sent: its URI no longer reaches a public address"
                        );
                        return;
                    }
                };
                deliver(&http, &uri, &token, &client).await;
            });
        }
    }
}

/// The HTTP client to deliver to `client` with: the shared one for an
/// operator's client; for a self-registered one, whose URI is the
/// registrant's choice, one pinned to the public addresses just checked,
/// so the name cannot resolve to an internal address by the time Pratu
/// connects (DNS rebinding), and with no proxy in between.
async fn delivery_client(
    shared: &reqwest::Client,
    uri: &str,
    client: &Client,
) -> Result<reqwest::Client, String> {
    if !is_self_registered(client) {
        return Ok(shared.clone());
    }
    let (url, addrs) = public_addresses(uri).await.map_err(|e| e.to_string())?;
    let mut builder = reqwest::Client::builder()
        // As the shared client (`OidcState::new`).
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(url::Host::Domain(name)) = url.host() {
        builder = builder.resolve_to_addrs(name, &addrs);
    }
    builder.build().map_err(|e| e.to_string())
}

async fn deliver(http: &reqwest::Client, uri: &str, token: &str, client: &Arc<Client>) {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", token)
        .finish();
    for attempt in 1..=ATTEMPTS {
        let res = http
            .post(uri)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => {
                tracing::info!(client.id = %client.client_id, "back-channel logout delivered");
                return;
            }
            // 4xx: the client refused the token; retrying will not help.
            Ok(r) if r.status().is_client_error() => {
                tracing::warn!(client.id = %client.client_id, status = %r.status(), "back-channel logout refused");
                return;
            }
            Ok(r) => {
                tracing::warn!(client.id = %client.client_id, status = %r.status(), attempt, "back-channel logout failed")
            }
            Err(e) => {
                tracing::warn!(client.id = %client.client_id, error = %e, attempt, "back-channel logout failed")
            }
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt * attempt))).await;
        }
    }
}

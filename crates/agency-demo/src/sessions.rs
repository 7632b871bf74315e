//! The app's own sessions, in memory, keyed by a random value in an
//! HttpOnly cookie. A session holds the sign-in in progress (state, nonce,
//! PKCE verifier never leave the server) and, once signed in, the user.
//!
//! Pratu's SSO session and this app's session are separate things: signing
//! out of Pratu elsewhere ends this one only through back-channel logout,
//! which finds the sessions to end by Pratu's `sid` (or `sub`).
//!
//! An app running on several nodes would keep these in a shared store
//! (database, Redis) instead; the logic stays the same.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::CsrfToken;

use crate::provider::{PendingLogin, SignedIn};

/// A sign-in must come back from Pratu within this time.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Sessions unused for this long are forgotten.
const IDLE_TIMEOUT: Duration = Duration::from_secs(8 * 60 * 60);

#[derive(Debug)]
struct Entry {
    pending: Option<(PendingLogin, Instant)>,
    user: Option<SignedIn>,
    /// Guards the logout form against cross-site posts.
    csrf: String,
    /// The `state` of an RP-initiated logout on its way through Pratu.
    logout_state: Option<String>,
    touched: Instant,
}

#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<HashMap<String, Entry>>,
}

/// What a page needs to know about the browser's session.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub user: Option<SignedIn>,
    pub csrf: String,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while holding the lock leaves plain data behind; keep going.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The session id of `cookie` if it names a live session, else a new
    /// session's id.
    pub fn ensure(&self, cookie: Option<&str>) -> String {
        let mut map = self.lock();
        let now = Instant::now();
        if let Some(id) = cookie
            && let Some(e) = map.get_mut(id)
        {
            e.touched = now;
            return id.to_owned();
        }
        map.retain(|_, e| now.duration_since(e.touched) < IDLE_TIMEOUT);
        let id = CsrfToken::new_random().secret().clone();
        map.insert(
            id.clone(),
            Entry {
                pending: None,
                user: None,
                csrf: CsrfToken::new_random().secret().clone(),
                logout_state: None,
                touched: now,
            },
        );
        id
    }

    pub fn view(&self, id: Option<&str>) -> View {
        let map = self.lock();
        id.and_then(|id| map.get(id))
            .map(|e| View {
                user: e.user.clone(),
                csrf: e.csrf.clone(),
            })
            .unwrap_or_default()
    }

    pub fn start_login(&self, id: &str, pending: PendingLogin) {
        if let Some(e) = self.lock().get_mut(id) {
            e.pending = Some((pending, Instant::now()));
        }
    }

    /// Takes the pending sign-in if `state` is the one sent with it: the
    /// callback was started by this browser (CSRF protection, RFC 6749
    /// §10.12). One use only.
    pub fn take_login(&self, id: Option<&str>, state: &str) -> Option<PendingLogin> {
        let mut map = self.lock();
        let e = map.get_mut(id?)?;
        let (pending, started) = e.pending.take()?;
        let fresh = started.elapsed() < LOGIN_TIMEOUT;
        (fresh && pending.state.secret() == state).then_some(pending)
    }

    /// Records the signed-in user under a new session id (returned; the
    /// caller sets it as the cookie), so an id planted in the browser before
    /// sign-in is worthless after it (session fixation).
    pub fn sign_in(&self, id: &str, user: SignedIn) -> String {
        let mut map = self.lock();
        map.remove(id);
        let new_id = CsrfToken::new_random().secret().clone();
        map.insert(
            new_id.clone(),
            Entry {
                pending: None,
                user: Some(user),
                csrf: CsrfToken::new_random().secret().clone(),
                logout_state: None,
                touched: Instant::now(),
            },
        );
        new_id
    }

    /// Ends the local session (the logout button) and returns the user it
    /// held, with the logout `state` to expect back from Pratu.
    pub fn sign_out(&self, id: Option<&str>, csrf: &str) -> Option<(SignedIn, String)> {
        let mut map = self.lock();
        let e = map.get_mut(id?)?;
        if e.csrf != csrf {
            return None;
        }
        let user = e.user.take()?;
        let state = CsrfToken::new_random().secret().clone();
        e.logout_state = Some(state.clone());
        Some((user, state))
    }

    /// Whether `state` is the one of this browser's logout (the page then
    /// confirms the sign-out).
    pub fn finish_logout(&self, id: Option<&str>, state: &str) -> bool {
        let mut map = self.lock();
        let Some(e) = id.and_then(|id| map.get_mut(id)) else {
            return false;
        };
        if e.logout_state.as_deref() == Some(state) {
            e.logout_state = None;
            true
        } else {
            false
        }
    }

    /// Back-channel logout: ends every session of Pratu session `sid`, or
    /// without `sid` every session of `sub`. Returns how many ended.
    pub fn end_matching(&self, sid: Option<&str>, sub: Option<&str>) -> usize {
        let mut map = self.lock();
        let mut ended = 0;
        for e in map.values_mut() {
            let hit = e.user.as_ref().is_some_and(|u| match (sid, sub) {
                (Some(sid), sub) => u.sid() == Some(sid) && sub.is_none_or(|s| s == u.sub()),
                (None, Some(sub)) => u.sub() == sub,
                (None, None) => false,
            });
            if hit {
                e.user = None;
                ended += 1;
            }
        }
        ended
    }
}

/// Logout tokens already used (`jti`), until they expire: a captured token
/// replayed later is refused (Back-Channel Logout 1.0 §2.6, step 7).
#[derive(Debug, Default)]
pub struct SeenTokens {
    inner: Mutex<HashMap<String, i64>>,
}

impl SeenTokens {
    /// `false` if `jti` was seen before. `now` and `exp` are Unix seconds.
    pub fn first_use(&self, jti: &str, exp: i64, now: i64) -> bool {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, exp| *exp + crate::logout_token::LEEWAY_SECONDS >= now);
        map.insert(jti.to_owned(), exp).is_none()
    }
}

#[cfg(test)]
mod tests {
    use openidconnect::{Nonce, PkceCodeVerifier, StandardClaims, SubjectIdentifier};
    use serde_json::json;

    use super::*;
    use crate::provider::{PratuClaims, PratuIdToken, PratuIdTokenClaims, PratuUserInfo};

    fn b64(v: &serde_json::Value) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    /// A signed-in user as the callback would store it (the token is only
    /// kept as the logout hint, so its signature does not matter here).
    fn user(sub: &str, sid: &str) -> SignedIn {
        let claims = json!({
            "iss": "http://127.0.0.1:8080", "aud": ["c"], "sub": sub, "sid": sid,
            "iat": 1_800_000_000, "exp": 1_800_000_600,
        });
        let jwt = format!("{}.{}.c2ln", b64(&json!({"alg": "ES256"})), b64(&claims));
        SignedIn {
            id_token: jwt.parse::<PratuIdToken>().unwrap(),
            claims: serde_json::from_value::<PratuIdTokenClaims>(claims).unwrap(),
            userinfo: PratuUserInfo::new(
                StandardClaims::new(SubjectIdentifier::new(sub.into())),
                PratuClaims::default(),
            ),
        }
    }

    fn pending(state: &str) -> PendingLogin {
        PendingLogin {
            state: CsrfToken::new(state.into()),
            nonce: Nonce::new("n".into()),
            pkce_verifier: PkceCodeVerifier::new("v".repeat(43)),
        }
    }

    fn signed_in(s: &Sessions, sub: &str, sid: &str) -> String {
        let id = s.ensure(None);
        s.sign_in(&id, user(sub, sid))
    }

    #[test]
    fn a_callback_must_carry_the_state_of_this_browser_s_sign_in_once() {
        let s = Sessions::default();
        let id = s.ensure(None);
        s.start_login(&id, pending("st"));
        let other = s.ensure(None);
        assert!(
            s.take_login(Some(&other), "st").is_none(),
            "another browser"
        );
        assert!(s.take_login(Some(&id), "forged").is_none(), "wrong state");
        s.start_login(&id, pending("st"));
        assert!(s.take_login(Some(&id), "st").is_some());
        assert!(s.take_login(Some(&id), "st").is_none(), "used once");
    }

    #[test]
    fn signing_in_renews_the_session_id() {
        let s = Sessions::default();
        let before = s.ensure(None);
        let after = s.sign_in(&before, user("u1", "s1"));
        assert_ne!(before, after);
        assert!(s.view(Some(&before)).user.is_none());
        assert!(s.view(Some(&after)).user.is_some());
    }

    #[test]
    fn the_logout_button_needs_the_session_s_csrf_token() {
        let s = Sessions::default();
        let id = signed_in(&s, "u1", "s1");
        assert!(s.sign_out(Some(&id), "forged").is_none());
        assert!(s.view(Some(&id)).user.is_some());
        let csrf = s.view(Some(&id)).csrf;
        let (_, state) = s.sign_out(Some(&id), &csrf).unwrap();
        assert!(s.view(Some(&id)).user.is_none());
        assert!(!s.finish_logout(Some(&id), "other"));
        assert!(s.finish_logout(Some(&id), &state));
        assert!(!s.finish_logout(Some(&id), &state), "confirmed once");
    }

    #[test]
    fn back_channel_logout_ends_the_sessions_it_names_and_no_others() {
        let s = Sessions::default();
        let a1 = signed_in(&s, "alice", "sso-1");
        let a2 = signed_in(&s, "alice", "sso-2");
        let b = signed_in(&s, "bob", "sso-3");
        // sid names one SSO session; a sub that does not match it is refused.
        assert_eq!(s.end_matching(Some("sso-1"), Some("bob")), 0);
        assert_eq!(s.end_matching(Some("sso-1"), Some("alice")), 1);
        assert!(s.view(Some(&a1)).user.is_none());
        assert!(s.view(Some(&a2)).user.is_some());
        // sub alone ends every session of that user.
        let a3 = signed_in(&s, "alice", "sso-4");
        assert_eq!(s.end_matching(None, Some("alice")), 2);
        assert!(s.view(Some(&a2)).user.is_none() && s.view(Some(&a3)).user.is_none());
        assert!(s.view(Some(&b)).user.is_some());
    }

    #[test]
    fn a_logout_token_is_accepted_once() {
        let seen = SeenTokens::default();
        assert!(seen.first_use("j1", 1_000, 900));
        assert!(!seen.first_use("j1", 1_000, 950));
        // Forgotten once expired (an expired token is refused anyway).
        assert!(seen.first_use("j1", 2_000, 1_100));
    }
}

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
        id.and_then(|id| map.get_mut(id))
            .and_then(|e| e.logout_state.take())
            .is_some_and(|s| s == state)
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

//! Passkeys (WebAuthn Level 2) as Pratu's relying party, through
//! `webauthn-rs`: the ceremonies' options for the browser, their pending
//! state (kept by callers in the ephemeral store, so any node finishes what
//! another started), and the verification of what the browser answers.
//!
//! The relying-party ID is the issuer's host and the only origin accepted is
//! the issuer's origin: a passkey made for Pratu signs for Pratu alone, which
//! is what makes it phishing-resistant. User verification is required in
//! both ceremonies, so a passkey sign-in is two factors (something held and
//! a PIN or biometric) and meets `urn:pratu:acr:aal2` by itself.
//!
//! The library's types stay inside this module: callers see JSON for the
//! browser, opaque bytes for the pending state and opaque text for the
//! stored credential.

use url::Url;
use uuid::Uuid;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Webauthn, WebauthnBuilder,
};

/// The one script of the passkey pages (the portal's and the sign-in
/// page's), served by each from the binary: base64url to and from
/// `ArrayBuffer`, `navigator.credentials.create`/`get`, and the ordinary
/// form post of the answer.
pub const SCRIPT: &str = include_str!("../assets/passkeys.js");

/// What can go wrong with a passkey ceremony. The library's own error is
/// not carried: it can describe the credential, and callers only need to
/// know whom to blame.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The issuer cannot be a relying party (no host, or an IP address,
    /// which browsers refuse as an RP ID).
    #[error("the issuer cannot serve passkeys")]
    Unsupported,
    /// The browser's answer is not a WebAuthn response.
    #[error("malformed passkey response")]
    Malformed,
    /// The answer does not verify: wrong challenge or origin, bad
    /// signature, no user verification, unknown credential.
    #[error("passkey refused")]
    Refused,
    /// Pending state or a stored credential that does not read back: a
    /// bug or a store written by an incompatible version.
    #[error("passkey state unreadable")]
    State,
}

/// A credential just registered: its ID (the store's key) and the
/// serialised credential to keep.
#[derive(Debug, Clone)]
pub struct NewPasskey {
    pub credential_id: Vec<u8>,
    pub credential: String,
}

/// A sign-in answer, read but not verified yet: it names the account (the
/// user handle given at registration) and the credential, which the caller
/// loads before [`RelyingParty::finish_sign_in`].
#[derive(Debug, Clone)]
pub struct SignInAnswer {
    pub user_id: Uuid,
    pub credential_id: Vec<u8>,
    response: PublicKeyCredential,
}

/// Pratu as a WebAuthn relying party for one issuer. Cheap to build.
#[derive(Debug)]
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl RelyingParty {
    /// The relying party of `issuer` (e.g. `https://id.example.go.th`):
    /// RP ID its host, origin its origin.
    pub fn for_issuer(issuer: &str) -> Result<Self, PasskeyError> {
        let origin = Url::parse(issuer).map_err(|_| PasskeyError::Unsupported)?;
        let host = match origin.host() {
            Some(url::Host::Domain(d)) => d.to_owned(),
            _ => return Err(PasskeyError::Unsupported),
        };
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .and_then(|b| b.rp_name("Digital ID").build())
            .map_err(|_| PasskeyError::Unsupported)?;
        Ok(Self { webauthn })
    }

    /// Starts registering a passkey for the account `user_id` (also the
    /// user handle the authenticator keeps, which names the account at
    /// sign-in; it is a random id, no personal data). `existing` are the
    /// account's credential IDs, which the authenticator will not register
    /// twice. Returns the options for `navigator.credentials.create` and
    /// the pending state.
    pub fn start_registration(
        &self,
        user_id: Uuid,
        username: &str,
        existing: Vec<Vec<u8>>,
    ) -> Result<(serde_json::Value, Vec<u8>), PasskeyError> {
        let exclude =
            (!existing.is_empty()).then(|| existing.into_iter().map(Into::into).collect());
        let (options, state) = self
            .webauthn
            .start_passkey_registration(user_id, username, username, exclude)
            .map_err(|_| PasskeyError::State)?;
        let mut options = to_json(&options)?;
        // Signing in "with a passkey alone" means the browser finds the
        // credential without being told the account: it must be
        // discoverable, which the library leaves to the authenticator.
        let selection = options
            .get_mut("publicKey")
            .and_then(|pk| pk.get_mut("authenticatorSelection"))
            .and_then(serde_json::Value::as_object_mut)
            .ok_or(PasskeyError::State)?;
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
        Ok((options, to_bytes(&state)?))
    }

    /// Verifies the browser's registration answer (JSON text) against the
    /// pending state.
    pub fn finish_registration(
        &self,
        answer: &str,
        state: &[u8],
    ) -> Result<NewPasskey, PasskeyError> {
        let answer: RegisterPublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| PasskeyError::Malformed)?;
        let state: PasskeyRegistration =
            serde_json::from_slice(state).map_err(|_| PasskeyError::State)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|_| PasskeyError::Refused)?;
        Ok(NewPasskey {
            credential_id: passkey.cred_id().to_vec(),
            credential: serde_json::to_string(&passkey).map_err(|_| PasskeyError::State)?,
        })
    }

    /// Starts a sign-in with a discoverable passkey (no account named).
    /// Returns the options for `navigator.credentials.get` and the pending
    /// state.
    pub fn start_sign_in(&self) -> Result<(serde_json::Value, Vec<u8>), PasskeyError> {
        let (options, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|_| PasskeyError::State)?;
        let mut options = to_json(&options)?;
        // The library prepares conditional mediation (autofill); Pratu's
        // button asks the browser's ordinary passkey dialog.
        if let Some(o) = options.as_object_mut() {
            o.remove("mediation");
        }
        Ok((options, to_bytes(&state)?))
    }

    /// Reads the browser's sign-in answer (JSON text): which account and
    /// credential it claims. Nothing is verified yet.
    pub fn read_sign_in(&self, answer: &str) -> Result<SignInAnswer, PasskeyError> {
        let response: PublicKeyCredential =
            serde_json::from_str(answer).map_err(|_| PasskeyError::Malformed)?;
        let (user_id, credential_id) = self
            .webauthn
            .identify_discoverable_authentication(&response)
            .map_err(|_| PasskeyError::Malformed)?;
        let credential_id = credential_id.to_vec();
        Ok(SignInAnswer {
            user_id,
            credential_id,
            response,
        })
    }

    /// Verifies a sign-in answer against the pending state and the stored
    /// credential (with user verification, which the library requires of
    /// a discoverable sign-in). Returns the credential to store back (its
    /// counter moves).
    pub fn finish_sign_in(
        &self,
        answer: &SignInAnswer,
        state: &[u8],
        stored: &str,
    ) -> Result<String, PasskeyError> {
        let state: DiscoverableAuthentication =
            serde_json::from_slice(state).map_err(|_| PasskeyError::State)?;
        let mut passkey: Passkey = serde_json::from_str(stored).map_err(|_| PasskeyError::State)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication(
                &answer.response,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(|_| PasskeyError::Refused)?;
        if !result.user_verified() {
            return Err(PasskeyError::Refused);
        }
        // A credential that no longer matches the one found by ID (its
        // counter went backwards: a cloned key) is refused by the library
        // above; here the counter and backup flags are brought up to date.
        passkey.update_credential(&result);
        serde_json::to_string(&passkey).map_err(|_| PasskeyError::State)
    }
}

fn to_json(value: &impl serde::Serialize) -> Result<serde_json::Value, PasskeyError> {
    serde_json::to_value(value).map_err(|_| PasskeyError::State)
}

fn to_bytes(value: &impl serde::Serialize) -> Result<Vec<u8>, PasskeyError> {
    serde_json::to_vec(value).map_err(|_| PasskeyError::State)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relying_party_is_the_issuer_host_and_needs_a_domain() {
        let rp = RelyingParty::for_issuer("https://id.example.go.th").unwrap();
        let (options, state) = rp
            .start_registration(Uuid::new_v4(), "somchai87", vec![])
            .unwrap();
        let pk = &options["publicKey"];
        assert_eq!(pk["rp"]["id"], "id.example.go.th", "{options}");
        assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
        assert!(!state.is_empty());
        assert!(RelyingParty::for_issuer("http://localhost:8080").is_ok());
        for bad in ["http://127.0.0.1:8080", "not a url", "http://[::1]:80"] {
            assert!(
                matches!(
                    RelyingParty::for_issuer(bad),
                    Err(PasskeyError::Unsupported)
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_sign_in_names_no_account_and_requires_user_verification() {
        let rp = RelyingParty::for_issuer("https://id.example.go.th").unwrap();
        let (options, _state) = rp.start_sign_in().unwrap();
        let pk = &options["publicKey"];
        assert_eq!(pk["rpId"], "id.example.go.th", "{options}");
        assert_eq!(pk["userVerification"], "required");
        assert!(
            pk["allowCredentials"]
                .as_array()
                .is_none_or(|a| a.is_empty()),
            "{options}"
        );
        assert!(options.get("mediation").is_none_or(|m| m.is_null()));
    }

    #[test]
    fn garbage_answers_are_malformed_and_garbage_state_is_refused() {
        let rp = RelyingParty::for_issuer("https://id.example.go.th").unwrap();
        assert!(matches!(
            rp.read_sign_in("{}"),
            Err(PasskeyError::Malformed)
        ));
        assert!(matches!(
            rp.finish_registration("{}", b"{}"),
            Err(PasskeyError::Malformed)
        ));
        let (_, state) = rp.start_registration(Uuid::new_v4(), "u", vec![]).unwrap();
        assert!(matches!(
            rp.finish_registration("not json", &state),
            Err(PasskeyError::Malformed)
        ));
    }
}

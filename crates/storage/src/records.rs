//! The records Pratu keeps, as plain data. Parsing and policy live in the
//! feature crates; these types only carry already-checked values between a
//! service and a backend.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

pub use crate::protocol::{
    GrantType, ResponseMode, SubjectType, TokenEndpointAuthMethod, UnsupportedValue,
};

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
        }
    }
}

/// A date of birth as the ID card carries it: the day, or day and month, may
/// be unknown. Stored in the Common Era.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

/// Names as on the card (Thai script) plus optional self-asserted English
/// names; released as the `profile` claims.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonName {
    pub title: Option<String>,
    pub given_name: String,
    pub middle_name: Option<String>,
    pub family_name: String,
    pub title_en: Option<String>,
    pub given_name_en: Option<String>,
    pub middle_name_en: Option<String>,
    pub family_name_en: Option<String>,
}

/// How an account's identity was proofed; exposed as `ial` and
/// `verified_claims`. Staff accounts have none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proofing {
    /// e.g. `"dopa_laser"`.
    pub method: String,
    /// e.g. `"registry_file"` or `"dopa"`.
    pub provider: String,
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
    /// The provider's result code (`"0"` for DOPA's "valid").
    pub result: String,
    /// The deployment's assurance label, e.g. `"2.1"`.
    pub ial: String,
    /// The deployment's trust framework name for `verified_claims`.
    pub trust_framework: String,
}

/// A citizen ID as kept at rest: sealed with `pratu_core::pii::PiiCipher` and
/// findable through its blind index (`pratu_core::pii::BlindIndex`).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedCitizenId {
    pub ciphertext: Vec<u8>,
    pub index: Vec<u8>,
}

impl std::fmt::Debug for SealedCitizenId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealedCitizenId([sealed])")
    }
}

/// A Digital ID account (citizen) or a staff account (operator-made).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    /// Canonical (lower-case) username; unique.
    pub username: String,
    /// PHC string (Argon2id).
    pub password_hash: String,
    pub status: UserStatus,
    /// e.g. `["operator"]`.
    pub roles: Vec<String>,
    pub name: PersonName,
    pub birth_date: Option<PartialDate>,
    /// E.164.
    pub phone: Option<String>,
    pub phone_verified: bool,
    pub citizen_id: Option<SealedCitizenId>,
    pub proofing: Option<Proofing>,
    pub locale: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Where an enrollment stands. The order of variants is the order of steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStep {
    /// Terms accepted; waiting for the citizen ID.
    CitizenId,
    /// Citizen ID taken; waiting for personal data, laser code and the check.
    Identity,
    /// Identity verified; waiting for username and password.
    Account,
    /// Account chosen; waiting for a phone number and its OTP.
    Phone,
    /// Phone verified; waiting for the confirmation.
    Review,
    /// Confirmed; the user exists.
    Completed,
}

impl EnrollmentStep {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CitizenId => "citizen_id",
            Self::Identity => "identity",
            Self::Account => "account",
            Self::Phone => "phone",
            Self::Review => "review",
            Self::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "citizen_id" => Self::CitizenId,
            "identity" => Self::Identity,
            "account" => Self::Account,
            "phone" => Self::Phone,
            "review" => Self::Review,
            "completed" => Self::Completed,
            _ => return None,
        })
    }
}

/// An enrollment in progress. `data` is owned by `pratu-registration` (its
/// shape is that crate's business); the citizen ID lives in its own sealed
/// columns so it is never in clear at rest.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrollment {
    pub id: Uuid,
    pub step: EnrollmentStep,
    /// Incremented by every successful update (optimistic concurrency).
    pub version: i64,
    /// SHA-256 digest of the enrollment token the start answered: whoever
    /// presents that token continues the enrollment (the id alone is no
    /// credential: it travels in URLs and log spans). Set once at the start
    /// and never updated; empty for enrollments started before tokens
    /// existed, which no token fits.
    pub token_digest: Vec<u8>,
    pub citizen_id: Option<SealedCitizenId>,
    pub data: serde_json::Value,
    pub user_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Whether a client may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientStatus {
    Active,
    Disabled,
}

/// A registered relying party. Field names follow RFC 7591 client metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    /// SHA-256 digest of the server-generated secret; `None` for public
    /// clients and `private_key_jwt` clients.
    #[serde(skip)]
    pub secret_hash: Option<Vec<u8>>,
    pub client_name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<String>,
    /// Scopes this client may request.
    pub scopes: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub jwks: Option<serde_json::Value>,
    pub jwks_uri: Option<String>,
    pub id_token_signed_response_alg: Option<String>,
    pub subject_type: SubjectType,
    pub sector_identifier_uri: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    /// Operator-marked first-party app: consent is not asked.
    pub first_party: bool,
    /// Operator allows release of `pid` / `citizen_id`.
    pub allow_citizen_id: bool,
    pub status: ClientStatus,
    /// Any further RFC 7591 metadata, kept verbatim.
    pub extra: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// `acr` values an authorization request of this client that asks for
    /// none is taken to ask for (OIDC Dynamic Client Registration §2), so
    /// an agency whose software cannot send `acr_values` still gets its
    /// sign-ins stepped up. Empty: no default.
    #[serde(default)]
    pub default_acr_values: Vec<String>,
}

/// A user's remembered consent for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub user_id: Uuid,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub granted_at: OffsetDateTime,
}

/// One refresh token as the store sees it. A rotation family (every token
/// descended from one authorization) is one row, holding the digest of its
/// one current token; rotation replaces that digest in place. A spent token
/// of a family reads as the family with `used_at` set.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshToken {
    /// SHA-256 digest of the opaque token.
    pub token_hash: Vec<u8>,
    /// Every token descended from one authorization shares a family.
    pub family_id: Uuid,
    pub client_id: String,
    pub user_id: Option<Uuid>,
    pub scopes: Vec<String>,
    /// SSO session id (`sid`) the family was issued under.
    pub session_id: Option<String>,
    /// Sign-in facts and requested claims carried to refreshed ID tokens.
    pub grant: serde_json::Value,
    /// When the family's current token was issued, and until when it is
    /// valid.
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    /// Set when the token read is not its family's current one: it was spent
    /// when the current one was issued (this is that time). Never stored:
    /// a new family's token is current.
    pub used_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
}

impl RefreshToken {
    /// The token `presented` (a digest) as read through its family: the
    /// family itself if it is the current token, else a token spent when
    /// the current one was issued.
    pub(crate) fn seen_as(mut self, presented: &[u8]) -> Self {
        if self.token_hash != presented {
            self.token_hash = presented.to_vec();
            self.used_at = Some(self.issued_at);
        }
        self
    }
}

/// How the store finds a presented refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshKey<'a> {
    /// A token that names its family (all issued since migration 0004):
    /// the family's row, and the digest to compare with its current one.
    Family {
        family_id: Uuid,
        token_hash: &'a [u8],
    },
    /// A token issued before the families: its family is found through the
    /// digests of those tokens, which the migration kept.
    Legacy { token_hash: &'a [u8] },
}

impl RefreshKey<'_> {
    #[must_use]
    pub fn token_hash(&self) -> &[u8] {
        match self {
            Self::Family { token_hash, .. } | Self::Legacy { token_hash } => token_hash,
        }
    }
}

/// The token a rotation issues in place of the one presented. The rest of
/// it — family, client, user, scopes, session, sign-in facts — is the
/// family's, kept by the store, so the caller need not read it first.
#[derive(Debug, Clone, PartialEq)]
pub struct Successor {
    /// SHA-256 digest of the new opaque token.
    pub token_hash: Vec<u8>,
    pub issued_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Result of presenting a refresh token for rotation.
#[derive(Debug, Clone, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "returned once per token request and matched at once; boxing buys nothing"
)]
pub enum Rotation {
    /// The token was current: its family now holds the successor, returned
    /// as stored. With it comes its user as the rotation read it (`None`
    /// for a family without one), so the token endpoint needs no other
    /// round trip.
    Rotated {
        current: RefreshToken,
        user: Option<User>,
    },
    /// The token had already been spent (or its family revoked): a replay.
    /// The whole family has been revoked.
    Reused { family_id: Uuid },
    /// No such token, or expired.
    Unknown,
}

/// A signing key. The private part is sealed with the key-encryption key.
#[derive(Debug, Clone, PartialEq)]
pub struct SigningKey {
    pub kid: String,
    /// `ES256`, `RS256` or `EdDSA`.
    pub alg: String,
    /// PKCS#8 DER, sealed with `pratu_core::pii::PiiCipher` under the KEK.
    pub private_sealed: Vec<u8>,
    /// Public JWK (no private members).
    pub public_jwk: serde_json::Value,
    pub created_at: OffsetDateTime,
    /// Published in JWKS from creation; signs from this time on.
    pub activates_at: OffsetDateTime,
    /// Stops signing from this time (set by rotation).
    pub retires_at: Option<OffsetDateTime>,
    /// Leaves JWKS from this time (after every token it signed expired).
    pub expires_at: Option<OffsetDateTime>,
}

/// One append-only audit record. Never holds secrets or clear citizen IDs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `user:<uuid>`, `client:<id>`, `operator:<name>`, `cli`, `anonymous`.
    pub actor: String,
    /// Dotted action name, e.g. `enrollment.confirmed`, `login.failed`.
    pub action: String,
    pub target: Option<String>,
    pub request_id: Option<String>,
    /// `success` or `failure` (or a short reason code).
    pub outcome: String,
    pub details: serde_json::Value,
}

/// An initial access token for dynamic client registration (RFC 7591 §3):
/// only its SHA-256 digest is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationToken {
    pub token_hash: Vec<u8>,
    pub created_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
}

/// Filter for listing audit events, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// Page backwards from (excluding) this event.
    pub before: Option<Uuid>,
    pub limit: u32,
}

/// A user's authenticator app (TOTP). The secret is sealed by the caller
/// with the same envelope encryption as the citizen ID; storage never sees
/// it in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpFactor {
    pub user_id: Uuid,
    pub secret_sealed: Vec<u8>,
    /// `None` while pending: enrolled but no code verified yet, so it is
    /// not a factor of the account.
    pub activated_at: Option<OffsetDateTime>,
    /// The last time step whose code was accepted; codes of this step or
    /// earlier are refused (replay).
    pub last_used_step: Option<i64>,
    pub created_at: OffsetDateTime,
}

impl TotpFactor {
    pub fn is_active(&self) -> bool {
        self.activated_at.is_some()
    }
}

/// A passkey (WebAuthn credential) registered to an account. Storage keeps
/// the credential as the WebAuthn layer serialised it (public key, signature
/// counter, flags) without reading it: the format belongs to that layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    /// The authenticator's credential ID, unique across all accounts.
    pub credential_id: Vec<u8>,
    pub user_id: Uuid,
    /// The name the citizen gave it, to tell several apart.
    pub name: String,
    /// The serialised credential (JSON text), opaque to storage.
    pub credential: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

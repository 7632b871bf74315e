//! Sample records for the suites: complete (every optional field set) so a
//! round trip proves every column is stored, and unique per call where a
//! unique constraint could otherwise collide.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::records::{
    AuditEvent, Client, ClientStatus, Consent, Enrollment, EnrollmentStep, GrantType, PartialDate,
    PersonName, Proofing, RefreshToken, SealedCitizenId, SigningKey, SubjectType,
    TokenEndpointAuthMethod, User, UserStatus,
};

/// The suites' "now": 2026-01-01T00:00:00Z.
pub fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-01-01 0:00 UTC)
}

/// `t0` plus `seconds`.
pub fn at(seconds: i64) -> OffsetDateTime {
    t0() + Duration::seconds(seconds)
}

/// A sealed citizen ID whose index is derived from `seed` (fake bytes; the
/// store never opens it).
pub fn sealed_citizen_id(seed: &str) -> SealedCitizenId {
    SealedCitizenId {
        ciphertext: format!("sealed:{seed}").into_bytes(),
        index: format!("index:{seed}").into_bytes(),
    }
}

/// A proofed citizen with every field set and a citizen ID of its own.
pub fn user(username: &str) -> User {
    User {
        id: Uuid::new_v4(),
        username: username.to_owned(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        status: UserStatus::Active,
        roles: vec!["citizen".to_owned()],
        name: PersonName {
            title: Some("นาย".to_owned()),
            given_name: "สมชาย".to_owned(),
            middle_name: Some("กลาง".to_owned()),
            family_name: "ใจดี".to_owned(),
            title_en: Some("Mr.".to_owned()),
            given_name_en: Some("Somchai".to_owned()),
            middle_name_en: Some("Klang".to_owned()),
            family_name_en: Some("Jaidee".to_owned()),
        },
        birth_date: Some(PartialDate {
            year: 1990,
            month: Some(4),
            day: None,
        }),
        phone: Some("+66812345678".to_owned()),
        phone_verified: true,
        citizen_id: Some(sealed_citizen_id(&Uuid::new_v4().to_string())),
        proofing: Some(Proofing {
            method: "dopa_laser".to_owned(),
            provider: "registry_file".to_owned(),
            verified_at: at(-60),
            result: "0".to_owned(),
            ial: "2.1".to_owned(),
            trust_framework: "th_dga".to_owned(),
        }),
        locale: Some("th".to_owned()),
        created_at: t0(),
        updated_at: t0(),
    }
}

/// A staff account: no optional field set.
pub fn staff_user(username: &str) -> User {
    User {
        id: Uuid::new_v4(),
        username: username.to_owned(),
        password_hash: "$argon2id$staff".to_owned(),
        status: UserStatus::Active,
        roles: vec!["operator".to_owned()],
        name: PersonName {
            given_name: "Staff".to_owned(),
            family_name: "Member".to_owned(),
            ..PersonName::default()
        },
        birth_date: None,
        phone: None,
        phone_verified: false,
        citizen_id: None,
        proofing: None,
        locale: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// An enrollment at the review step, expiring an hour after `t0`.
pub fn enrollment() -> Enrollment {
    Enrollment {
        id: Uuid::new_v4(),
        step: EnrollmentStep::Review,
        version: 4,
        token_digest: vec![0x5a; 32],
        citizen_id: Some(sealed_citizen_id("enrollment")),
        data: serde_json::json!({
            "terms_version": "2026-01",
            "name": {"given_name": "สมหญิง", "family_name": "ใจดี"},
            "phone": "+66812345678",
        }),
        user_id: None,
        created_at: t0(),
        updated_at: at(30),
        expires_at: at(3600),
    }
}

/// A confidential client with every field set.
pub fn client(client_id: &str) -> Client {
    Client {
        client_id: client_id.to_owned(),
        secret_hash: Some(vec![7; 32]),
        client_name: format!("Service {client_id}"),
        redirect_uris: vec![
            "https://rp.example/cb".to_owned(),
            "https://rp.example/cb2".to_owned(),
        ],
        post_logout_redirect_uris: vec!["https://rp.example/bye".to_owned()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        response_types: vec!["code".to_owned()],
        scopes: vec!["openid".to_owned(), "profile".to_owned()],
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        jwks: Some(serde_json::json!({"keys": []})),
        jwks_uri: Some("https://rp.example/jwks".to_owned()),
        id_token_signed_response_alg: Some("ES256".to_owned()),
        subject_type: SubjectType::Pairwise,
        sector_identifier_uri: Some("https://rp.example/sector".to_owned()),
        backchannel_logout_uri: Some("https://rp.example/logout".to_owned()),
        backchannel_logout_session_required: true,
        first_party: true,
        allow_citizen_id: true,
        status: ClientStatus::Active,
        extra: serde_json::json!({"logo_uri": "https://rp.example/logo.png"}),
        created_at: t0(),
        updated_at: t0(),
        default_acr_values: vec!["urn:pratu:acr:aal2".to_owned()],
    }
}

/// A public client: no optional field set.
pub fn public_client(client_id: &str) -> Client {
    Client {
        secret_hash: None,
        jwks: None,
        jwks_uri: None,
        id_token_signed_response_alg: None,
        sector_identifier_uri: None,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        first_party: false,
        allow_citizen_id: false,
        token_endpoint_auth_method: TokenEndpointAuthMethod::None,
        subject_type: SubjectType::Public,
        extra: serde_json::json!({}),
        default_acr_values: vec![],
        ..client(client_id)
    }
}

pub fn consent(user_id: Uuid, client_id: &str) -> Consent {
    Consent {
        user_id,
        client_id: client_id.to_owned(),
        scopes: vec!["openid".to_owned(), "profile".to_owned()],
        granted_at: t0(),
    }
}

/// A live refresh token of `family_id`, issued at `t0`, valid for a day.
pub fn refresh_token(
    hash: &[u8],
    family_id: Uuid,
    client_id: &str,
    user_id: Option<Uuid>,
) -> RefreshToken {
    RefreshToken {
        token_hash: hash.to_vec(),
        family_id,
        client_id: client_id.to_owned(),
        user_id,
        scopes: vec!["openid".to_owned(), "offline_access".to_owned()],
        session_id: Some("sid-1".to_owned()),
        grant: serde_json::json!({"auth_time": 1767225600, "amr": ["pwd"], "acr": "ial2"}),
        issued_at: t0(),
        expires_at: at(86_400),
        used_at: None,
        revoked_at: None,
    }
}

pub fn signing_key(kid: &str, created_at: OffsetDateTime) -> SigningKey {
    SigningKey {
        kid: kid.to_owned(),
        alg: "ES256".to_owned(),
        private_sealed: format!("sealed-private-{kid}").into_bytes(),
        public_jwk: serde_json::json!({"kty": "EC", "crv": "P-256", "kid": kid, "x": "AA", "y": "BB"}),
        created_at,
        activates_at: created_at,
        retires_at: None,
        expires_at: None,
    }
}

pub fn audit_event(at: OffsetDateTime, actor: &str, action: &str) -> AuditEvent {
    AuditEvent {
        id: Uuid::new_v4(),
        at,
        actor: actor.to_owned(),
        action: action.to_owned(),
        target: Some("client:rp-1".to_owned()),
        request_id: Some("req-1".to_owned()),
        outcome: "success".to_owned(),
        details: serde_json::json!({"ip": "203.0.113.9"}),
    }
}

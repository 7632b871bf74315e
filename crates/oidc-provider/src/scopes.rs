//! The scopes Pratu understands and the claims each releases (DESIGN.md's
//! claims table), including the per-claim scopes of ThaID and DGA Digital ID
//! so their relying parties switch by configuration (DOMAIN.md §5).

/// `(scope, parent scope whose allowance governs it, claims it releases)`.
/// `openid` releases the ID-token claims (`sub`, `auth_time`, `acr`, `amr`,
/// `sid`) that every ID token carries anyway.
const SCOPES: &[(&str, &str, &[&str])] = &[
    ("openid", "openid", &["sub"]),
    (
        "profile",
        "profile",
        &[
            "name",
            "given_name",
            "family_name",
            "middle_name",
            "title",
            "name_en",
            "given_name_en",
            "family_name_en",
            "middle_name_en",
            "title_en",
            "birthdate",
            "preferred_username",
            "locale",
        ],
    ),
    ("phone", "phone", &["phone_number", "phone_number_verified"]),
    ("pid", "pid", &["pid"]),
    (
        "citizen_id",
        "citizen_id",
        &["citizen_id", "citizen_id_verified"],
    ),
    ("ial", "ial", &["ial", "ial_level"]),
    // Per-claim scopes (ThaID names every claim's scope after it; DGA too).
    ("name", "profile", &["name"]),
    ("given_name", "profile", &["given_name"]),
    ("middle_name", "profile", &["middle_name"]),
    ("family_name", "profile", &["family_name"]),
    ("title", "profile", &["title"]),
    ("name_en", "profile", &["name_en"]),
    ("given_name_en", "profile", &["given_name_en"]),
    ("middle_name_en", "profile", &["middle_name_en"]),
    ("family_name_en", "profile", &["family_name_en"]),
    ("title_en", "profile", &["title_en"]),
    ("birthdate", "profile", &["birthdate"]),
    ("preferred_username", "profile", &["preferred_username"]),
    (
        "phone_number",
        "phone",
        &["phone_number", "phone_number_verified"],
    ),
    (
        "citizen_id_verified",
        "citizen_id",
        &["citizen_id_verified"],
    ),
    ("ial_level", "ial", &["ial_level"]),
];

/// Grants access to Pratu's own admin API. Released no claims; a client gets
/// it only when registered with it, and a user-bound token only when the
/// user holds [`OPERATOR_ROLE`]. Not advertised in discovery.
pub const ADMIN_SCOPE: &str = "pratu:admin";

/// The citizen's own account API; granted to the built-in portal client
/// alone ([`only_for_the_portal`]).
pub use pratu_core::access::ACCOUNT_SCOPE;

/// Drops [`ACCOUNT_SCOPE`] from what any client but the account portal
/// would be granted: an agency client registered or asking for it never
/// gets it (RFC 6749 §3.3 lets the grant be narrower than the request).
pub fn only_for_the_portal(client_id: &str, scopes: &mut Vec<String>) {
    if client_id != pratu_core::access::ACCOUNT_CLIENT_ID {
        scopes.retain(|s| s != ACCOUNT_SCOPE);
    }
}

/// The role a user needs for [`ADMIN_SCOPE`] and the operator console.
pub const OPERATOR_ROLE: &str = "operator";

/// Scopes that release a citizen ID: only for clients the operator allowed.
pub const SENSITIVE_SCOPES: &[&str] = &["pid", "citizen_id"];

/// Scopes a client gets when the operator lists none.
pub const DEFAULT_CLIENT_SCOPES: &[&str] = &["openid", "profile", "phone", "ial"];

/// Every scope name, for discovery's `scopes_supported`.
pub fn all() -> impl Iterator<Item = &'static str> {
    SCOPES.iter().map(|(s, _, _)| *s)
}

pub fn is_known(scope: &str) -> bool {
    scope == ADMIN_SCOPE || scope == ACCOUNT_SCOPE || SCOPES.iter().any(|(s, _, _)| *s == scope)
}

/// The scope whose allowance governs `scope` (itself for base scopes).
pub fn parent(scope: &str) -> Option<&'static str> {
    if scope == ADMIN_SCOPE {
        return Some(ADMIN_SCOPE);
    }
    if scope == ACCOUNT_SCOPE {
        return Some(ACCOUNT_SCOPE);
    }
    SCOPES
        .iter()
        .find(|(s, _, _)| *s == scope)
        .map(|(_, p, _)| *p)
}

/// The claims `scope` releases.
pub fn claims_of(scope: &str) -> &'static [&'static str] {
    SCOPES
        .iter()
        .find(|(s, _, _)| *s == scope)
        .map_or(&[], |(_, _, c)| c)
}

/// The scope whose allowance governs a claim requested by name (through
/// the `claims` parameter).
pub fn scope_of_claim(claim: &str) -> Option<&'static str> {
    match claim {
        "sub" | "auth_time" | "acr" | "amr" | "sid" => Some("openid"),
        "verified_claims" => Some("ial"),
        _ => SCOPES
            .iter()
            .find(|(s, p, c)| s == p && c.contains(&claim))
            .map(|(s, _, _)| *s),
    }
}

/// Every claim any scope releases, for discovery's `claims_supported`.
pub fn all_claims() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = vec!["sub", "iss", "auth_time", "acr", "amr", "sid"];
    for (_, _, claims) in SCOPES {
        for c in *claims {
            if !v.contains(c) {
                v.push(c);
            }
        }
    }
    v
}

/// Whether a client with these registered scopes and citizen-ID allowance
/// may be granted `scope`.
pub fn client_may_request(registered: &[String], allow_citizen_id: bool, scope: &str) -> bool {
    let Some(parent) = parent(scope) else {
        return false;
    };
    if SENSITIVE_SCOPES.contains(&parent) && !allow_citizen_id {
        return false;
    }
    scope == "openid" || registered.iter().any(|r| r == scope || r == parent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_claim_scopes_follow_their_parent_allowance() {
        let reg = vec!["openid".to_owned(), "profile".to_owned()];
        assert!(client_may_request(&reg, false, "given_name_en"));
        assert!(client_may_request(&reg, false, "openid"));
        assert!(!client_may_request(&reg, false, "phone_number"));
        assert!(!client_may_request(&reg, false, "email"));
    }

    #[test]
    fn citizen_id_scopes_need_the_operators_allowance() {
        let reg = vec![
            "openid".to_owned(),
            "pid".to_owned(),
            "citizen_id".to_owned(),
        ];
        assert!(!client_may_request(&reg, false, "pid"));
        assert!(!client_may_request(&reg, false, "citizen_id_verified"));
        assert!(client_may_request(&reg, true, "pid"));
        assert!(client_may_request(&reg, true, "citizen_id"));
    }

    #[test]
    fn the_admin_scope_needs_registration_and_is_not_advertised() {
        let reg = vec!["openid".to_owned()];
        assert!(!client_may_request(&reg, false, ADMIN_SCOPE));
        let reg = vec!["openid".to_owned(), ADMIN_SCOPE.to_owned()];
        assert!(client_may_request(&reg, false, ADMIN_SCOPE));
        assert!(is_known(ADMIN_SCOPE));
    }

    #[test]
    fn only_the_portal_is_granted_the_account_scope() {
        let mut v = vec!["openid".to_owned(), ACCOUNT_SCOPE.to_owned()];
        only_for_the_portal("info-app", &mut v);
        assert_eq!(v, ["openid"]);
        let mut v = vec!["openid".to_owned(), ACCOUNT_SCOPE.to_owned()];
        only_for_the_portal(pratu_core::access::ACCOUNT_CLIENT_ID, &mut v);
        assert_eq!(v, ["openid", ACCOUNT_SCOPE]);
        assert!(claims_of(ADMIN_SCOPE).is_empty());
        assert!(!all().any(|s| s == ADMIN_SCOPE));
    }

    #[test]
    fn claims_map_back_to_their_base_scope() {
        assert_eq!(scope_of_claim("given_name_en"), Some("profile"));
        assert_eq!(scope_of_claim("phone_number_verified"), Some("phone"));
        assert_eq!(scope_of_claim("pid"), Some("pid"));
        assert_eq!(scope_of_claim("citizen_id_verified"), Some("citizen_id"));
        assert_eq!(scope_of_claim("ial_level"), Some("ial"));
        assert_eq!(scope_of_claim("email"), None);
        assert!(all_claims().contains(&"title_en"));
    }
}

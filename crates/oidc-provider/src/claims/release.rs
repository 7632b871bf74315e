//! Claim values from an account, by name (DESIGN.md's claims table; the
//! ThaID / DGA names of DOMAIN.md §5).
//!
//! Scripts and calendars: `name`, `given_name`, `middle_name`,
//! `family_name`, `title` are Thai script as on the ID card; the `*_en`
//! names are the self-asserted Latin-script names; `birthdate` is in the
//! Common Era per OIDC Core §5.1 (`YYYY-MM-DD`, `0000-MM-DD` when the year
//! is unknown, `YYYY` when the day or month is).

use pratu_core::assurance::released_trust_framework;
use pratu_core::pii::PiiCipher;
use pratu_storage::records::{PartialDate, User};
use serde_json::{Map, Value, json};

/// The claims that `verified_claims` may carry: the ones the proofing
/// checked against the population register.
pub const VERIFIED_CLAIMS: &[&str] = &["given_name", "family_name", "birthdate"];

/// The AEAD associated data citizen IDs are sealed with.
pub const CITIZEN_ID_AAD: &[u8] = b"citizen_id";

/// What a release may draw on.
pub(crate) struct Source<'a> {
    pub user: &'a User,
    pub citizen_ids: &'a PiiCipher,
    pub allow_citizen_id: bool,
}

impl Source<'_> {
    /// The value of claim `name`, or `None` when the account has none (or
    /// the client may not have it).
    pub fn value(&self, name: &str) -> Option<Value> {
        let u = self.user;
        let n = &u.name;
        let s = |v: &Option<String>| {
            v.as_ref()
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.clone()))
        };
        match name {
            "name" => Some(Value::String(full_name(
                Some(&n.given_name),
                n.middle_name.as_ref(),
                Some(&n.family_name),
            )?)),
            "given_name" => Some(Value::String(n.given_name.clone())).filter(|v| v != ""),
            "family_name" => Some(Value::String(n.family_name.clone())).filter(|v| v != ""),
            "middle_name" => s(&n.middle_name),
            "title" => s(&n.title),
            "name_en" => full_name(
                n.given_name_en.as_ref(),
                n.middle_name_en.as_ref(),
                n.family_name_en.as_ref(),
            )
            .map(Value::String),
            "given_name_en" => s(&n.given_name_en),
            "family_name_en" => s(&n.family_name_en),
            "middle_name_en" => s(&n.middle_name_en),
            "title_en" => s(&n.title_en),
            "birthdate" => u.birth_date.as_ref().map(|d| Value::String(birthdate(d))),
            "preferred_username" => Some(Value::String(u.username.clone())),
            "locale" => s(&u.locale),
            "phone_number" => s(&u.phone),
            "phone_number_verified" => u.phone.as_ref().map(|_| Value::Bool(u.phone_verified)),
            "pid" | "citizen_id" => self.citizen_id().map(Value::String),
            "citizen_id_verified" => {
                Some(Value::Bool(u.citizen_id.is_some() && u.proofing.is_some()))
            }
            "ial" => u.proofing.as_ref().map(|p| Value::String(p.ial.clone())),
            "ial_level" => u
                .proofing
                .as_ref()
                .and_then(|p| p.ial.parse::<f64>().ok())
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number)),
            _ => None,
        }
    }

    fn citizen_id(&self) -> Option<String> {
        if !self.allow_citizen_id {
            return None;
        }
        let sealed = self.user.citizen_id.as_ref()?;
        match self.citizen_ids.open(&sealed.ciphertext, CITIZEN_ID_AAD) {
            Ok(plain) => String::from_utf8(plain.to_vec()).ok(),
            Err(e) => {
                tracing::error!(error = %e, user.id = %self.user.id, "cannot open a sealed citizen ID");
                None
            }
        }
    }

    /// Adds every named claim the account has to `out`.
    pub fn release<'n>(
        &self,
        names: impl IntoIterator<Item = &'n str>,
        out: &mut Map<String, Value>,
    ) {
        for name in names {
            if out.contains_key(name) {
                continue;
            }
            if let Some(v) = self.value(name) {
                out.insert(name.to_owned(), v);
            }
        }
    }

    /// OpenID Connect for Identity Assurance `verified_claims`, for a proofed
    /// account: the requested claims among [`VERIFIED_CLAIMS`] (all of them
    /// when the request named none).
    pub fn verified_claims(&self, requested: &[String]) -> Option<Value> {
        let p = self.user.proofing.as_ref()?;
        let names: Vec<&str> = if requested.is_empty() {
            VERIFIED_CLAIMS.to_vec()
        } else {
            VERIFIED_CLAIMS
                .iter()
                .copied()
                .filter(|c| requested.iter().any(|r| r == c))
                .collect()
        };
        let mut claims = Map::new();
        self.release(names, &mut claims);
        let time = p
            .verified_at
            .format(&time::format_description::well_known::Rfc3339)
            .ok()?;
        Some(json!({
            "verification": {
                "trust_framework": released_trust_framework(&p.trust_framework),
                "time": time,
                "verification_process": p.method,
                "evidence": [{
                    "type": "electronic_record",
                    "record": {"type": "population_register"},
                }],
            },
            "claims": claims,
        }))
    }
}

fn full_name(
    given: Option<&String>,
    middle: Option<&String>,
    family: Option<&String>,
) -> Option<String> {
    let parts: Vec<&str> = [given, middle, family]
        .into_iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// OIDC Core §5.1 `birthdate` from a possibly partial date.
pub fn birthdate(d: &PartialDate) -> String {
    match (d.year, d.month, d.day) {
        (0, Some(m), Some(day)) => format!("0000-{m:02}-{day:02}"),
        (y, Some(m), Some(day)) => format!("{y:04}-{m:02}-{day:02}"),
        (y, _, _) => format!("{y:04}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_birthdates_follow_oidc_core() {
        let d = |year, month, day| PartialDate { year, month, day };
        assert_eq!(birthdate(&d(1995, Some(12), Some(29))), "1995-12-29");
        assert_eq!(birthdate(&d(1995, Some(12), None)), "1995");
        assert_eq!(birthdate(&d(1995, None, None)), "1995");
        assert_eq!(birthdate(&d(0, Some(3), Some(4))), "0000-03-04");
        assert_eq!(birthdate(&d(987, Some(1), Some(2))), "0987-01-02");
    }

    #[test]
    fn full_names_skip_missing_parts() {
        let g = "สมชาย".to_owned();
        let f = "ใจดี".to_owned();
        assert_eq!(full_name(Some(&g), None, Some(&f)).unwrap(), "สมชาย ใจดี");
        assert_eq!(full_name(None, None, None), None);
    }
}

//! `GET /account`: who the portal knows the citizen as — username, names,
//! citizen ID and phone masked, how the identity was proofed, since when.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use pratu_core::pii::PiiError;
use pratu_core::web::Language;
use pratu_storage::records::{PersonName, User};
use time::OffsetDateTime;

use super::page::{Chrome, PageLang, render, unavailable};
use super::session::PortalUser;
use crate::service::{mask_citizen_id, mask_phone};
use crate::state::AccountState;

/// The profile as shown: nothing here is the full citizen ID or phone.
#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub username: String,
    pub name: String,
    pub name_en: String,
    pub citizen_id_masked: Option<String>,
    pub phone_masked: Option<String>,
    pub phone_verified: bool,
    pub ial: Option<String>,
    pub member_since: String,
}

#[derive(Template)]
#[template(path = "portal/profile.html")]
pub(crate) struct ProfilePage {
    pub c: Chrome,
    pub p: Profile,
}

fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn names(n: &PersonName) -> (String, String) {
    (
        join(&[
            n.title.as_deref(),
            Some(&n.given_name),
            n.middle_name.as_deref(),
            Some(&n.family_name),
        ]),
        join(&[
            n.title_en.as_deref(),
            n.given_name_en.as_deref(),
            n.middle_name_en.as_deref(),
            n.family_name_en.as_deref(),
        ]),
    )
}

const MONTHS_TH: [&str; 12] = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date as people read it: Thai with the Buddhist year, or English.
pub(crate) fn format_date(lang: Language, t: OffsetDateTime) -> String {
    let month = usize::from(u8::from(t.month())) - 1;
    match lang {
        Language::Th => format!("{} {} {}", t.day(), MONTHS_TH[month], t.year() + 543),
        Language::En => format!("{} {} {}", t.day(), MONTHS_EN[month], t.year()),
    }
}

/// The citizen ID of `user`, opened and masked by the account service's
/// one masking rule (`1-2345-xxxxx-xx-1`).
fn masked_citizen_id(state: &AccountState, user: &User) -> Result<Option<String>, PiiError> {
    let Some(sealed) = &user.citizen_id else {
        return Ok(None);
    };
    let digits = state.deps().pii.open(&sealed.ciphertext, b"citizen_id")?;
    // Bytes that are not UTF-8 are no citizen ID: masked whole, as the
    // service masks any value that does not parse.
    Ok(Some(mask_citizen_id(&String::from_utf8_lossy(&digits))))
}

pub(crate) fn profile_of(
    state: &AccountState,
    user: &User,
    lang: Language,
) -> Result<Profile, PiiError> {
    let (name, name_en) = names(&user.name);
    Ok(Profile {
        username: user.username.clone(),
        name,
        name_en,
        citizen_id_masked: masked_citizen_id(state, user)?,
        phone_masked: user.phone.as_deref().map(mask_phone),
        phone_verified: user.phone_verified,
        ial: user.proofing.as_ref().map(|p| p.ial.clone()),
        member_since: format_date(lang, user.created_at),
    })
}

pub(crate) async fn profile(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
) -> Response {
    let p = match profile_of(&state, &user.user, lang.lang) {
        Ok(p) => p,
        Err(e) => return unavailable(&state, lang, e),
    };
    render(
        &state,
        lang,
        StatusCode::OK,
        &ProfilePage {
            c: user.chrome(&state, lang, "/account"),
            p,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_read_in_the_buddhist_era_in_thai() {
        let t = datetime!(2026-12-06 10:00 UTC);
        assert_eq!(format_date(Language::Th, t), "6 ธ.ค. 2569");
        assert_eq!(format_date(Language::En, t), "6 December 2026");
    }

    #[test]
    fn names_skip_what_is_missing() {
        let n = PersonName {
            title: Some("นาย".into()),
            given_name: "สมชาย".into(),
            family_name: "ใจดี".into(),
            ..PersonName::default()
        };
        assert_eq!(names(&n), ("นาย สมชาย ใจดี".into(), String::new()));
    }
}

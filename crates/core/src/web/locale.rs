//! The one language negotiation of every HTML page (wizard, provider
//! pages, their error pages). Each surface keeps its own text catalogue;
//! only the choice of language is shared, so a citizen sees the same
//! language across the wizard and the sign-in pages.
//!
//! Precedence: an explicit choice (OIDC `ui_locales`, the page's language
//! link) > the language cookie a previous choice left > `Accept-Language`
//! (RFC 9110 §12.5.4) > Thai, the service's default.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

use super::cookies::{CookieDef, CookiePolicy};

/// The languages the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Th,
    En,
}

/// Remembers an explicit choice for the whole site (`th` or `en`). Not a
/// secret and not security state, so it is not `__Host-` bound.
pub const COOKIE: CookieDef = CookieDef::scoped("pratu_lang", "/");

/// At most this many `Accept-Language` entries are looked at: a browser
/// sends a handful; a longer header is noise, not a preference.
const MAX_RANGES: usize = 32;

impl Language {
    /// A language tag (`th`, `th-TH`, `en_GB`, …) by its primary subtag.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("th") {
            Some(Self::Th)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Self::En)
        } else {
            None
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Th => "th",
            Self::En => "en",
        }
    }

    pub fn other(self) -> Self {
        match self {
            Self::Th => Self::En,
            Self::En => Self::Th,
        }
    }

    /// The browser's preferred supported language from an
    /// `Accept-Language` value: highest q-value first, the earlier entry on
    /// a tie; `q=0` means "not this one"; `*` is Thai (the default) unless
    /// Thai itself is refused. `None` when nothing supported is acceptable
    /// or the value cannot be read.
    pub fn from_accept_language(value: &str) -> Option<Self> {
        let mut best: Option<(u16, Self)> = None;
        let mut refused = Vec::new();
        let mut wildcard: Option<u16> = None;
        for range in value.split(',').take(MAX_RANGES) {
            let Some((tag, q)) = parse_range(range) else {
                continue;
            };
            if tag == "*" {
                wildcard = Some(q);
                continue;
            }
            let Some(lang) = Self::from_tag(tag) else {
                continue;
            };
            if q == 0 {
                refused.push(lang);
            } else if best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        let from_wildcard = wildcard.filter(|q| *q > 0).and_then(|q| {
            [Self::Th, Self::En]
                .into_iter()
                .find(|l| !refused.contains(l))
                .map(|l| (q, l))
        });
        match (best, from_wildcard) {
            (Some((b, l)), Some((w, wl))) => Some(if w > b { wl } else { l }),
            (Some((_, l)), None) | (None, Some((_, l))) => Some(l),
            (None, None) => None,
        }
    }

    /// Chooses the page's language; see the module doc for the order.
    pub fn negotiate(explicit: Option<Self>, cookies: CookiePolicy, headers: &HeaderMap) -> Self {
        explicit
            .or_else(|| cookies.get(headers, COOKIE).and_then(Self::from_tag))
            .or_else(|| Self::from_headers(headers))
            .unwrap_or_default()
    }

    /// `Accept-Language` alone (several headers are one list).
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let joined = headers
            .get_all(ACCEPT_LANGUAGE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        Self::from_accept_language(&joined)
    }
}

/// One `language-range [; q=qvalue]`, the q-value in thousandths; `None`
/// for a malformed entry (which is skipped, not fatal).
fn parse_range(range: &str) -> Option<(&str, u16)> {
    let mut parts = range.split(';');
    let tag = parts.next()?.trim();
    let tag_ok = tag == "*"
        || (!tag.is_empty()
            && tag.len() <= 64
            && tag.split('-').all(|s| {
                (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            }));
    if !tag_ok {
        return None;
    }
    let mut q = 1000;
    for param in parts {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_qvalue(value.trim())?;
        }
    }
    Some((tag, q))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use axum::http::header::COOKIE as COOKIE_HEADER;

    fn al(v: &str) -> Option<Language> {
        Language::from_accept_language(v)
    }

    #[test]
    fn the_highest_q_value_wins_and_ties_keep_the_browsers_order() {
        assert_eq!(al("en-US,en;q=0.9"), Some(Language::En));
        assert_eq!(al("th-TH"), Some(Language::Th));
        assert_eq!(al("en-GB;q=0.8, th;q=0.9"), Some(Language::Th));
        assert_eq!(al("th;q=0.5, en-GB;q=0.8"), Some(Language::En));
        assert_eq!(al("en, th"), Some(Language::En));
        assert_eq!(al("fr-CA, en-GB;q=0.8"), Some(Language::En));
        assert_eq!(al("EN-gb;Q=1.0"), Some(Language::En));
    }

    #[test]
    fn the_wildcard_and_q_zero() {
        assert_eq!(al("*"), Some(Language::Th));
        assert_eq!(al("fr, *;q=0.1"), Some(Language::Th));
        assert_eq!(al("th;q=0, *"), Some(Language::En));
        assert_eq!(al("en;q=0"), None);
        assert_eq!(al("en;q=0.2, *;q=0.5"), Some(Language::Th));
    }

    #[test]
    fn garbage_and_unsupported_languages_choose_nothing() {
        assert_eq!(al(""), None);
        assert_eq!(al("fr, de;q=0.9"), None);
        assert_eq!(al("en;q=2"), None);
        assert_eq!(al("en;q=0.12345"), None);
        assert_eq!(al("en;q=abc"), None);
        assert_eq!(al("<script>, en us"), None);
        assert_eq!(al(";;;,,,=="), None);
        // A malformed entry is skipped; the rest still counts.
        assert_eq!(al("en;q=x, th;q=0.3"), Some(Language::Th));
    }

    #[test]
    fn an_explicit_choice_beats_the_cookie_which_beats_the_header() {
        let policy = CookiePolicy { secure: false };
        let mut h = HeaderMap::new();
        assert_eq!(Language::negotiate(None, policy, &h), Language::Th);
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("en-US,en;q=0.9"));
        assert_eq!(Language::negotiate(None, policy, &h), Language::En);
        h.insert(COOKIE_HEADER, HeaderValue::from_static("pratu_lang=th"));
        assert_eq!(Language::negotiate(None, policy, &h), Language::Th);
        assert_eq!(
            Language::negotiate(Some(Language::En), policy, &h),
            Language::En
        );
    }
}

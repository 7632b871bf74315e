//! Protocol parameters from a query string or a form body, to the letter of
//! RFC 6749 §3.1: a parameter sent without a value is treated as omitted,
//! and one sent twice is an error (reported by name).

use std::collections::BTreeMap;

use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;

/// Parsed parameters, with the names that appeared more than once.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
    duplicates: Vec<String>,
}

impl Params {
    pub fn parse(input: &[u8]) -> Self {
        let mut p = Self::default();
        for (k, v) in url::form_urlencoded::parse(input) {
            if v.is_empty() {
                continue;
            }
            if p.values.contains_key(k.as_ref()) {
                if !p.duplicates.iter().any(|d| d == k.as_ref()) {
                    p.duplicates.push(k.into_owned());
                }
            } else {
                p.values.insert(k.into_owned(), v.into_owned());
            }
        }
        p
    }

    /// A form body; anything but `application/x-www-form-urlencoded` is
    /// `None` (RFC 6749 requires that media type).
    pub fn from_form(headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let ct = headers.get(CONTENT_TYPE)?.to_str().ok()?;
        let media = ct.split(';').next()?.trim();
        media
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            .then(|| Self::parse(body))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The first of `names` that was sent twice, if any.
    pub fn first_duplicate(&self) -> Option<&str> {
        self.duplicates.first().map(String::as_str)
    }

    pub fn is_duplicated(&self, name: &str) -> bool {
        self.duplicates.iter().any(|d| d == name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_absent_and_repeats_are_reported() {
        let p = Params::parse(b"a=1&b=&c=x%20y&a=2&d=3&d=3");
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), None);
        assert_eq!(p.get("c"), Some("x y"));
        assert!(p.is_duplicated("a") && p.is_duplicated("d") && !p.is_duplicated("c"));
        assert_eq!(p.first_duplicate(), Some("a"));
    }

    #[test]
    fn a_form_needs_the_form_media_type() {
        let mut h = HeaderMap::new();
        assert!(Params::from_form(&h, b"a=1").is_none());
        h.insert(
            CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=UTF-8"
                .parse()
                .unwrap(),
        );
        assert_eq!(Params::from_form(&h, b"a=1").unwrap().get("a"), Some("1"));
        h.insert(CONTENT_TYPE, "application/json".parse().unwrap());
        assert!(Params::from_form(&h, b"a=1").is_none());
    }
}

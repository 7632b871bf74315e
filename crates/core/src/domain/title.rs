//! The name prefix (คำนำหน้านาม), DOMAIN.md §8: a known code where one fits,
//! free Thai text (ranks, royal and monastic titles, ดร.) otherwise. DOPA
//! ignores it; it is released as the `title` / `title_en` claims. Nothing is
//! inferred from it (age, gender).

use std::fmt;

use super::text::normalize;

const MAX_TITLE_CHARS: usize = 50;

/// The common prefixes, their abbreviations and a usual English rendering.
const KNOWN: &[(&str, &[&str], &str)] = &[
    ("นาย", &[], "Mr."),
    ("นาง", &[], "Mrs."),
    ("นางสาว", &["น.ส.", "น.ส"], "Miss"),
    ("เด็กชาย", &["ด.ช.", "ด.ช"], "Master"),
    ("เด็กหญิง", &["ด.ญ.", "ด.ญ"], "Miss"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TitleError {
    #[error("title is empty")]
    Empty,
    #[error("title is longer than {MAX_TITLE_CHARS} characters")]
    TooLong,
    #[error("title must be written in Thai script (dots allowed)")]
    NotThai,
}

/// A Thai name prefix.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Title {
    thai: String,
    known: Option<usize>,
}

impl Title {
    /// Known prefixes and their abbreviations become the full form (`น.ส.`
    /// → `นางสาว`); anything else in Thai script, spaces and dots is kept as
    /// typed (normalised).
    pub fn parse(input: &str) -> Result<Self, TitleError> {
        let s = normalize(input);
        if s.is_empty() {
            return Err(TitleError::Empty);
        }
        if s.chars().count() > MAX_TITLE_CHARS {
            return Err(TitleError::TooLong);
        }
        if !s
            .chars()
            .all(|c| matches!(c, ' ' | '.') || ('\u{0E00}'..='\u{0E7F}').contains(&c))
        {
            return Err(TitleError::NotThai);
        }
        let known = KNOWN
            .iter()
            .position(|(full, abbr, _)| *full == s || abbr.contains(&s.as_str()));
        let thai = known
            .and_then(|i| KNOWN.get(i))
            .map_or(s, |k| k.0.to_owned());
        Ok(Self { thai, known })
    }

    pub fn as_str(&self) -> &str {
        &self.thai
    }

    /// The usual English rendering of a known prefix (`Mr.`, `Mrs.`, `Miss`,
    /// `Master`); `None` for free-text titles.
    pub fn english(&self) -> Option<&'static str> {
        self.known.and_then(|i| KNOWN.get(i)).map(|k| k.2)
    }

    /// The prefixes a form offers as choices.
    pub fn common() -> impl Iterator<Item = &'static str> {
        KNOWN.iter().map(|k| k.0)
    }
}

impl fmt::Debug for Title {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Title([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_become_the_full_prefix() {
        assert_eq!(Title::parse("น.ส.").unwrap().as_str(), "นางสาว");
        assert_eq!(Title::parse("ด.ช.").unwrap().as_str(), "เด็กชาย");
        assert_eq!(Title::parse(" นาย ").unwrap().english(), Some("Mr."));
        assert_eq!(Title::parse("นางสาว").unwrap().english(), Some("Miss"));
    }

    #[test]
    fn other_thai_titles_are_kept_as_free_text() {
        let t = Title::parse("พล.ต.อ.").unwrap();
        assert_eq!(t.as_str(), "พล.ต.อ.");
        assert_eq!(t.english(), None);
    }

    #[test]
    fn latin_and_empty_titles_are_refused() {
        assert_eq!(Title::parse("Mr."), Err(TitleError::NotThai));
        assert_eq!(Title::parse(" "), Err(TitleError::Empty));
    }

    #[test]
    fn common_choices_are_the_known_prefixes() {
        assert_eq!(Title::common().count(), 5);
    }
}

//! Text normalisation shared by the name types and the registry file: NFC,
//! trimmed, runs of whitespace collapsed to one space (DOMAIN.md §8), so that
//! a name typed on a phone compares equal to the one on the card.

use unicode_normalization::UnicodeNormalization;

/// NFC, trim, collapse every run of Unicode whitespace into one ASCII space.
pub fn normalize(input: &str) -> String {
    let nfc: String = input.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_are_trimmed_and_collapsed() {
        assert_eq!(normalize("  สมชาย \t  ใจดี \n"), "สมชาย ใจดี");
        assert_eq!(normalize("\u{3000}a\u{a0}b"), "a b");
    }

    #[test]
    fn decomposed_text_is_composed() {
        // "é" as e + combining acute becomes one code point.
        assert_eq!(normalize("e\u{301}"), "\u{e9}");
    }
}

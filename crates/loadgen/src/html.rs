//! Just enough HTML reading to fill the provider's forms as a browser
//! would: the form that holds a given field, its action and its hidden
//! inputs (CSRF token, request handle), whatever they are called.

/// A form as a browser would submit it: action and hidden fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub action: String,
    pub hidden: Vec<(String, String)>,
}

/// The first `method="post"` form whose markup contains `needle`.
pub fn form_with(page: &str, needle: &str) -> Option<Form> {
    let mut rest = page;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start..];
        let end = after
            .find("</form>")
            .map_or(after.len(), |e| e + "</form>".len());
        let markup = &after[..end];
        rest = &after[end..];
        let tag_end = markup.find('>')?;
        let tag = &markup[..tag_end];
        let post = attr(tag, "method").is_some_and(|m| m.eq_ignore_ascii_case("post"));
        if !post || !markup.contains(needle) {
            continue;
        }
        let action = attr(tag, "action").unwrap_or_default();
        let mut hidden = Vec::new();
        let mut inputs = markup;
        while let Some(i) = inputs.find("<input") {
            let input = &inputs[i..];
            let close = input.find('>').unwrap_or(input.len());
            let itag = &input[..close];
            inputs = &input[close..];
            if attr(itag, "type").is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
                && let Some(name) = attr(itag, "name")
            {
                hidden.push((name, attr(itag, "value").unwrap_or_default()));
            }
        }
        return Some(Form { action, hidden });
    }
    None
}

/// The unescaped value of attribute `name` in a start tag (double or
/// single quoted).
fn attr(tag: &str, name: &str) -> Option<String> {
    let mut search = tag;
    loop {
        let i = search.find(name)?;
        let before = search[..i].chars().next_back();
        let after = &search[i + name.len()..];
        search = after;
        if !before.is_some_and(char::is_whitespace) {
            continue;
        }
        let Some(after) = after.trim_start().strip_prefix('=') else {
            continue;
        };
        let after = after.trim_start();
        let quote = after.chars().next()?;
        if quote != '"' && quote != '\'' {
            let end = after
                .find(|c: char| c.is_whitespace() || c == '>')
                .unwrap_or(after.len());
            return Some(unescape(&after[..end]));
        }
        let body = &after[1..];
        let end = body.find(quote)?;
        return Some(unescape(&body[..end]));
    }
}

/// Decodes the entities askama and browsers use in attribute values.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let ent = &rest[i..];
        let Some(semi) = ent.find(';').filter(|&n| n <= 10) else {
            out.push('&');
            rest = &ent[1..];
            continue;
        };
        let name = &ent[1..semi];
        let ch = match name {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => {
                let code =
                    if let Some(h) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                        u32::from_str_radix(h, 16).ok()
                    } else if let Some(d) = name.strip_prefix('#') {
                        d.parse().ok()
                    } else {
                        None
                    };
                code.and_then(char::from_u32)
            }
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &ent[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &ent[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_form_holding_the_password_field() {
        let page = r#"<form method="get" action="/lang"><input type="hidden" name="l" value="en"></form>
<form class="x" method="post" action="/login?a=1&amp;b=&#x2f;2">
 <input type="hidden" name="req" value="r&#43;1">
 <input type='hidden' name='csrf' value='c=='>
 <input type="text" name="username" autocomplete="username">
 <input type="password" name="password" autocomplete="current-password">
</form>"#;
        let f = form_with(page, "current-password").unwrap();
        assert_eq!(f.action, "/login?a=1&b=/2");
        assert_eq!(
            f.hidden,
            vec![("req".into(), "r+1".into()), ("csrf".into(), "c==".into())]
        );
        assert!(form_with(page, "decision").is_none());
    }

    #[test]
    fn attribute_names_match_whole_words() {
        assert_eq!(
            attr(r#"<input data-name="x" name="y""#, "name").as_deref(),
            Some("y")
        );
        assert_eq!(unescape("a&b&amp;c&#61;"), "a&b&c=");
    }
}

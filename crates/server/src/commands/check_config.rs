//! `pratu check-config`: the configuration `pratu serve` would run with —
//! built-in defaults, then the file, then `PRATU_*` variables — checked as
//! start-up checks it, and printed as TOML with every secret redacted, so
//! it can be read, diffed or pasted into a ticket.

use std::path::Path;

use crate::commands::CommandError;
use crate::config::Config;
use crate::config::secrets::REDACTED;

/// Checks `config` (loaded from `file`, as `serve` loads it) and prints it.
#[expect(clippy::print_stdout, reason = "the configuration is the output")]
pub fn run(config: &Config, file: Option<&Path>) -> Result<(), CommandError> {
    // Start-up also reads (or may generate) the key files: a missing one
    // with `secrets.generate_missing = false` stops it, so it stops this.
    config.secrets.check(&config.data_dir)?;
    let file = Config::file(file)?;
    print!(
        "{}",
        render(config, file.as_deref(), &Config::key_variables())?
    );
    Ok(())
}

/// The effective configuration as a TOML document: a comment saying where
/// it came from, then every key, the issuer resolved, secrets redacted.
pub fn render(
    config: &Config,
    file: Option<&Path>,
    variables: &[String],
) -> Result<String, CommandError> {
    let shown = redacted(config)?;
    let body = toml::to_string_pretty(&shown)
        .map_err(|e| CommandError::Failed(format!("cannot print the configuration: {e}")))?;
    let mut out = String::from(
        "# The configuration `pratu serve` would use: valid. Secrets are redacted\n\
         # (`[redacted]`; in outside services' URLs and the SMS body template,\n\
         # every value but the {to}/{text} placeholders is `***`).\n",
    );
    out.push_str(&match file {
        Some(f) => format!("# file: {}\n", f.display()),
        None => "# file: none (built-in defaults)\n".to_owned(),
    });
    if !variables.is_empty() {
        out.push_str(&format!("# environment: {}\n", variables.join(", ")));
    }
    if config.issuer.is_none() {
        out.push_str(
            "# issuer: not set, so http://<the bound listen address> (below), which is\n\
             # right for local development only; set it to the public https URL.\n",
        );
    }
    out.push('\n');
    out.push_str(&body);
    Ok(out)
}

/// A copy of `config` fit to print: the issuer resolved and every secret
/// replaced.
fn redacted(config: &Config) -> Result<Config, CommandError> {
    let mut shown = config.clone();
    shown.issuer = Some(config.effective_issuer(config.listen_addr()?));
    shown.database_url = config
        .database_url
        .as_deref()
        .map(pratu_storage::redact_url);
    shown.redis_url = config.redis_url.as_deref().map(pratu_storage::redact_url);
    shown.secrets = config.secrets.redacted();
    for value in shown.sms.http.headers.values_mut() {
        REDACTED.clone_into(value);
    }
    shown.sms.http.url = redact_endpoint(&config.sms.http.url);
    // The default template holds nothing but placeholders: shown as it is,
    // so the printed defaults read back as the defaults.
    if config.sms.http.body_template
        != pratu_registration::config::HttpSmsConfig::default().body_template
    {
        shown.sms.http.body_template = redact_template(&config.sms.http.body_template);
    }
    for value in shown.proofing.dopa.headers.values_mut() {
        REDACTED.clone_into(value);
    }
    shown.proofing.dopa.endpoint = redact_endpoint(&config.proofing.dopa.endpoint);
    Ok(shown)
}

/// An outside service's URL: the user info (a password, or a lone user
/// name, which gateways use as an API key) and the value of every query
/// parameter (gateways take keys under any name: `key`, `u`, `p`, `sid`)
/// become `***`; names and `{to}`-style placeholders stay, so the shape can
/// still be checked.
fn redact_endpoint(url: &str) -> String {
    let url = pratu_storage::redact_url(url);
    let url = redact_lone_user(&url);
    let (head, fragment) = match url.split_once('#') {
        Some((h, f)) => (h, Some(f)),
        None => (url.as_str(), None),
    };
    let Some((path, query)) = head.split_once('?') else {
        return url;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) => format!("{name}={}", redact_literal(value)),
            None => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{path}?{}", pairs.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&redact_literal(f));
    }
    out
}

/// `https://apikey@host/…` → `https://***@host/…` (a password is already
/// gone: `pratu_storage::redact_url`).
fn redact_lone_user(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) if !user.contains(':') => format!("{scheme}://***@{host}{tail}"),
        _ => url.to_owned(),
    }
}

/// The placeholders the SMS sender fills in; the rest of a value is
/// configuration, possibly a credential.
const PLACEHOLDERS: [&str; 2] = ["{to}", "{text}"];

/// A configured value with every literal run replaced by `***` and its
/// placeholders kept: `{to}` stays `{to}`, `Bearer abc` becomes `***`,
/// `key-{to}` becomes `***{to}`.
fn redact_literal(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while !rest.is_empty() {
        let next = PLACEHOLDERS
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, *p)))
            .min_by_key(|(i, _)| *i);
        match next {
            Some((i, placeholder)) => {
                if i > 0 {
                    out.push_str("***");
                }
                out.push_str(placeholder);
                rest = &rest[i + placeholder.len()..];
            }
            None => {
                out.push_str("***");
                rest = "";
            }
        }
    }
    out
}

/// The SMS body template with its keys and placeholders shown and every
/// other value hidden: a gateway's API key or sender password often sits
/// in the body. A JSON template keeps its structure (string values are
/// redacted, numbers and switches stay); a form-encoded one its names;
/// anything else is redacted whole but for its placeholders.
fn redact_template(template: &str) -> String {
    // Placeholders stand inside the template's quotes (the sender fills
    // them JSON-escaped), so a JSON template parses as it is.
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(template) {
        return redact_json(value).to_string();
    }
    if template.contains('=') && !template.contains(char::is_whitespace) {
        return template
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) => format!("{name}={}", redact_literal(value)),
                None => redact_literal(pair),
            })
            .collect::<Vec<_>>()
            .join("&");
    }
    redact_literal(template)
}

fn redact_json(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact_literal(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(redact_json).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, redact_json(v))).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWI=";

    fn with_every_secret() -> Config {
        Config::from_toml(&format!(
            r#"
            database_url = "postgres://pratu:db-pass-1@db:5432/pratu?password=db-pass-2"
            redis_url = "rediss://:redis-pass-1@cache:6380"
            [secrets]
            pii_key = "{KEY}"
            index_key = "{KEY}"
            key_encryption_key = "{KEY}"
            server_key = "{KEY}"
            previous_pii_keys = ["{KEY}"]
            previous_key_encryption_keys = ["{KEY}"]
            [proofing.dopa]
            endpoint = "https://agency:dopa-pass@dopa.example/check?api_key=dopa-key&x=1"
            [proofing.dopa.headers]
            X-Agency-Key = "dopa-header-secret"
            [sms]
            provider = "http"
            [sms.http]
            url = "https://sms.example/send?token=sms-token&to={{to}}"
            [sms.http.headers]
            Authorization = "Bearer sms-header-secret"
            "#
        ))
        .unwrap()
    }

    #[test]
    fn no_secret_is_printed() {
        let text = render(&with_every_secret(), None, &[]).unwrap();
        for secret in [
            KEY,
            "db-pass-1",
            "db-pass-2",
            "redis-pass-1",
            "dopa-pass",
            "dopa-key",
            "dopa-header-secret",
            "sms-token",
            "sms-header-secret",
        ] {
            assert!(!text.contains(secret), "{secret} printed:\n{text}");
        }
        for shown in [
            "postgres://pratu:***@db:5432/pratu?password=***",
            "rediss://:***@cache:6380",
            "https://agency:***@dopa.example/check?api_key=***&x=***",
            "https://sms.example/send?token=***&to={to}",
            r#"Authorization = "[redacted]""#,
            r#"X-Agency-Key = "[redacted]""#,
            r#"pii_key = "[redacted]""#,
        ] {
            assert!(text.contains(shown), "{shown} missing:\n{text}");
        }
    }

    /// A key added later whose name says it holds a secret must be redacted
    /// here too: this fails until `redacted` (or the key's name) changes.
    #[test]
    fn every_key_named_like_a_secret_is_redacted() {
        fn leaves(path: &str, v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(map) => {
                    for (k, child) in map {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        leaves(&p, child, out);
                    }
                }
                // Numbers and switches hold no secret, whatever their name.
                serde_json::Value::Number(_) | serde_json::Value::Bool(_) => {}
                _ => out.push(path.to_owned()),
            }
        }
        let handled = [
            "database_url",
            "redis_url",
            "secrets.pii_key",
            "secrets.index_key",
            "secrets.key_encryption_key",
            "secrets.server_key",
            "secrets.previous_pii_keys",
            "secrets.previous_key_encryption_keys",
            "sms.http.url",
            "proofing.dopa.endpoint",
        ];
        let mut all = Vec::new();
        leaves(
            "",
            &serde_json::to_value(Config::default()).unwrap(),
            &mut all,
        );
        let suspicious: Vec<&String> = all
            .iter()
            .filter(|p| {
                let last = p.rsplit('.').next().unwrap_or(p);
                ["secret", "token", "_key", "password", "credential"]
                    .iter()
                    .any(|w| last.contains(w))
                    && !handled.contains(&p.as_str())
            })
            .collect();
        assert!(
            suspicious.is_empty(),
            "check-config may print these as they are: {suspicious:?}"
        );
    }

    /// Gateways take credentials under any name and in any part of the
    /// request: every value is hidden, every name and placeholder shown.
    #[test]
    fn sms_gateway_values_are_redacted_whatever_their_names() {
        assert_eq!(
            redact_endpoint("https://apikey-1@sms.example/send?u=agency&p=pw-1&to={to}#frag"),
            "https://***@sms.example/send?u=***&p=***&to={to}#***"
        );
        assert_eq!(
            redact_endpoint("https://sms.example/send"),
            "https://sms.example/send"
        );
        assert_eq!(
            redact_template(r#"{"key": "k-1", "to": "{to}", "msg": "OTP {text}", "n": 1}"#),
            r#"{"key":"***","msg":"***{text}","n":1,"to":"{to}"}"#
        );
        assert_eq!(
            redact_template("user=agency&pass=pw-2&to={to}&text={text}"),
            "user=***&pass=***&to={to}&text={text}"
        );
        assert_eq!(
            redact_template("apikey pw-3 {to} {text}"),
            "***{to}***{text}"
        );
    }

    #[test]
    fn thai_text_is_printed_as_text_and_the_output_is_toml() {
        let config = Config::default();
        let text = render(&config, Some(Path::new("config/pratu.toml")), &[]).unwrap();
        assert!(text.contains("ข้อกำหนดการพิสูจน์และยืนยันตัวตน"), "{text}");
        assert!(!text.contains("\\u"), "{text}");
        assert!(text.contains("# file: config/pratu.toml"), "{text}");
        assert!(
            text.contains("issuer = \"http://127.0.0.1:8080\""),
            "{text}"
        );
        // It reads back as the same configuration, issuer resolved.
        let again = Config::from_toml(&text).unwrap();
        assert_eq!(
            again,
            Config {
                issuer: Some("http://127.0.0.1:8080".into()),
                ..config
            }
        );
    }

    #[test]
    fn a_set_issuer_is_printed_as_set() {
        let config =
            Config::from_toml("issuer = \"https://id.example.go.th\"\ndev_mode = true").unwrap();
        let text = render(&config, None, &["PRATU_ISSUER".into()]).unwrap();
        assert!(text.contains("issuer = \"https://id.example.go.th\""));
        assert!(text.contains("# environment: PRATU_ISSUER"), "{text}");
        assert!(!text.contains("# issuer: not set"), "{text}");
    }
}

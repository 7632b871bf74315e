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
         # (`[redacted]`, passwords in URLs `***`).\n",
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
    for value in shown.proofing.dopa.headers.values_mut() {
        REDACTED.clone_into(value);
    }
    shown.proofing.dopa.endpoint = redact_endpoint(&config.proofing.dopa.endpoint);
    Ok(shown)
}

/// An outside service's URL: the password of its user info, and the values
/// of query parameters named like credentials (SMS gateways often take an
/// API key in the query), become `***`.
fn redact_endpoint(url: &str) -> String {
    let url = pratu_storage::redact_url(url);
    let Some((head, query)) = url.split_once('?') else {
        return url;
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if names_a_credential(name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{head}?{}", pairs.join("&"))
}

fn names_a_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "key",
        "secret",
        "token",
        "pass",
        "pwd",
        "auth",
        "sig",
        "credential",
    ]
    .iter()
    .any(|word| name.contains(word))
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
            "https://agency:***@dopa.example/check?api_key=***&x=1",
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
        let config = Config::from_toml("issuer = \"https://id.example.go.th\"").unwrap();
        let text = render(&config, None, &["PRATU_ISSUER".into()]).unwrap();
        assert!(text.contains("issuer = \"https://id.example.go.th\""));
        assert!(text.contains("# environment: PRATU_ISSUER"), "{text}");
        assert!(!text.contains("# issuer: not set"), "{text}");
    }
}

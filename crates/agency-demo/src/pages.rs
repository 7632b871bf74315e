//! The HTML pages (askama templates under `templates/`; askama escapes
//! every value, so claims from tokens cannot inject markup).

use askama::Template;

use crate::config::Config;
use crate::provider::SignedIn;

#[derive(Debug, Template)]
#[template(path = "home.html")]
pub struct HomePage<'a> {
    pub title: &'a str,
    pub app: &'a str,
    pub user: Option<UserView>,
    pub csrf: &'a str,
    pub logged_out: bool,
    pub issuer: &'a str,
}

#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub title: &'a str,
    pub app: &'a str,
    pub heading: &'a str,
    pub body: &'a str,
}

/// The signed-in user as the page shows them.
#[derive(Debug)]
pub struct UserView {
    /// Thai full name (userinfo `name`), else what else names them.
    pub display_name: String,
    pub id_token: Vec<(String, String)>,
    pub userinfo: Vec<(String, String)>,
}

pub fn render(t: &impl Template) -> Result<String, askama::Error> {
    t.render()
}

pub fn home<'a>(
    config: &'a Config,
    user: Option<&SignedIn>,
    csrf: &'a str,
    logged_out: bool,
) -> HomePage<'a> {
    HomePage {
        title: &config.title,
        app: config.app.slug(),
        user: user.map(user_view),
        csrf,
        logged_out,
        issuer: &config.issuer,
    }
}

fn user_view(u: &SignedIn) -> UserView {
    let c = &u.claims;
    let info = &u.userinfo;
    let name = info.name().and_then(|n| n.get(None)).map(|v| v.to_string());
    let given = info
        .given_name()
        .and_then(|n| n.get(None))
        .map(|v| v.to_string());
    let family = info
        .family_name()
        .and_then(|n| n.get(None))
        .map(|v| v.to_string());
    let display_name = name
        .or_else(|| match (given, family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (g, f) => g.or(f),
        })
        .or_else(|| info.preferred_username().map(|u| u.to_string()))
        .unwrap_or_else(|| c.subject().to_string());

    let mut id_token = vec![
        ("iss".into(), c.issuer().to_string()),
        ("sub".into(), c.subject().to_string()),
        (
            "aud".into(),
            c.audiences()
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        ),
    ];
    if let Some(t) = c.auth_time() {
        id_token.push(("auth_time".into(), t.to_rfc3339()));
    }
    if let Some(acr) = c.auth_context_ref() {
        id_token.push(("acr".into(), acr.to_string()));
    }
    if let Some(amr) = c.auth_method_refs() {
        let amr: Vec<String> = amr.iter().map(|m| m.to_string()).collect();
        id_token.push(("amr".into(), amr.join(" ")));
    }
    if let Some(sid) = u.sid() {
        id_token.push(("sid".into(), sid.to_owned()));
    }
    id_token.push(("iat".into(), c.issue_time().to_rfc3339()));
    id_token.push(("exp".into(), c.expiration().to_rfc3339()));

    UserView {
        display_name,
        id_token,
        userinfo: flatten(&serde_json::to_value(info).unwrap_or_default()),
    }
}

/// Top-level claims as `name: value` rows (nested objects as JSON).
fn flatten(v: &serde_json::Value) -> Vec<(String, String)> {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

//! What an agency app needs to know to sign users in through Pratu: the
//! issuer, its own client credentials (from `pratu client create`), and the
//! public URL it is reached at (every URI registered with Pratu derives from
//! it, so they cannot drift apart).

use openidconnect::ClientSecret;
use url::Url;

/// Which of the two sample apps this process is. They share all code; only
/// the look, the cookie and the default title differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum App {
    /// INFO: the public e-Service of the government contact-information system.
    Info,
    /// An internal back-office system used by agency staff.
    Backoffice,
}

impl App {
    pub fn slug(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Backoffice => "backoffice",
        }
    }

    pub fn default_title(self) -> &'static str {
        match self {
            Self::Info => "INFO — ระบบข้อมูลติดต่อราชการ",
            Self::Backoffice => "ระบบงานภายใน (Back-office)",
        }
    }

    /// Browsers scope cookies by host, not port: two apps on one host (as in
    /// the quickstart) need different cookie names or they overwrite each
    /// other's session.
    pub fn cookie_name(self) -> &'static str {
        match self {
            Self::Info => "info_session",
            Self::Backoffice => "backoffice_session",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub app: App,
    /// Shown in the page header.
    pub title: String,
    /// Pratu's issuer URL exactly as it appears in its discovery document
    /// (`iss` of every token is compared with it).
    pub issuer: String,
    pub client_id: String,
    /// `Debug` prints `ClientSecret([redacted])`.
    pub client_secret: ClientSecret,
    /// Where browsers reach this app, e.g. `http://127.0.0.1:3000`. The
    /// redirect URI is `<base>/callback`, the post-logout redirect URI
    /// `<base>/` and the back-channel logout URI `<base>/backchannel-logout`.
    pub base_url: Url,
    /// Scopes asked for besides `openid`.
    pub scopes: Vec<String>,
}

impl Config {
    pub fn redirect_uri(&self) -> String {
        self.join("callback")
    }

    /// The home page; also where RP-initiated logout comes back to.
    pub fn home_url(&self) -> String {
        self.join("")
    }

    pub fn post_logout_redirect_uri(&self) -> String {
        self.home_url()
    }

    pub fn backchannel_logout_uri(&self) -> String {
        self.join("backchannel-logout")
    }

    /// Whether cookies must carry `Secure` (everything but plain-http
    /// development).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    fn join(&self, path: &str) -> String {
        let base = self.base_url.as_str().trim_end_matches('/');
        format!("{base}/{path}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(base: &str) -> Config {
        Config {
            app: App::Info,
            title: "t".into(),
            issuer: "http://127.0.0.1:8080".into(),
            client_id: "c".into(),
            client_secret: ClientSecret::new("s".into()),
            base_url: Url::parse(base).unwrap(),
            scopes: vec![],
        }
    }

    #[test]
    fn registered_uris_derive_from_the_base_url_with_or_without_a_path() {
        let c = config("http://127.0.0.1:3000");
        assert_eq!(c.redirect_uri(), "http://127.0.0.1:3000/callback");
        assert_eq!(c.post_logout_redirect_uri(), "http://127.0.0.1:3000/");
        let c = config("https://info.example.go.th/app/");
        assert_eq!(c.redirect_uri(), "https://info.example.go.th/app/callback");
        assert_eq!(
            c.backchannel_logout_uri(),
            "https://info.example.go.th/app/backchannel-logout"
        );
        assert!(c.secure_cookies());
    }

    #[test]
    fn the_secret_is_not_printed() {
        assert!(!format!("{:?}", config("http://a")).contains("\"s\""));
    }
}

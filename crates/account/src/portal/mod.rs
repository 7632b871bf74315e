//! The citizen's portal under `/account`: signing in through Pratu itself
//! ([`session`]), the shell every portal page shares ([`page`]: chrome,
//! navigation, rendering, error pages; [`i18n`]: the words), and the
//! profile page. Other sections build on [`PortalUser`] (who is signed in,
//! CSRF per form purpose), [`PortalUser::chrome`] and [`page::render`].

mod apps;
mod data;
mod delete;
mod done;
mod factors;
pub mod i18n;
pub mod page;
mod passkeys;
mod password;
mod phone;
mod profile;
pub mod session;
mod sessions;
mod totp;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};

pub use page::{Chrome, PageLang, error_page, render};
pub use session::PortalUser;

use crate::state::AccountState;

pub(crate) fn routes<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/account", get(profile::profile))
        .route(password::PATH, get(password::show).post(password::change))
        .route(phone::PATH, get(phone::show).post(phone::start))
        .route(phone::VERIFY_PATH, post(phone::verify))
        .route(apps::PATH, get(apps::show).post(apps::withdraw))
        .route(sessions::PATH, get(sessions::show).post(sessions::end_all))
        .route(delete::PATH, get(delete::show).post(delete::delete))
        .route(data::ACTIVITY_PATH, get(data::activity))
        .route(data::DATA_PATH, get(data::data))
        .route(factors::FACTORS_PATH, get(factors::factors))
        .route(passkeys::PATH, get(passkeys::show).post(passkeys::add))
        .route(passkeys::OPTIONS_PATH, post(passkeys::options))
        .route(passkeys::REMOVE_PATH, post(passkeys::remove))
        .route(passkeys::SCRIPT_PATH, get(passkeys::script))
        .route(totp::PATH, get(totp::show))
        .route(totp::START_PATH, post(totp::start))
        .route(totp::CONFIRM_PATH, post(totp::confirm))
        .route(totp::CODES_PATH, post(totp::recovery_codes))
        .route(totp::REMOVE_PATH, post(totp::remove))
        .route(data::EXPORT_PATH, get(data::export))
        .route("/account/done/{what}", get(done::show))
        .route(session::CALLBACK_PATH, get(session::callback))
        .route(session::SIGNOUT_PATH, post(session::signout))
        .route(page::STYLESHEET_PATH, get(page::stylesheet))
}

#[cfg(test)]
mod tests {
    //! Every template of the front door and the portal renders, in Thai and
    //! in English, with its language attribute and without scripts.

    use askama::Template;
    use pratu_core::web::Language;

    use super::page::{Chrome, NavItem, Shell};
    use super::profile::{Profile, ProfilePage};
    use crate::front::FrontPage;

    fn chrome(lang: Language, signed_in: bool) -> Chrome {
        Chrome {
            lang,
            path: "/account",
            shell: signed_in.then(|| Shell {
                username: "somchai87".into(),
                signout_csrf: "tok".into(),
                nav: vec![NavItem {
                    href: "/account",
                    key: "nav.profile",
                    current: true,
                }],
            }),
        }
    }

    #[test]
    fn every_page_renders_in_both_languages() {
        for lang in [Language::Th, Language::En] {
            let pages = [
                FrontPage {
                    c: chrome(lang, false),
                }
                .render()
                .unwrap(),
                ProfilePage {
                    c: chrome(lang, true),
                    p: Profile {
                        username: "somchai87".into(),
                        name: "นาย สมชาย ใจดี".into(),
                        name_en: "Mr Somchai Jaidee".into(),
                        citizen_id_masked: Some("1-1017-xxxxx-xx-0".into()),
                        phone_masked: Some("08x-xxx-5678".into()),
                        phone_verified: true,
                        ial: Some("2.1".into()),
                        member_since: "6 ธ.ค. 2569".into(),
                    },
                }
                .render()
                .unwrap(),
            ];
            for html in pages {
                assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
                assert!(html.contains(&format!("?lang={}", lang.other().code())));
                assert!(!html.contains("<script") && !html.contains("style="));
            }
        }
        let signed_in = ProfilePage {
            c: chrome(Language::Th, true),
            p: Profile {
                username: "u".into(),
                name: String::new(),
                name_en: String::new(),
                citizen_id_masked: None,
                phone_masked: None,
                phone_verified: false,
                ial: None,
                member_since: String::new(),
            },
        }
        .render()
        .unwrap();
        assert!(signed_in.contains(r#"action="/account/signout""#));
        assert!(signed_in.contains(r#"aria-current="page""#));
    }

    #[test]
    fn the_operation_pages_render_in_both_languages_with_labelled_inputs() {
        for lang in [Language::Th, Language::En] {
            let c = || chrome(lang, true);
            let pages = [
                super::password::PasswordPage {
                    c: c(),
                    csrf: "tok".into(),
                    error: Some("password.error.wrong"),
                }
                .render()
                .unwrap(),
                super::phone::PhonePage {
                    c: c(),
                    csrf: "tok".into(),
                    current: Some("08x-xxx-5678".into()),
                    reference: None,
                    notice: None,
                    error: None,
                }
                .render()
                .unwrap(),
                super::phone::PhonePage {
                    c: c(),
                    csrf: "tok".into(),
                    current: None,
                    reference: Some("AB12".into()),
                    notice: Some("phone.changed"),
                    error: Some("phone.error.code"),
                }
                .render()
                .unwrap(),
                super::apps::AppsPage {
                    c: c(),
                    csrf: "tok".into(),
                    apps: vec![super::apps::App {
                        client_id: "tax".into(),
                        name: "Tax Office".into(),
                        scopes: "openid profile".into(),
                        since: "6 ธ.ค. 2569".into(),
                    }],
                    withdrawn: true,
                }
                .render()
                .unwrap(),
                super::sessions::SessionsPage {
                    c: c(),
                    csrf: "tok".into(),
                    sessions: vec![],
                }
                .render()
                .unwrap(),
                super::data::ActivityPage {
                    c: c(),
                    events: vec![],
                }
                .render()
                .unwrap(),
                super::data::DataPage { c: c() }.render().unwrap(),
                super::factors::FactorsPage {
                    c: c(),
                    sms_phone: Some("08x-xxx-5678".into()),
                    totp_active: true,
                }
                .render()
                .unwrap(),
                super::delete::DeletePage {
                    c: c(),
                    csrf: "tok".into(),
                    error: None,
                }
                .render()
                .unwrap(),
            ];
            for html in pages {
                assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
                assert!(!html.contains("<script") && !html.contains("style="));
                // Every visible input has its label.
                for id in html.split(r#"<input id=""#).skip(1) {
                    let id = &id[..id.find('"').unwrap()];
                    assert!(html.contains(&format!(r#"<label for="{id}">"#)), "{id}");
                }
            }
        }
    }

    /// The passkeys page: the one portal page with a script (the passkey
    /// dialog needs it), same-origin and never inline; the add form is
    /// hidden until the script finds passkey support, the list and the
    /// removal are plain forms.
    #[test]
    fn the_passkeys_page_renders_in_both_languages_with_its_one_script() {
        for lang in [Language::Th, Language::En] {
            let page = |passkeys: Vec<super::passkeys::Row>, supported| {
                super::passkeys::PasskeysPage {
                    c: chrome(lang, true),
                    add_csrf: "add".into(),
                    remove_csrf: "rm".into(),
                    passkeys,
                    supported,
                    notice: Some("passkeys.notice.added"),
                    error: Some("passkeys.error.refused"),
                }
                .render()
                .unwrap()
            };
            let html = page(
                vec![super::passkeys::Row {
                    id: "Y3JlZA".into(),
                    name: "<phone>".into(),
                    added: "6 ธ.ค. 2569".into(),
                    last_used: None,
                }],
                true,
            );
            assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
            assert_eq!(html.matches("<script").count(), 1, "{html}");
            assert!(html.contains(r#"<script src="/account/passkeys.js" defer></script>"#));
            assert!(!html.contains("style="));
            assert!(html.contains(r#"id="passkey-add""#) && html.contains(" hidden>"));
            assert!(html.contains(r#"action="/account/passkeys/remove""#));
            assert!(!html.contains("<phone>"), "names are escaped");
            for id in html.split(r#" id=""#).skip(1) {
                let id = &id[..id.find('"').unwrap()];
                if ["remove-id", "remove-password", "passkey-name"].contains(&id) {
                    assert!(html.contains(&format!(r#"<label for="{id}">"#)), "{id}");
                }
            }
            let off = page(vec![], false);
            assert!(!off.contains("<script"), "no passkeys offered, no script");
            assert!(
                !off.contains("/account/passkeys/remove"),
                "nothing to remove"
            );
        }
    }

    /// The authenticator app's page in each of its views, both languages:
    /// no script, no inline style, labelled inputs, the QR code inline.
    #[test]
    fn the_totp_page_renders_every_view_in_both_languages() {
        use super::totp::{TotpPage, View};
        use zeroize::Zeroizing;
        for lang in [Language::Th, Language::En] {
            let views = [
                View::Off,
                View::Setup {
                    qr_svg: Zeroizing::new(
                        r#"<svg xmlns="http://www.w3.org/2000/svg"></svg>"#.into(),
                    ),
                    secret_groups: Zeroizing::new("ABCD EFGH".into()),
                },
                View::Retry,
                View::Codes {
                    codes: vec![Zeroizing::new("aaaa-bbbb-cccc-dddd".into())],
                },
                View::Active {
                    since: "6 ธ.ค. 2569".into(),
                    recovery_codes_left: 2,
                },
            ];
            for view in views {
                let html = TotpPage {
                    c: chrome(lang, true),
                    view,
                    start_csrf: "s".into(),
                    confirm_csrf: "c".into(),
                    codes_csrf: "r".into(),
                    remove_csrf: "x".into(),
                    notice: Some("totp.notice.added"),
                    error: Some("totp.error.none"),
                }
                .render()
                .unwrap();
                assert!(html.contains(&format!(r#"<html lang="{}">"#, lang.code())));
                assert!(!html.contains("<script") && !html.contains("style="));
                assert!(!html.contains("&lt;svg"), "the QR code is markup");
                for id in html.split(r#"<input id=""#).skip(1) {
                    let id = &id[..id.find('"').unwrap()];
                    assert!(html.contains(&format!(r#"<label for="{id}">"#)), "{id}");
                }
                assert!(html.contains(super::i18n::text(lang, "totp.error.none")));
            }
        }
    }

    /// The messages the handlers pick by key (not seen by the template
    /// scan) exist.
    #[test]
    fn every_message_key_of_the_totp_handlers_exists() {
        let src = include_str!("totp.rs");
        let mut n = 0;
        for prefix in ["totp.", "password.error."] {
            for part in src.split(&format!("\"{prefix}")).skip(1) {
                let key = format!("{prefix}{}", &part[..part.find('"').unwrap()]);
                assert!(super::i18n::has(&key), "unknown key {key}");
                n += 1;
            }
        }
        assert!(n >= 7, "{n}");
    }
}

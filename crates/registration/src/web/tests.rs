//! Every page renders, in Thai and in English, with sample data and with
//! errors; the citizen ID appears only masked.

use super::account::AccountPage;
use super::finish::{DonePage, ReviewPage};
use super::i18n::Lang;
use super::identity::{LaserPage, MethodPage, NoLaserPage, PersonalForm, PersonalPage};
use super::page::{Page, ShownError};
use super::phone::{OtpPage, PhonePage};
use super::problem::ProblemPage;
use super::start::{CitizenIdPage, ConsentPage};

fn page(lang: Lang, step: u8, errors: bool) -> Page {
    let mut p = Page {
        lang,
        csrf: "token123".into(),
        step,
        path: "/register/x",
        citizen_masked: (step > 2).then(|| "1-2345-xxxxx-xx-1".to_owned()),
        alert: None,
        errors: Vec::new(),
    };
    if errors {
        p.alert = Some("Alert text".into());
        p.errors.push(ShownError {
            field: "first_name".into(),
            message: "Field message".into(),
            summary: "First name: Field message".into(),
        });
    }
    p
}

fn all_pages(lang: Lang, errors: bool) -> Vec<(&'static str, String)> {
    let p = |step| page(lang, step, errors);
    let r = |t: &dyn askama::DynTemplate| t.dyn_render().unwrap();
    vec![
        (
            "consent",
            r(&ConsentPage {
                p: p(1),
                terms_version: "2026-01".into(),
                terms_text: "Terms <b>text</b>".into(),
            }),
        ),
        (
            "citizen_id",
            r(&CitizenIdPage {
                p: p(2),
                value: "123".into(),
            }),
        ),
        (
            "method",
            r(&MethodPage {
                p: p(3),
                selected: "laser_code".into(),
            }),
        ),
        ("no_laser", r(&NoLaserPage { p: p(3) })),
        (
            "personal",
            r(&PersonalPage {
                p: p(4),
                form: PersonalForm {
                    first_name: "สมชาย".into(),
                    birth_day: "29".into(),
                    birth_month: "12".into(),
                    birth_year: "2538".into(),
                    title: "นาย".into(),
                    ..Default::default()
                },
                titles: crate::domain::Title::common().collect(),
                days: (1..=31).collect(),
                months: vec![(1, "มกราคม"), (12, "ธันวาคม")],
            }),
        ),
        (
            "laser",
            r(&LaserPage {
                p: p(5),
                name: "นาย สมชาย ใจดี".into(),
                birth: "29 ธันวาคม 2538".into(),
            }),
        ),
        (
            "account",
            r(&AccountPage {
                p: p(6),
                username: "somchai".into(),
                username_hint: "hint".into(),
                password_hint: "hint".into(),
                just_verified: true,
            }),
        ),
        (
            "phone",
            r(&PhonePage {
                p: p(7),
                phone: "0812345678".into(),
            }),
        ),
        (
            "otp",
            r(&OtpPage {
                p: p(7),
                sent: "sent to 08x-xxx-5678".into(),
                expires: "5 min".into(),
                reference: "KXQF".into(),
                resend_wait: Some("wait".into()),
            }),
        ),
        (
            "review",
            r(&ReviewPage {
                p: p(8),
                citizen_id: "1-2345-xxxxx-xx-1".into(),
                name: "นาย สมชาย ใจดี".into(),
                name_en: "Mr. Somchai Jaidee".into(),
                birth: "29 December 1995".into(),
                username: "somchai".into(),
                phone: "08x-xxx-5678".into(),
            }),
        ),
        (
            "done",
            r(&DonePage {
                p: p(9),
                body: "Ready".into(),
                sign_in_url: "https://sso.example/".into(),
                continue_url: Some("/authorize/continue?req=abc&lang=th".into()),
            }),
        ),
        (
            "problem",
            r(&ProblemPage {
                p: p(1),
                message: "Expired".into(),
                start_again: true,
                back: "/register",
            }),
        ),
    ]
}

#[test]
fn every_page_renders_in_thai_and_english() {
    for lang in [Lang::Th, Lang::En] {
        for errors in [false, true] {
            for (name, html) in all_pages(lang, errors) {
                assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
                assert!(
                    html.contains(&format!("<html lang=\"{}\"", lang.code())),
                    "{name}"
                );
                assert!(
                    html.contains("aria-current=\"step\""),
                    "{name}: progress indicator"
                );
                assert!(
                    html.contains(&format!("?lang={}", lang.other().code())),
                    "{name}: language switch"
                );
                if html.contains("<form method=\"post\"") {
                    assert!(
                        html.contains("name=\"csrf\" value=\"token123\""),
                        "{name}: CSRF token"
                    );
                }
                if errors {
                    assert!(html.contains("role=\"alert\""), "{name}: error summary");
                    assert!(
                        html.contains("href=\"#first_name\""),
                        "{name}: summary links to the field"
                    );
                }
                let step_word = if lang == Lang::Th {
                    "ขั้นตอนที่"
                } else {
                    "Step "
                };
                assert!(html.contains(step_word), "{name}: step label");
            }
        }
    }
}

#[test]
fn values_are_html_escaped() {
    let pages = all_pages(Lang::En, false);
    let consent = &pages[0].1;
    assert!(
        consent.contains("Terms &#60;b&#62;text&#60;/b&#62;")
            || consent.contains("Terms &lt;b&gt;text&lt;/b&gt;")
    );
}

#[test]
fn fields_carry_the_autocomplete_and_inputmode_a_phone_needs() {
    let pages: std::collections::HashMap<_, _> = all_pages(Lang::Th, false).into_iter().collect();
    assert!(pages["citizen_id"].contains("inputmode=\"numeric\""));
    assert!(pages["personal"].contains("autocomplete=\"given-name\""));
    assert!(pages["personal"].contains("autocomplete=\"family-name\""));
    assert!(pages["personal"].contains("autocomplete=\"bday-year\""));
    assert!(pages["personal"].contains("<option value=\"12\" selected>ธันวาคม</option>"));
    assert!(pages["personal"].contains("<option value=\"นาย\" selected>"));
    assert!(pages["laser"].contains("autocapitalize=\"characters\""));
    assert!(pages["account"].contains("autocomplete=\"username\""));
    assert!(pages["account"].contains("autocomplete=\"new-password\""));
    assert!(pages["phone"].contains("type=\"tel\""));
    assert!(pages["phone"].contains("autocomplete=\"tel-national\""));
    assert!(pages["otp"].contains("autocomplete=\"one-time-code\""));
    assert!(pages["otp"].contains("inputmode=\"numeric\""));
}

#[test]
fn pages_after_the_citizen_id_step_show_it_masked_only() {
    for (name, html) in all_pages(Lang::En, false).into_iter().skip(2) {
        if name == "problem" {
            continue;
        }
        assert!(html.contains("1-2345-xxxxx-xx-1"), "{name}");
    }
}

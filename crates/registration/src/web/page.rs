//! What every wizard page shows around its form: language, progress, the
//! masked citizen ID, errors beside fields and in a summary.

use super::i18n::{self, Lang};
use crate::service::FieldError;

pub const TOTAL_STEPS: u8 = 9;

/// One entry of the progress list.
#[derive(Debug, Clone)]
pub struct StepItem {
    pub no: u8,
    pub label: &'static str,
    /// `done`, `current` or `todo`.
    pub state: &'static str,
}

/// A refused field, in the page's language.
#[derive(Debug, Clone)]
pub struct ShownError {
    pub field: String,
    /// Beside the field.
    pub message: String,
    /// In the summary at the top: the field's name, then the message.
    pub summary: String,
}

/// The label a field is known by in the error summary.
fn label_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "accept" => "consent.terms_heading",
        "citizen_id" => "citizen.label",
        "method" => "method.legend",
        "title" => "personal.title_label",
        "first_name" => "personal.first",
        "middle_name" => "personal.middle",
        "last_name" => "personal.last",
        "title_en" => "personal.title_en",
        "first_name_en" => "personal.first_en",
        "middle_name_en" => "personal.middle_en",
        "last_name_en" => "personal.last_en",
        "birth_date" => "personal.birth_legend",
        "laser_code" => "laser.label",
        "username" => "account.username",
        "password" => "account.password",
        "phone" => "phone.label",
        "code" => "otp.label",
        _ => return None,
    })
}

#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub csrf: String,
    /// 1–9.
    pub step: u8,
    /// The path of this page, for the language switch.
    pub path: &'static str,
    /// Shown masked, after the citizen-ID step.
    pub citizen_masked: Option<String>,
    /// A message about the whole page (not one field).
    pub alert: Option<String>,
    pub errors: Vec<ShownError>,
}

impl Page {
    pub fn t(&self, key: &str) -> &'static str {
        i18n::text(self.lang, key)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn step_of(&self) -> String {
        i18n::fill(
            self.t("progress.step_of"),
            &[
                ("n", &self.step.to_string()),
                ("total", &TOTAL_STEPS.to_string()),
            ],
        )
    }

    pub fn steps(&self) -> Vec<StepItem> {
        (1..=TOTAL_STEPS)
            .map(|no| StepItem {
                no,
                label: i18n::text(self.lang, &format!("step.{no}")),
                state: match no.cmp(&self.step) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "todo",
                },
            })
            .collect()
    }

    /// The message for `field`, if refused.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.alert.is_some()
    }

    /// Adds service field errors in the page's language.
    pub fn with_field_errors(mut self, errors: &[FieldError]) -> Self {
        for e in errors {
            let message = i18n::field_message(self.lang, e.field, e.code).to_owned();
            self.push_error(e.field, message);
        }
        self
    }

    pub fn with_error(mut self, field: &str, key: &str) -> Self {
        let message = self.t(key).to_owned();
        self.push_error(field, message);
        self
    }

    pub fn push_error(&mut self, field: &str, message: String) {
        let summary = match label_key(field) {
            Some(label) => format!("{}: {message}", self.t(label)),
            None => message.clone(),
        };
        self.errors.push(ShownError {
            field: field.to_owned(),
            message,
            summary,
        });
    }

    pub fn with_alert(mut self, message: impl Into<String>) -> Self {
        self.alert = Some(message.into());
        self
    }
}

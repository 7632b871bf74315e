//! Domain parse errors as field errors of enrollment, with the codes
//! `pratu_core::domain::FieldCode` gives them (shared with recovery).

use super::FieldError;

pub(crate) trait FieldCode: pratu_core::domain::FieldCode {
    fn on(&self, field: &'static str) -> FieldError {
        FieldError::new(field, self.field_code(), self.to_string())
    }
}

impl<T: pratu_core::domain::FieldCode + ?Sized> FieldCode for T {}

//! What both SQL backends share: error classification and the text names
//! enums are stored under.

pub(crate) mod error;
pub(crate) mod names;

pub(crate) use error::{classify, classify_lite};

/// Most rows one `list_audit` call returns, whatever the filter asks.
pub(crate) const AUDIT_PAGE_CAP: u32 = 1000;

/// `AuditFilter::limit` as a row count: `0` means "as many as allowed".
pub(crate) fn audit_limit(limit: u32) -> i64 {
    i64::from(if limit == 0 {
        AUDIT_PAGE_CAP
    } else {
        limit.min(AUDIT_PAGE_CAP)
    })
}

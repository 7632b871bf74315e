//! Claims: what the `claims` parameter asks for, and the values an account
//! releases.

mod release;
mod request;

pub(crate) use release::Source;
pub use release::{CITIZEN_ID_AAD, VERIFIED_CLAIMS, birthdate};
pub use request::{ClaimsRequest, ClaimsRequestError};

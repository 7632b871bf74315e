//! Stored names of the record enums. `EnrollmentStep` and `UserStatus`
//! carry their own `as_str`; the rest are spelled here, once for both
//! backends.

use crate::records::{ClientStatus, UserStatus};

pub(crate) fn parse_user_status(s: &str) -> Option<UserStatus> {
    match s {
        "active" => Some(UserStatus::Active),
        "disabled" => Some(UserStatus::Disabled),
        _ => None,
    }
}

pub(crate) fn client_status(status: ClientStatus) -> &'static str {
    match status {
        ClientStatus::Active => "active",
        ClientStatus::Disabled => "disabled",
    }
}

pub(crate) fn parse_client_status(s: &str) -> Option<ClientStatus> {
    match s {
        "active" => Some(ClientStatus::Active),
        "disabled" => Some(ClientStatus::Disabled),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_reads_back_as_itself() {
        for s in [UserStatus::Active, UserStatus::Disabled] {
            assert_eq!(parse_user_status(s.as_str()), Some(s));
        }
        for s in [ClientStatus::Active, ClientStatus::Disabled] {
            assert_eq!(parse_client_status(client_status(s)), Some(s));
        }
    }
}

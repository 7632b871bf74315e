//! Registered relying parties: metadata (RFC 7591 names), redirect-URI
//! rules, secrets, and a cached lookup for the protocol endpoints.

mod cache;
mod metadata;
pub(crate) mod outbound;
pub mod redirect;
pub mod registration;
mod registration_metadata;
mod secret;
mod service;
mod view;

pub(crate) use metadata::{claims_in_id_token, sector_of};
pub use metadata::{parse_value, parse_values};
pub use secret::SecretString;
pub(crate) use secret::{random_token, verify_secret};
pub use service::{
    AUTH_BASIC, AUTH_NONE, AUTH_POST, AUTH_PRIVATE_KEY_JWT, ClientError, ClientService,
    GRANT_AUTHORIZATION_CODE, GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, NewClient,
};
pub(crate) use service::{allows_grant, uses_secret};
pub use view::ClientView;

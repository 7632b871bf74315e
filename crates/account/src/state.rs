//! The state this crate's routes need, and how the server builds it.

use std::sync::Arc;

use pratu_core::access::ProviderAccess;
use pratu_core::domain::PasswordPolicy;
use pratu_core::limits::PhoneSendLimit;
use pratu_core::otp::OtpPolicy;
use pratu_core::password::PasswordHasher;
use pratu_core::pii::{BlindIndex, PiiCipher, SecretKey};
use pratu_core::proofing::IdentityProofing;
use pratu_core::random::SharedRandom;
use pratu_core::sms::SmsSender;
use pratu_core::web::{CookiePolicy, Csrf};
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::{Clock, Store};

use crate::config::AccountConfig;
use crate::service::AccountService;

/// What the server hands over to build [`AccountState`].
#[derive(Debug, Clone)]
pub struct AccountDeps {
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub random: SharedRandom,
    /// The OpenID provider's tokens and sessions (`pratu-oidc` implements
    /// it; features do not import each other).
    pub provider: Arc<dyn ProviderAccess>,
    /// The same proofing adapter enrollment uses.
    pub proofing: Arc<dyn IdentityProofing>,
    pub sms: Arc<dyn SmsSender>,
    pub hasher: PasswordHasher,
    /// Opens and seals citizen IDs (aad `b"citizen_id"`).
    pub pii: PiiCipher,
    /// Finds accounts by citizen ID (domain `"citizen_id"`).
    pub blind_index: BlindIndex,
    /// The password policy of enrollment (`enrollment.password`): a new
    /// password meets the same rules as the first.
    pub password_policy: PasswordPolicy,
    /// The SMS code policy of enrollment (`[otp]`).
    pub otp: OtpPolicy,
    /// SMS codes per phone number, shared with enrollment and step-up.
    pub phone_sends: PhoneSendLimit,
    /// Key of the portal's CSRF tokens (the same on every node).
    pub csrf_key: SecretKey,
    /// `Secure` on cookies; false only for a loopback `http://` issuer.
    pub secure_cookies: bool,
    pub config: AccountConfig,
}

/// Cheap to clone: one `Arc`.
#[derive(Debug, Clone)]
pub struct AccountState(pub(crate) Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    pub deps: AccountDeps,
    pub csrf: Csrf,
    pub cookies: CookiePolicy,
    pub service: AccountService,
}

impl AccountState {
    pub fn new(deps: AccountDeps) -> Self {
        let csrf = Csrf::new(deps.csrf_key.clone());
        let cookies = CookiePolicy {
            secure: deps.secure_cookies,
        };
        let service = AccountService::new(&deps);
        Self(Arc::new(Inner {
            deps,
            csrf,
            cookies,
            service,
        }))
    }

    pub fn deps(&self) -> &AccountDeps {
        &self.0.deps
    }

    /// The account operations (the API and the portal's pages call
    /// these).
    pub fn service(&self) -> &AccountService {
        &self.0.service
    }

    pub(crate) fn provider(&self) -> &dyn ProviderAccess {
        &*self.0.deps.provider
    }

    pub fn csrf(&self) -> &Csrf {
        &self.0.csrf
    }

    pub fn cookies(&self) -> CookiePolicy {
        self.0.cookies
    }

    /// The issuer URL (no trailing slash).
    pub fn issuer(&self) -> &str {
        self.provider().issuer()
    }

    /// The portal's redirect URI: `<issuer>/account/callback`.
    pub fn portal_redirect_uri(&self) -> String {
        format!("{}/account/callback", self.issuer())
    }
}

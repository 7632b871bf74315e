//! Builds every adapter and feature state from the configuration: the one
//! place that decides which implementation of each port runs.

use std::sync::Arc;

use pratu_core::password::PasswordHasher;
use pratu_core::pii::{BlindIndex, PiiCipher};
use pratu_core::random::{OsRandom, SharedRandom};
use pratu_oidc::{OidcDeps, OidcState};
use pratu_registration::{RegistrationDeps, RegistrationState};
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::{Clock, Store};

use crate::app::{AppParts, AppState};
use crate::commands::CommandError;
use crate::config::Config;
use crate::config::secrets::Secrets;

pub fn password_hasher(
    config: &Config,
    random: SharedRandom,
) -> Result<PasswordHasher, CommandError> {
    // One Argon2 at a time per core (unless configured): logins queue,
    // boundedly, instead of starving the other endpoints.
    PasswordHasher::from_config(&config.password, random)
        .map_err(|e| CommandError::Failed(format!("password: {e}")))
}

pub async fn build_state(
    config: Arc<Config>,
    issuer: String,
    secrets: &Secrets,
    store: Arc<dyn Store>,
    ephemeral: Arc<dyn EphemeralStore>,
    clock: Arc<dyn Clock>,
) -> Result<AppState, CommandError> {
    // Every secret, code and nonce of this node comes from here.
    let random = OsRandom::shared();
    let hasher = password_hasher(&config, random.clone())?;
    let pii = PiiCipher::new(secrets.pii.clone(), secrets.previous_pii.clone())
        .with_random(random.clone());
    let blind_index = BlindIndex::new(secrets.index.clone());
    let secure_cookies = !config.insecure_loopback();

    let proofing = pratu_registration::build_proofing(&config.proofing)
        .map_err(|e| CommandError::Failed(format!("proofing: {}", error_chain(&e))))?;
    let sms =
        pratu_registration::sms::build_sms_with_clock(&config.sms, &config.data_dir, clock.clone())
            .map_err(|e| CommandError::Failed(format!("sms: {}", error_chain(&e))))?;

    let registration = RegistrationState::new(RegistrationDeps {
        store: store.clone(),
        ephemeral: ephemeral.clone(),
        clock: clock.clone(),
        random: random.clone(),
        proofing: proofing.clone(),
        sms: sms.clone(),
        hasher: hasher.clone(),
        pii: pii.clone(),
        blind_index: blind_index.clone(),
        proofing_config: config.proofing.clone(),
        enrollment: config.enrollment.clone(),
        otp: config.otp.clone(),
        limits: config.limits.enrollment.clone(),
        csrf_key: derived_secret(secrets, "registration.csrf")?,
        secure_cookies,
    });

    let oidc = OidcState::init(OidcDeps {
        issuer,
        store: store.clone(),
        ephemeral: ephemeral.clone(),
        clock: clock.clone(),
        random: random.clone(),
        passwords: hasher.clone(),
        citizen_ids: pii.clone(),
        key_encryption: key_encryption(secrets).with_random(random.clone()),
        server_key: derived_secret(secrets, "oidc")?,
        sms: Some(sms.clone()),
        config: config.oidc(),
    })
    .await
    .map_err(|e| CommandError::Failed(format!("OpenID provider: {}", error_chain(&e))))?;
    oidc.spawn_background();

    let admin = pratu_admin::AdminState::new(pratu_admin::AdminDeps {
        oidc: oidc.clone(),
        store: store.clone(),
        ephemeral: ephemeral.clone(),
        clock: clock.clone(),
        random: random.clone(),
        citizen_ids: PiiCipher::new(secrets.pii.clone(), secrets.previous_pii.clone()),
        console_key: derived_secret(secrets, "admin.console")?,
        sms: sms.clone(),
        config: config.admin.clone(),
    })
    .map_err(|e| CommandError::Failed(format!("admin: {}", error_chain(&e))))?;
    if config.admin.console {
        admin
            .register_console_client()
            .await
            .map_err(|e| CommandError::Failed(format!("admin console: {e}")))?;
    }

    let account = pratu_account::AccountState::new(pratu_account::AccountDeps {
        store: store.clone(),
        ephemeral: ephemeral.clone(),
        clock: clock.clone(),
        random,
        provider: Arc::new(oidc.clone()),
        proofing,
        sms,
        hasher,
        pii,
        blind_index,
        password_policy: config.enrollment.password,
        otp: config.otp.policy(),
        phone_sends: pratu_core::limits::PhoneSendLimit {
            max: config.limits.enrollment.otp_sends_per_phone.max,
            window_seconds: config.limits.enrollment.otp_sends_per_phone.window_seconds,
        },
        csrf_key: derived_secret(secrets, "account.csrf")?,
        secure_cookies,
        config: config.account.clone(),
        recovery: recovery_policy(&config),
    });
    oidc.clients()
        .ensure_first_party(pratu_oidc::clients::NewClient {
            client_id: Some(pratu_account::ACCOUNT_CLIENT_ID.to_owned()),
            client_name: "Digital ID account".to_owned(),
            redirect_uris: vec![account.portal_redirect_uri()],
            // The portal's "sign out of Digital ID" comes back to the front door.
            post_logout_redirect_uris: vec![format!("{}/", account.issuer())],
            public: true,
            scopes: vec!["openid".to_owned(), pratu_account::ACCOUNT_SCOPE.to_owned()],
            first_party: true,
            ..pratu_oidc::clients::NewClient::default()
        })
        .await
        .map_err(|e| CommandError::Failed(format!("account portal client: {e}")))?;

    Ok(AppState::new(AppParts {
        config,
        store,
        ephemeral,
        clock,
        metrics: crate::http::metrics::recorder(),
        registration,
        oidc,
        admin,
        account,
    }))
}

/// Recovery counts on enrollment's rules and counters (`[enrollment]`,
/// `[limits]`).
fn recovery_policy(config: &Config) -> pratu_account::recovery::RecoveryPolicy {
    let l = &config.limits.enrollment;
    pratu_account::recovery::RecoveryPolicy {
        first_digits: config.enrollment.first_digits(),
        password: config.enrollment.password,
        citizen_id_per_ip: l.citizen_id_per_ip,
        proofing_failures_per_recovery: l.proofing_failures_per_enrollment,
        proofing_failures_per_citizen: l.proofing_failures_per_citizen,
        proofing_per_ip: l.proofing_per_ip,
        otp_sends_per_ip: l.otp_sends_per_ip,
        otp_checks_per_ip: l.otp_checks_per_ip,
    }
}

/// Seals signing keys at rest.
pub fn key_encryption(secrets: &Secrets) -> PiiCipher {
    PiiCipher::new(
        secrets.key_encryption.clone(),
        secrets.previous_key_encryption.clone(),
    )
}

fn derived_secret(
    secrets: &Secrets,
    purpose: &str,
) -> Result<pratu_core::pii::SecretKey, CommandError> {
    let bytes = derive_key(secrets, purpose.as_bytes());
    pratu_core::pii::SecretKey::new(purpose, &bytes)
        .map_err(|e| CommandError::Failed(format!("secrets: {e}")))
}

/// A purpose-bound key derived from the server key, so each feature gets
/// its own without more configuration.
fn derive_key(secrets: &Secrets, purpose: &[u8]) -> Vec<u8> {
    use hmac::Mac as _;
    let Ok(mut mac) =
        <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(secrets.server.expose_bytes())
    else {
        return Vec::new();
    };
    mac.update(purpose);
    mac.finalize().into_bytes().to_vec()
}

/// An error with its sources, for start-up messages (no personal data flows
/// through configuration errors).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    pratu_core::web::error::chain(e)
}

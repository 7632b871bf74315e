//! `pratu user create`: staff accounts made by an operator. They are not
//! identity-proofed (no `ial`, `citizen_id_verified: false`).

use std::io::Read as _;

use pratu_core::audit::{self, AuditAction, Entry, Outcome};
use pratu_core::password::PasswordHasher;
use pratu_registration::domain::{Password, PasswordPolicy, ThaiMobile, Username, UsernamePolicy};
use pratu_storage::records::{PersonName, User, UserStatus};
use pratu_storage::{Clock, StorageError, SystemClock};
use serde_json::json;

use crate::cli::UserCreate;
use crate::commands::{CommandError, open_store};
use crate::config::Config;

/// Roles an operator can grant from the command line.
const KNOWN_ROLES: &[&str] = &["operator"];

pub async fn create(
    config: &Config,
    args: UserCreate,
    username_policy: &UsernamePolicy,
    password_policy: &PasswordPolicy,
) -> Result<(), CommandError> {
    let username = Username::parse(&args.username, username_policy)
        .map_err(|e| CommandError::Failed(format!("--username: {e}")))?;
    let given_name = non_empty("--given-name", &args.given_name)?;
    let family_name = non_empty("--family-name", &args.family_name)?;
    let phone = args
        .phone
        .as_deref()
        .map(ThaiMobile::parse)
        .transpose()
        .map_err(|e| CommandError::Failed(format!("--phone: {e}")))?;
    for role in &args.roles {
        if !KNOWN_ROLES.contains(&role.as_str()) {
            return Err(CommandError::Failed(format!(
                "--role: unknown role `{role}` (known: {})",
                KNOWN_ROLES.join(", ")
            )));
        }
    }
    let mut raw = String::new();
    std::io::stdin().read_to_string(&mut raw).map_err(|e| {
        CommandError::Failed(format!("cannot read the password from standard input: {e}"))
    })?;
    let raw = zeroize::Zeroizing::new(raw);
    let typed = raw.strip_suffix('\n').unwrap_or(&raw);
    let typed = typed.strip_suffix('\r').unwrap_or(typed);
    let password = Password::parse(typed, Some(&username), password_policy)
        .map_err(|e| CommandError::Failed(format!("password: {e}")))?;

    let hasher = PasswordHasher::new(config.password.argon2(), 1)
        .map_err(|e| CommandError::Failed(format!("password hashing: {e}")))?;
    let hash = hasher
        .hash(password.expose())
        .await
        .map_err(|e| CommandError::Failed(format!("password hashing: {e}")))?;

    let store = open_store(config).await?;
    store
        .migrate()
        .await
        .map_err(|source| CommandError::Database {
            url: pratu_storage::redact_url(&config.database_url()),
            source,
        })?;
    let now = SystemClock.now();
    let user = User {
        id: uuid::Uuid::new_v4(),
        username: username.as_str().to_owned(),
        password_hash: hash,
        status: UserStatus::Active,
        roles: args.roles.clone(),
        name: PersonName {
            given_name,
            family_name,
            ..PersonName::default()
        },
        birth_date: None,
        phone_verified: phone.is_some(),
        phone: phone.map(|p| p.e164().to_owned()),
        citizen_id: None,
        proofing: None,
        locale: None,
        created_at: now,
        updated_at: now,
    };
    match store.create_user(&user).await {
        Ok(()) => {}
        Err(StorageError::AlreadyExists { what: "username" }) => {
            return Err(CommandError::Failed(format!(
                "user {} already exists",
                user.username
            )));
        }
        Err(StorageError::AlreadyExists { what }) => {
            return Err(CommandError::Failed(format!(
                "a user with this {what} already exists"
            )));
        }
        Err(source) => {
            return Err(CommandError::Database {
                url: pratu_storage::redact_url(&config.database_url()),
                source,
            });
        }
    }
    let entry = Entry::new("cli", AuditAction::UserCreated, Outcome::Success)
        .target(format!("user:{}", user.id))
        .details(json!({"roles": user.roles, "proofed": false}));
    audit::record_in(store.as_ref(), &SystemClock, entry).await;
    let view = json!({
        "user_id": user.id,
        "username": user.username,
        "roles": user.roles,
        "status": "active",
    });
    if args.json {
        crate::commands::print_json(&view);
    } else {
        crate::commands::print_line(&format!("created user {} ({})", user.username, user.id));
    }
    Ok(())
}

fn non_empty(flag: &str, value: &str) -> Result<String, CommandError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 100 {
        return Err(CommandError::Failed(format!(
            "{flag}: must be 1 to 100 characters"
        )));
    }
    Ok(v.to_owned())
}

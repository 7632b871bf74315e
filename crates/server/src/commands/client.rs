//! `pratu client …`: register and manage relying parties against the same
//! database a running server uses. Servers cache client records for a few
//! seconds at most (`clients.cache_ttl_seconds`), so changes reach every node
//! at once or very shortly.

use std::sync::Arc;

use pratu_core::OsRandom;
use pratu_core::audit::{self, AuditAction, Entry, Outcome};
use pratu_oidc::clients::{ClientError, ClientService, ClientView, NewClient, registration};
use pratu_storage::records::{ClientStatus, GrantType};
use pratu_storage::{Clock, Store, SystemClock};
use serde_json::json;
use sha2::Digest as _;

use crate::cli::{ClientCommand, ClientCreate};
use crate::commands::{CommandError, columns, open_store, print_json, print_line};
use crate::config::Config;

pub async fn run(config: &Config, command: ClientCommand) -> Result<(), CommandError> {
    let store = open_store(config).await?;
    store
        .migrate()
        .await
        .map_err(|source| CommandError::Database {
            url: pratu_storage::redact_url(&config.database_url()),
            source,
        })?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut service = ClientService::new(store.clone(), clock.clone(), 0, &config.keys.default_alg);
    // With a shared ephemeral store, running servers drop their cached copy
    // of a changed client at their next request (see README, Operators).
    if config.redis_url.is_some() {
        let ephemeral = crate::commands::open_ephemeral(config, clock.clone()).await?;
        service = service.with_shared_invalidation(ephemeral);
    }
    match command {
        ClientCommand::Create(args) => {
            let json = args.json;
            let view = service
                .create(new_client(args))
                .await
                .map_err(|e| client_error(e, None))?;
            audit(
                store.as_ref(),
                clock.as_ref(),
                AuditAction::ClientCreated,
                &view.client_id,
            )
            .await;
            show(&view, json);
        }
        ClientCommand::List { json } => {
            let mut all = Vec::new();
            let page = 200;
            loop {
                let batch = service
                    .list(page, u32::try_from(all.len()).unwrap_or(u32::MAX))
                    .await
                    .map_err(|e| client_error(e, None))?;
                let done = batch.len() < page as usize;
                all.extend(batch);
                if done {
                    break;
                }
            }
            if json {
                print_json(&json!({ "clients": all }));
            } else if all.is_empty() {
                print_line("no clients registered");
            } else {
                list(&all);
            }
        }
        ClientCommand::Show { id, json } => {
            let view = service
                .show(&id)
                .await
                .map_err(|e| client_error(e, Some(&id)))?;
            show(&view, json);
        }
        ClientCommand::Delete { id } => {
            // The notice first, then the delete and its audit record in one
            // transaction (see `ClientService::delete_with_audit`).
            service.announce_change(&id).await.map_err(|e| {
                CommandError::Failed(format!(
                    "cannot tell the servers (shared store: {e}); nothing was deleted, retry"
                ))
            })?;
            let record = audit::event_at(
                clock.now(),
                Entry::new("cli", AuditAction::ClientDeleted, Outcome::Success)
                    .target(format!("client:{id}")),
            );
            service
                .delete_with_audit(&id, &record)
                .await
                .map_err(|e| client_error(e, Some(&id)))?;
            print_line(&format!(
                "deleted client {id} (its consents and refresh tokens too)"
            ));
        }
        ClientCommand::RotateSecret { id, json } => {
            let view = service
                .rotate_secret(&id)
                .await
                .map_err(|e| client_error(e, Some(&id)))?;
            audit(
                store.as_ref(),
                clock.as_ref(),
                AuditAction::ClientSecretRotated,
                &id,
            )
            .await;
            show(&view, json);
        }
        ClientCommand::RegistrationToken { expires_in } => {
            registration_token(config, store.as_ref(), clock.as_ref(), expires_in).await?;
        }
    }
    Ok(())
}

/// Issues a single-use initial access token for `POST /connect/register`.
async fn registration_token(
    config: &Config,
    store: &dyn Store,
    clock: &dyn Clock,
    expires_in: u64,
) -> Result<(), CommandError> {
    if expires_in == 0 || expires_in > registration::MAX_INITIAL_TOKEN_LIFETIME_SECONDS {
        return Err(CommandError::Failed(format!(
            "--expires-in must be 1 to {} seconds",
            registration::MAX_INITIAL_TOKEN_LIFETIME_SECONDS
        )));
    }
    let (token, expires_at) =
        registration::issue_initial_access_token(store, clock, &OsRandom, expires_in)
            .await
            .map_err(|e| CommandError::Failed(format!("database: {e}")))?;
    let fingerprint =
        registration::token_fingerprint(&sha2::Sha256::digest(token.expose_secret().as_bytes()));
    let entry = Entry::new(
        "cli",
        AuditAction::ClientRegistrationTokenIssued,
        Outcome::Success,
    )
    .target(format!("registration_token:{fingerprint}"))
    .details(json!({ "expires_at": expires_at.unix_timestamp() }));
    audit::record_in(store, clock, entry).await;
    if !config.clients.dynamic_registration {
        tracing::warn!(
            "clients.dynamic_registration is off: the token works once the server enables it"
        );
    }
    let expires = expires_at
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    print_line(token.expose_secret());
    tracing::info!(
        valid_until = %expires,
        "issued a single-use initial access token for POST /connect/register (shown once)"
    );
    Ok(())
}

fn new_client(args: ClientCreate) -> NewClient {
    NewClient {
        client_name: args.name,
        redirect_uris: args.redirect_uris,
        post_logout_redirect_uris: args.post_logout_redirect_uris,
        public: args.public,
        grant_types: args.grant_types.into_iter().map(GrantType::from).collect(),
        scopes: args.scopes,
        backchannel_logout_uri: args.backchannel_logout_uri,
        first_party: args.first_party,
        allow_citizen_id: args.allow_citizen_id,
        default_acr_values: args.default_acr_values,
        ..NewClient::default()
    }
}

fn show(view: &ClientView, json: bool) {
    if json {
        print_json(&serde_json::to_value(view).unwrap_or_default());
        return;
    }
    print_line(&format!("client_id:     {}", view.client_id));
    if let Some(secret) = &view.client_secret {
        print_line(&format!(
            "client_secret: {}   (shown once: store it now)",
            secret.expose_secret()
        ));
    }
    print_line(&format!("name:          {}", view.client_name));
    print_line(&format!(
        "auth method:   {}",
        view.token_endpoint_auth_method
    ));
    print_line(&format!("redirect URIs: {}", view.redirect_uris.join(" ")));
    if !view.post_logout_redirect_uris.is_empty() {
        print_line(&format!(
            "post-logout:   {}",
            view.post_logout_redirect_uris.join(" ")
        ));
    }
    let grants: Vec<&str> = view.grant_types.iter().map(|g| g.as_str()).collect();
    print_line(&format!("grant types:   {}", grants.join(" ")));
    print_line(&format!("scope:         {}", view.scope));
    if let Some(uri) = &view.backchannel_logout_uri {
        print_line(&format!("back-channel:  {uri}"));
    }
    if !view.default_acr_values.is_empty() {
        print_line(&format!(
            "default acr:   {}",
            view.default_acr_values.join(" ")
        ));
    }
}

/// The text listing: a header row, then a row per client, in columns.
fn list(clients: &[ClientView]) {
    let rows: Vec<[String; 5]> = clients
        .iter()
        .map(|c| {
            [
                c.client_id.clone(),
                match c.status {
                    ClientStatus::Active => "active",
                    ClientStatus::Disabled => "disabled",
                }
                .to_owned(),
                c.token_endpoint_auth_method.as_str().to_owned(),
                c.client_name.clone(),
                c.redirect_uris.join(" "),
            ]
        })
        .collect();
    let header = [
        "CLIENT_ID",
        "STATUS",
        "AUTH_METHOD",
        "NAME",
        "REDIRECT_URIS",
    ]
    .map(str::to_owned);
    for line in columns(std::iter::once(&header).chain(&rows)) {
        print_line(&line);
    }
}

/// `id`: the client the command names, so that "not found" says which.
fn client_error(e: ClientError, id: Option<&str>) -> CommandError {
    CommandError::Failed(match (e, id) {
        (ClientError::NotFound, Some(id)) => format!("no client {id}"),
        (ClientError::Storage(s), _) => format!("database: {s}"),
        (other, _) => other.to_string(),
    })
}

async fn audit(store: &dyn Store, clock: &dyn Clock, action: AuditAction, client_id: &str) {
    let entry = Entry::new("cli", action, Outcome::Success).target(format!("client:{client_id}"));
    audit::record_in(store, clock, entry).await;
}

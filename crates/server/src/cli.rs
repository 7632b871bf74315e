//! The command line, as DESIGN.md promises it. `pratu` with no sub-command
//! serves (so `cargo run --release` starts the server).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pratu_storage::records::GrantType;

#[derive(Debug, Parser)]
#[command(
    name = "pratu",
    version,
    about = "Pratu: OpenID Connect single sign-on for government services",
    long_about = "Pratu (ประตู, \"gate\") is an OpenID Connect identity provider: citizens enroll once for a \
                  Digital ID and sign in to every agency application through SSO.\n\n\
                  Configuration comes from config/pratu.toml (or --config / PRATU_CONFIG) and PRATU_* \
                  environment variables; see config/pratu.toml for every key."
)]
pub struct Cli {
    /// Configuration file (default: $PRATU_CONFIG, else config/pratu.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log as JSON lines (same as log.format = "json").
    #[arg(long, global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Check the configuration and exit (prints the effective settings, secrets redacted).
    CheckConfig,
    /// Manage OIDC client applications (relying parties).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage accounts (staff accounts, which are not identity-proofed).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage token-signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Write a consistent backup of the database while Pratu runs (SQLite:
    /// a compacted copy of the file; PostgreSQL: `pg_dump --format=custom`).
    Backup {
        /// The backup file to create (an existing file is never overwritten).
        #[arg(long, value_name = "FILE")]
        to: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its id and (for confidential clients) its secret, shown once.
    Create(ClientCreate),
    /// List registered clients.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one client's metadata.
    Show {
        /// Client id; ids may begin with `-`, so one is never taken for an option.
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete a client with its consents and refresh tokens.
    Delete {
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Issue a new secret; the old one stops working at once.
    RotateSecret {
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Issue an initial access token for dynamic client registration (RFC 7591).
    RegistrationToken {
        /// Lifetime of the token in seconds.
        #[arg(long, default_value_t = 86_400)]
        expires_in: u64,
    },
}

#[derive(Debug, Args)]
pub struct ClientCreate {
    /// Display name shown on the consent page.
    #[arg(long)]
    pub name: String,
    /// Exact redirect URI (repeat for several).
    #[arg(long = "redirect-uri", value_name = "URI")]
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may return (repeat for several).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    pub post_logout_redirect_uris: Vec<String>,
    /// A public client (no secret; PKCE required), e.g. a mobile or single-page app.
    #[arg(long)]
    pub public: bool,
    /// Grant types (default: authorization_code and refresh_token).
    #[arg(long = "grant-type", value_name = "GRANT", value_enum)]
    pub grant_types: Vec<GrantArg>,
    /// Scopes the client may request (default: openid profile phone).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub scopes: Vec<String>,
    /// Back-channel logout URI.
    #[arg(long = "backchannel-logout-uri", value_name = "URI")]
    pub backchannel_logout_uri: Option<String>,
    /// First-party application: no consent page.
    #[arg(long)]
    pub first_party: bool,
    /// Allow release of the citizen ID (`pid`, `citizen_id` claims).
    #[arg(long)]
    pub allow_citizen_id: bool,
    /// An acr value a sign-in request that asks for none is taken to ask
    /// for, e.g. `urn:pratu:acr:aal2` to step every sign-in up (repeat for
    /// several).
    #[arg(long = "default-acr-value", value_name = "ACR")]
    pub default_acr_values: Vec<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A `--grant-type`, spelled as RFC 6749 spells it (DESIGN.md's CLI);
/// clap lists these and refuses anything else. Every grant type Pratu
/// implements has one, which the tests check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GrantArg {
    #[value(name = "authorization_code")]
    AuthorizationCode,
    #[value(name = "refresh_token")]
    RefreshToken,
    #[value(name = "client_credentials")]
    ClientCredentials,
}

impl From<GrantArg> for GrantType {
    fn from(g: GrantArg) -> Self {
        match g {
            GrantArg::AuthorizationCode => Self::AuthorizationCode,
            GrantArg::RefreshToken => Self::RefreshToken,
            GrantArg::ClientCredentials => Self::ClientCredentials,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a staff account (not identity-proofed); the password is read from standard input.
    Create(UserCreate),
}

#[derive(Debug, Args)]
pub struct UserCreate {
    #[arg(long)]
    pub username: String,
    #[arg(long = "given-name")]
    pub given_name: String,
    #[arg(long = "family-name")]
    pub family_name: String,
    /// Thai mobile number (stored in E.164, marked verified).
    #[arg(long)]
    pub phone: Option<String>,
    /// Role to grant (e.g. operator); repeat for several.
    #[arg(long = "role")]
    pub roles: Vec<String>,
    /// Read the password from standard input (required: passwords never go on a command line).
    #[arg(long, required = true)]
    pub password_stdin: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys with their state.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Create new signing keys; the current ones retire once the new ones are published.
    Rotate,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    /// DESIGN.md's `--grant-type authorization_code|refresh_token|
    /// client_credentials`: every grant type Pratu implements, by its RFC
    /// name, and nothing else.
    #[test]
    fn grant_types_are_given_by_their_rfc_names() {
        for g in GrantType::ALL {
            let args = [
                "pratu",
                "client",
                "create",
                "--name",
                "x",
                "--grant-type",
                g.as_str(),
            ];
            let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let Some(Command::Client(ClientCommand::Create(create))) = cli.command else {
                panic!("{args:?}");
            };
            let parsed: Vec<GrantType> = create.grant_types.into_iter().map(Into::into).collect();
            assert_eq!(parsed, [*g]);
        }
        for bad in [
            "password",
            "implicit",
            "Authorization_Code",
            "authorization-code",
        ] {
            let args = [
                "pratu",
                "client",
                "create",
                "--name",
                "x",
                "--grant-type",
                bad,
            ];
            assert!(Cli::try_parse_from(args).is_err(), "{bad}");
        }
    }

    /// Generated ids are base64url, and older ones may begin with `-`: CI
    /// once failed when `client delete -Y…` was read as an unknown option.
    #[test]
    fn client_ids_beginning_with_a_hyphen_are_ids() {
        for args in [
            vec!["pratu", "client", "delete", "-Yab_c"],
            vec!["pratu", "client", "show", "-Yab_c", "--json"],
            vec!["pratu", "client", "rotate-secret", "--json", "-Yab_c"],
        ] {
            let cli = Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            let id = match cli.command {
                Some(Command::Client(
                    ClientCommand::Delete { id }
                    | ClientCommand::Show { id, .. }
                    | ClientCommand::RotateSecret { id, .. },
                )) => id,
                other => panic!("{args:?} parsed as {other:?}"),
            };
            assert_eq!(id, "-Yab_c");
        }
    }

    #[test]
    fn no_sub_command_means_serve() {
        let cli = Cli::try_parse_from(["pratu"]).unwrap();
        assert!(cli.command.is_none());
    }

    #[test]
    fn client_create_takes_repeated_options() {
        let cli = Cli::try_parse_from([
            "pratu",
            "client",
            "create",
            "--name",
            "INFO",
            "--redirect-uri",
            "https://a/cb",
            "--redirect-uri",
            "https://b/cb",
            "--scope",
            "openid",
            "--default-acr-value",
            "urn:pratu:acr:aal2",
            "--json",
        ])
        .unwrap();
        let Some(Command::Client(ClientCommand::Create(c))) = cli.command else {
            panic!("not client create");
        };
        assert_eq!(c.redirect_uris.len(), 2);
        assert_eq!(c.default_acr_values, ["urn:pratu:acr:aal2"]);
        assert!(c.json);
    }
}

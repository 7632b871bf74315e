//! `agency-demo`: runs the INFO or the back-office sample app.
//!
//! ```sh
//! agency-demo --mode info --issuer http://127.0.0.1:8080 \
//!     --client-id <id> --base-url http://127.0.0.1:3000   # secret in AGENCY_DEMO_CLIENT_SECRET
//! ```

use std::net::SocketAddr;

use clap::Parser;
use openidconnect::ClientSecret;
use pratu_agency_demo::{App, Config};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Sample agency app (INFO or back-office) signing in through Pratu"
)]
struct Args {
    /// Which sample app to run.
    #[arg(
        long,
        alias = "app",
        value_enum,
        env = "AGENCY_DEMO_MODE",
        default_value = "info"
    )]
    mode: App,
    /// Pratu's issuer URL (as in its discovery document).
    #[arg(
        long,
        env = "AGENCY_DEMO_ISSUER",
        default_value = "http://127.0.0.1:8080"
    )]
    issuer: String,
    /// Client id printed by `pratu client create`.
    #[arg(long, env = "AGENCY_DEMO_CLIENT_ID")]
    client_id: String,
    /// Client secret printed by `pratu client create`. Prefer the
    /// environment variable: command lines are visible to other users.
    #[arg(long, env = "AGENCY_DEMO_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// Address to listen on.
    #[arg(long, env = "AGENCY_DEMO_LISTEN", default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Public URL of this app (default `http://<listen>`); the redirect URI
    /// registered with Pratu is `<base-url>/callback`.
    #[arg(long, env = "AGENCY_DEMO_BASE_URL")]
    base_url: Option<url::Url>,
    /// Page title (default per mode).
    #[arg(long, env = "AGENCY_DEMO_TITLE")]
    title: Option<String>,
    /// Scopes to ask for besides `openid` (repeat for several).
    #[arg(long = "scope", env = "AGENCY_DEMO_SCOPES", value_delimiter = ' ', default_values = ["profile", "phone"])]
    scopes: Vec<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let base_url = match args.base_url {
        Some(u) => u,
        None => match url::Url::parse(&format!("http://{}", args.listen)) {
            Ok(u) => u,
            Err(e) => {
                tracing::error!(error = %e, "cannot derive the base URL; pass --base-url");
                return std::process::ExitCode::FAILURE;
            }
        },
    };
    let config = Config {
        app: args.mode,
        title: args
            .title
            .unwrap_or_else(|| args.mode.default_title().to_owned()),
        issuer: args.issuer,
        client_id: args.client_id,
        client_secret: ClientSecret::new(args.client_secret),
        base_url,
        scopes: args.scopes,
    };
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(error = %e, listen = %args.listen, "cannot listen");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        app = config.app.slug(),
        redirect_uri = %config.redirect_uri(),
        backchannel_logout_uri = %config.backchannel_logout_uri(),
        "listening on {}",
        config.base_url
    );
    match pratu_agency_demo::serve(config, listener).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped");
            std::process::ExitCode::FAILURE
        }
    }
}

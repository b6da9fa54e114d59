//! `assethub`: the hub server.
//!
//! - `assethub serve --config FILE`: serve the sources a configuration file lists (of the
//!   built-in connector types: bank, real_estate, vehicle, payment, and remote connectors
//!   served out of process over assethub.connector.v1).
//! - `assethub issue-token`: a development JWT issuer: signs a bearer token the hub accepts
//!   (refusing what the hub would refuse) and with --save keeps it for hubctl.
//! - `assethub keygen`: a new Ed25519 key (seed, public key and JWKS) for an issuer or for
//!   signing instructions.
//!
//! The demo (mock agencies wired to a hub, development credentials) is another binary,
//! `assethub-demo` in `mocks/demo`: this one links no mock agency.

use assethub_hub::auth::credentials::{self, Credential, CredentialsFile};
use assethub_hub::auth::issue::TokenRequest;
use assethub_hub::auth::{now_secs, Role, TokenIssuer, TokenPolicy};
use assethub_hub::config::HubConfig;
use assethub_hub::server::{build_with, serve_hub, shutdown_signal};
use assethub_hub::telemetry;
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;

/// mimalloc: the server's threads allocate many small, short-lived buffers (see Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "assethub",
    about = "Debtor asset-search hub for court enforcement"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sources listed in a configuration file.
    Serve {
        #[arg(long)]
        config: PathBuf,
        /// Override `server.listen` from the file.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Sign a bearer token (an EdDSA JWT) for development: prints it, and with --save adds it
    /// to hubctl's credentials file. Refuses what the hub would refuse.
    IssueToken(IssueTokenArgs),
    /// Print a new Ed25519 key: its seed (keep secret), public key and JWKS.
    Keygen {
        /// The key id the JWKS gives it (issue-token --kid).
        #[arg(long, default_value = "key-1")]
        kid: String,
    },
}

#[derive(clap::Args)]
struct IssueTokenArgs {
    /// Issuer name: the token's iss, as the hub's [[auth.issuers]] name lists it.
    #[arg(long)]
    issuer: String,
    /// The issuer's base64 Ed25519 seed (or env ASSETHUB_ISSUER_SEED).
    #[arg(long, env = "ASSETHUB_ISSUER_SEED", hide_env_values = true)]
    seed: String,
    /// The key's id in the issuer's JWKS (keygen --kid).
    #[arg(long, default_value = "key-1")]
    kid: String,
    /// Court code, e.g. 鄂0116.
    #[arg(long)]
    court: String,
    /// case_system, judge, supervisor, auditor or admin.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The caller id (a case system's client id, an officer's user id).
    #[arg(long)]
    subject: String,
    /// The officer's name (required for judges and supervisors).
    #[arg(long, default_value = "")]
    officer: String,
    /// Days the token lives: 1 up to the hub's max_token_lifetime_secs.
    #[arg(long, default_value_t = 30)]
    days: i64,
    /// The hub's configuration, for its audience, maximum lifetime and clock skew [default:
    /// the defaults: audience "assethub", 30 days].
    #[arg(long)]
    config: Option<PathBuf>,
    /// Also add it to the credentials file hubctl reads ($ASSETHUB_CREDENTIALS or
    /// ~/.config/assethub/credentials.toml); never replaces another issuer's token for the
    /// same court and role (the demo's): use a file of its own for those.
    #[arg(long)]
    save: bool,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text)
        .ok_or_else(|| "one of case_system, judge, supervisor, auditor, admin".to_string())
}

#[tokio::main]
async fn main() {
    let log = telemetry::init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("assethub: {e}");
        drop(log); // write out what is buffered: exit skips destructors
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let (config, listen) = match cli.command {
        Command::IssueToken(args) => return issue_token(args),
        Command::Keygen { kid } => {
            let mut seed = [0u8; 32];
            rand::fill(&mut seed);
            use base64::Engine;
            let seed = base64::engine::general_purpose::STANDARD.encode(seed);
            let key = TokenIssuer::from_seed("new", &kid, &seed)?;
            let public = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(key.public_x())
                .map(|b| base64::engine::general_purpose::STANDARD.encode(b))?;
            println!(
                "seed (secret):  {seed}\npublic key:     {public}\njwks:           {}",
                key.jwks()
            );
            return Ok(());
        }
        Command::Serve { config, listen } => {
            let config = HubConfig::from_file(&config)?;
            let listen = listen.unwrap_or(config.server.listen);
            (config, listen)
        }
    };
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    // The built-in connector types: the four agency families and `remote`.
    let hub = build_with(&config, &assethub_connectors::factories()).await?;
    println!("assethub listening on {listen}");
    if let Some(addr) = hub.metrics_addr() {
        println!("metrics at http://{addr}/metrics");
    }
    // The enforcement console, calling this hub like any client (`[console]`).
    let _console = match config.console.listen {
        Some(at) => {
            let console = assethub_console::spawn(
                assethub_console::ConsoleConfig {
                    hub_addr: config.console.hub_addr_for(listen),
                    identities: Vec::new(),
                    secure_cookies: config.console.secure_cookies,
                    ca_file: config.console.ca_file.clone(),
                },
                at,
            )
            .await?;
            println!("enforcement console at {}", console.url());
            Some(console)
        }
        None => None,
    };
    serve_hub(hub, listener, shutdown_signal()).await?;
    Ok(())
}

/// Issues a token the hub accepts, or says why the hub would refuse it.
fn issue_token(args: IssueTokenArgs) -> Result<(), Box<dyn std::error::Error>> {
    let policy = match &args.config {
        Some(path) => HubConfig::from_file(path)?.auth.policy(),
        None => TokenPolicy::default(),
    };
    let issuer = TokenIssuer::from_seed(&args.issuer, &args.kid, &args.seed)?
        .with_audience(&policy.audience);
    let request = TokenRequest {
        subject: args.subject,
        court: args.court,
        role: args.role,
        officer: args.officer,
        days: args.days,
    };
    let (token, claims) = issuer.issue_checked(&request, &policy, now_secs())?;
    // The credentials file is checked before anything is printed: a refusal prints no token.
    let saved = match args.save {
        false => None,
        true => {
            let path = credentials::default_path().ok_or("no home directory")?;
            let mut file = CredentialsFile::load(&path)?;
            file.add(Credential {
                issuer: claims.iss.clone(),
                court: claims.court,
                role: claims.role,
                officer: claims.officer,
                token: token.clone(),
            })?;
            Some((path, file))
        }
    };
    println!("{token}");
    eprintln!(
        "jti {} (hubctl token revoke --issuer {} --jti {} --reason ...)",
        claims.jti, claims.iss, claims.jti
    );
    if let Some((path, file)) = saved {
        file.save(&path)?;
        eprintln!("saved to {}", path.display());
    }
    Ok(())
}

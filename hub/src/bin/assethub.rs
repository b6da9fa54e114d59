//! `assethub`: the hub server.
//!
//! - `assethub serve --config FILE`: serve the sources a configuration file lists (of the
//!   built-in connector types: bank, real_estate, vehicle, payment, and remote connectors
//!   served out of process over assethub.connector.v1).
//! - `assethub demo`: start the mock agencies in-process on their default ports and serve the
//!   embedded example configuration on 127.0.0.1:50051, after writing development credentials
//!   for every role (courts 鄂0116 and 鄂01) where `hubctl` finds them; nothing else needed.
//!   Prometheus metrics at http://127.0.0.1:9464/metrics (`[metrics]` in the configuration).
//! - `assethub issue-token`: a development JWT issuer: signs a bearer token the hub accepts
//!   (refusing what the hub would refuse) and with --save keeps it for hubctl.
//! - `assethub keygen`: a new Ed25519 key (seed, public key and JWKS) for an issuer or for
//!   signing instructions.

use assethub_connectors::domain::{CaseNumber, DebtorId};
use assethub_hub::auth::credentials::{self, Credential, CredentialsFile};
use assethub_hub::auth::issue::TokenRequest;
use assethub_hub::auth::{normalize_name, now_secs, Role, TokenIssuer, TokenPolicy};
use assethub_hub::cases::model::{CaseDebtor, NewCase};
use assethub_hub::cases::{CaseBook, CaseError};
use assethub_hub::config::HubConfig;
use assethub_hub::server::{build_with, serve_hub, shutdown_signal};
use assethub_hub::telemetry;
use assethub_mocks::demo_cases::demo_cases;
use assethub_mocks::population::{DEFAULT_SEED, DEFAULT_SIZE};
use assethub_mocks::{demo_agencies, start_all_keeping, Population, DEMO_BASE_PORT};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

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
    /// Start the mock agencies in-process and serve the example configuration.
    Demo {
        #[arg(long, default_value = "127.0.0.1:50051")]
        listen: SocketAddr,
        /// Debtors in the synthetic population.
        #[arg(long, default_value_t = DEFAULT_SIZE)]
        population: usize,
        /// Start afresh: delete the demo's ledger, audit checkpoints and agency registers
        /// (under ./data) first. Without it the demo carries on where it stopped.
        #[arg(long)]
        fresh: bool,
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
    telemetry::init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("assethub: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let demo = matches!(cli.command, Command::Demo { .. });
    let (config, listen, _agencies) = match cli.command {
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
            (config, listen, Vec::new())
        }
        Command::Demo {
            listen,
            population,
            fresh,
        } => {
            let config = HubConfig::example();
            let state = DemoState::of(&config);
            if fresh {
                state.clear()?;
            }
            let population = Arc::new(Population::generate(DEFAULT_SEED, population));
            let lineup = demo_agencies(DEMO_BASE_PORT);
            let agencies = start_all_keeping(&lineup, population, &state.registers)
                .await
                .map_err(|e| {
                    format!("cannot start the mock agencies on ports {DEMO_BASE_PORT}..: {e}")
                })?;
            write_demo_credentials();
            state.describe(fresh);
            (config, listen, agencies)
        }
    };
    let listener = TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    // The built-in connector types: the four agency families and `remote`.
    let hub = build_with(&config, &assethub_connectors::factories()).await?;
    if demo {
        register_demo_cases(&hub.case_book).await?;
    }
    println!("assethub listening on {listen}");
    if let Some(addr) = hub.metrics_addr() {
        println!("metrics at http://{addr}/metrics");
    }
    serve_hub(hub, listener, shutdown_signal()).await?;
    Ok(())
}

/// Where a demo keeps what it knows (relative to the folder it runs in): the ledger, the
/// signed audit checkpoints and the mock agencies' hold registers, which must be kept or
/// cleared together — a ledger whose agencies forgot their holds cannot release them.
struct DemoState {
    ledger: Option<PathBuf>,
    checkpoints: PathBuf,
    registers: PathBuf,
}

impl DemoState {
    fn of(config: &HubConfig) -> Self {
        let ledger = config
            .ledger
            .url
            .strip_prefix("sqlite://")
            .map(PathBuf::from);
        let checkpoints = config.audit.checkpoint_file.clone();
        let data = ledger
            .as_ref()
            .and_then(|l| l.parent())
            .map_or_else(|| PathBuf::from("data"), PathBuf::from);
        Self {
            ledger,
            checkpoints,
            registers: data.join("agencies"),
        }
    }

    /// Deletes the demo's state (only its own files).
    fn clear(&self) -> std::io::Result<()> {
        let mut files = vec![self.checkpoints.clone()];
        if let Some(ledger) = &self.ledger {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = ledger.clone().into_os_string();
                name.push(suffix);
                files.push(name.into());
            }
        }
        for file in files {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        match std::fs::remove_dir_all(&self.registers) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    fn describe(&self, fresh: bool) {
        let ledger = self
            .ledger
            .as_ref()
            .map_or_else(|| "(not a file)".to_string(), |l| l.display().to_string());
        println!(
            "demo state{}: ledger {ledger}, audit checkpoints {}, agencies' hold registers {}/",
            if fresh { " (started afresh)" } else { "" },
            self.checkpoints.display(),
            self.registers.display()
        );
        println!("  kept across restarts; `assethub demo --fresh` starts from nothing");
    }
}

/// Registers the walkthroughs' cases (as the courts' case systems would), so the README's
/// searches and control commands work against a fresh demo.
async fn register_demo_cases(book: &CaseBook) -> Result<(), Box<dyn std::error::Error>> {
    for demo in demo_cases() {
        let mut debtors = Vec::new();
        for (id, name) in &demo.debtors {
            debtors.push(CaseDebtor {
                id: DebtorId::parse(id)?.as_str().to_string(),
                name: normalize_name(name),
            });
        }
        debtors.sort();
        let new = NewCase {
            case: CaseNumber::parse(&demo.case_number)?,
            debtors,
            claim_fen: demo.claim_fen,
            account: demo.account.clone(),
        };
        match book.store().register(&new, "assethub demo").await {
            Ok(_) => {}
            // Registered by an earlier demo run with other figures: leave it as it is.
            Err(CaseError::Differs(..)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    println!(
        "demo cases registered: {}",
        demo_cases()
            .iter()
            .map(|c| c.case_number.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// Development tokens for every role, valid 30 days, where hubctl finds them.
fn write_demo_credentials() {
    let Some(path) = credentials::default_path() else {
        eprintln!("assethub: no home directory: demo credentials not written");
        return;
    };
    let mut file = CredentialsFile::load(&path).unwrap_or_default();
    for credential in credentials::demo(&["鄂0116", "鄂01"], now_secs(), 30).credentials {
        file.put(credential);
    }
    match file.save(&path) {
        Ok(()) => println!(
            "demo credentials (every role, courts 鄂0116 and 鄂01) written to {}",
            path.display()
        ),
        Err(e) => eprintln!("assethub: cannot write demo credentials: {e}"),
    }
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

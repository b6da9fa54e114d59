//! `assethub-console`: the enforcement console (执行查控工作台), web pages in Chinese where
//! judges search and freeze, supervisors approve, auditors verify and admins watch the
//! sources — all through the hub's public gRPC API with the signed-in person's own token, so
//! the hub authorizes and audits every act exactly as for any other client. The console holds
//! no key, reads no ledger and decides nothing: what a page offers follows the role, what a
//! person may do is what the hub allows.
//!
//! Server-rendered pages (axum) with a little vanilla JavaScript for what is live: search
//! answers arriving source by source, a case's events and orders, the sources' state — each
//! an `EventSource` on a server-sent-event stream the console feeds from the hub's gRPC
//! streams. No build step, nothing vendored.
//!
//! - `session`: sign-in sessions (HttpOnly, SameSite=Strict cookie) and their CSRF tokens.
//! - `hub`: the gRPC clients carrying a session's token, and refusals in plain words.
//! - `html`: escaping, the page layout, yuan and Beijing-time formatting.
//! - `pages`: one module per page.

pub mod html;
mod hub;
mod pages;
pub mod session;

use assethub_client::Credential;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// What the console needs to run.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// The hub's address (`http://127.0.0.1:50051`), or several separated by commas.
    pub hub_addr: String,
    /// Identities offered for one-click sign-in (the demo's development credentials); empty
    /// in production, where people sign in with their court's token.
    pub identities: Vec<Credential>,
    /// Mark the session cookie `Secure` (the console is served over TLS, e.g. behind a proxy).
    pub secure_cookies: bool,
    /// PEM CA of a hub reached over `https://`.
    pub ca_file: Option<std::path::PathBuf>,
}

/// The console's shared state.
pub struct Console {
    config: ConsoleConfig,
    hub: hub::Hub,
    sessions: session::Sessions,
}

/// A console serving in the background.
pub struct RunningConsole {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RunningConsole {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address to open in a browser.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops serving.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// The console's routes over `config`'s hub (connected lazily: the hub may start later).
pub fn router(config: ConsoleConfig) -> Result<Router, String> {
    let hub = hub::Hub::lazy(&config.hub_addr, config.ca_file.as_deref())?;
    let console = Arc::new(Console {
        config,
        hub,
        sessions: session::Sessions::default(),
    });
    Ok(pages::routes(console))
}

/// Serves the console on `addr` in the background.
pub async fn spawn(config: ConsoleConfig, addr: SocketAddr) -> Result<RunningConsole, String> {
    let app = router(config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the console's address: {e}"))?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the console stopped");
        }
    });
    Ok(RunningConsole { addr, task })
}

//! `[console]`: the enforcement console (`assethub-console`) served by `assethub serve` beside
//! the hub, calling it like any client. Unset `listen`: no console.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSection {
    /// Where the console's web pages are served (unset: no console).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// The hub the console calls: by default this hub, `http://<server.listen>`. A hub serving
    /// TLS is named `https://<name its certificate carries>:<port>`, with `ca_file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_addr: Option<String>,
    /// PEM CA that signed the hub's certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Mark the session cookie `Secure`: the console is reached over TLS (a proxy in front of
    /// it terminates TLS). Required when the console listens beyond loopback.
    pub secure_cookies: bool,
}

impl ConsoleSection {
    /// What is wrong with the section, given the hub's own listener and TLS.
    pub fn problem(&self, hub_tls: bool) -> Option<String> {
        let listen = self.listen?;
        if !listen.ip().is_loopback() && !self.secure_cookies {
            return Some(format!(
                "[console] listens on {listen}, beyond loopback, without secure_cookies: sessions travel in cookies, so serve it behind TLS and set secure_cookies = true"
            ));
        }
        if hub_tls
            && self
                .hub_addr
                .as_deref()
                .is_none_or(|a| !a.starts_with("https://"))
        {
            return Some(
                "[console] the hub serves TLS: set hub_addr = \"https://<name on its certificate>:<port>\" and ca_file".into(),
            );
        }
        None
    }

    /// The hub address the console calls when `hub_addr` is unset.
    pub fn hub_addr_for(&self, hub_listen: SocketAddr) -> String {
        self.hub_addr
            .clone()
            .unwrap_or_else(|| format!("http://{hub_listen}"))
    }
}

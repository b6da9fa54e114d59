//! The Python securities depository example (`connectors/examples/csdc`) as child processes:
//! its mock agency and its `assethub.connector.v1` connector, started for the demo and the
//! end-to-end tests, ready when each printed its address, stopped when dropped. Finds the
//! example's Python (`ASSETHUB_CSDC_PYTHON`, the example's `.venv`, or `python3`) and says
//! plainly when it is missing, so the demo can carry on without the source.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The packages the example needs (see its requirements.txt).
const IMPORTS: &str = "import grpc, grpc_tools, grpc_status, cryptography";

/// How long each process may take to print its address.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// The example's folder in this checkout.
pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../connectors/examples/csdc")
}

/// The Python that runs the example, checked to import its packages; the error says what to
/// install.
pub fn find_python() -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Some(explicit) = std::env::var_os("ASSETHUB_CSDC_PYTHON") {
        candidates.push(PathBuf::from(explicit));
    }
    candidates.push(example_dir().join(".venv/bin/python"));
    candidates.push(PathBuf::from("python3"));
    for python in candidates {
        let ok = std::process::Command::new(&python)
            .args(["-c", IMPORTS])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return Ok(python);
        }
    }
    Err("python3 with the packages of connectors/examples/csdc/requirements.txt is needed \
         (python3 -m venv connectors/examples/csdc/.venv && \
         connectors/examples/csdc/.venv/bin/pip install -r connectors/examples/csdc/requirements.txt)"
        .into())
}

/// The depository and its connector, running. Dropping it stops both.
pub struct Csdc {
    /// Base URL of the mock depository (its admin endpoints included), e.g. `http://127.0.0.1:18090`.
    pub agency_url: String,
    /// The connector's gRPC address, e.g. `http://127.0.0.1:50070`.
    pub connector_url: String,
    _agency: Child,
    _connector: Child,
}

/// Where and how to start the example. Port 0 picks a free port.
#[derive(Debug, Clone, Default)]
pub struct CsdcOptions {
    pub agency_port: u16,
    pub connector_port: u16,
    /// Keep the depository's register in this file (0600) across restarts.
    pub register: Option<PathBuf>,
    /// The depository's today (YYYY-MM-DD); Beijing's date when None.
    pub today: Option<String>,
}

impl Csdc {
    /// Starts both processes and waits until each listens.
    pub async fn start(python: &Path, options: &CsdcOptions) -> Result<Self, String> {
        let dir = example_dir();
        let mut agency = Command::new(python);
        agency
            .current_dir(&dir)
            .arg("agency.py")
            .args(["--host", "127.0.0.1", "--port"])
            .arg(options.agency_port.to_string())
            .arg("--demo-key");
        if let Some(register) = &options.register {
            // The processes run in the example's folder: a relative path would land there.
            let register = std::path::absolute(register)
                .map_err(|e| format!("register file {}: {e}", register.display()))?;
            agency.arg("--register").arg(register);
        }
        if let Some(today) = &options.today {
            agency.args(["--today", today]);
        }
        let (agency, agency_url) = spawn_ready(agency, "csdc agency").await?;
        let mut connector = Command::new(python);
        connector
            .current_dir(&dir)
            .arg("connector.py")
            .args(["--host", "127.0.0.1", "--port"])
            .arg(options.connector_port.to_string())
            .arg("--agency-url")
            .arg(&agency_url);
        let (connector, address) = spawn_ready(connector, "csdc connector").await?;
        Ok(Self {
            agency_url,
            connector_url: format!("http://{address}"),
            _agency: agency,
            _connector: connector,
        })
    }

    /// The hub's `[[sources]]` entry for this depository, as TOML.
    pub fn source_toml(&self, id: &str) -> String {
        format!(
            "[[sources]]\nid = \"{id}\"\ntype = \"remote\"\naddress = \"{}\"\n\
             [sources.settings]\nagency_url = \"{}\"\n",
            self.connector_url, self.agency_url
        )
    }
}

/// Spawns `command` and waits for its first line on stdout ("... listening on ADDRESS").
async fn spawn_ready(mut command: Command, what: &str) -> Result<(Child, String), String> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let mut child = command
        .spawn()
        .map_err(|e| format!("{what} did not start: {e}"))?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| format!("{what}: no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(READY_WITHIN, lines.next_line())
        .await
        .map_err(|_| format!("{what} did not say it was listening within {READY_WITHIN:?}"))?
        .map_err(|e| format!("{what}: {e}"))?
        .ok_or_else(|| format!("{what} stopped before listening (see its error above)"))?;
    let address = line
        .rsplit(' ')
        .next()
        .filter(|_| line.contains("listening on"))
        .ok_or_else(|| format!("{what} said {line:?} instead of its address"))?
        .to_string();
    // Keep reading so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, address))
}

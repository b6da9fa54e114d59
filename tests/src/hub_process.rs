//! The hub as a real OS process (the `assethub-under-test` binary of this crate): writes its
//! configuration file, starts it, waits for its gRPC health check, and SIGKILLs, SIGTERMs and
//! restarts it on the same address. Owns the child process, its log file and its RSS reading.
//!
//! The binary is found next to the running test's executable (`target/<profile>/`, one level
//! up from `deps/`) unless `CARGO_BIN_EXE_assethub-under-test` or `ASSETHUB_HUB_BIN` is set at
//! run time; `cargo test -p assethub-tests` builds it before the integration tests.

use assethub_hub::HubConfig;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

/// The binary's name, as Cargo knows it.
const BINARY: &str = "assethub-under-test";
/// How long the hub may take to report SERVING, and to exit after SIGTERM.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const TERM_TIMEOUT: Duration = Duration::from_secs(30);
/// The service whose health is checked: the search API.
const HEALTH_SERVICE: &str = "assethub.v1.AssetHub";
/// Bytes of the log shown when the hub does not come up.
const LOG_TAIL_BYTES: u64 = 4_000;

/// A hub running as a child process from a configuration file.
///
/// The child runs in the directory the configuration was written to, so relative paths in it
/// (the default ledger `sqlite://data/...`) land there and survive restarts. Its stdout and
/// stderr are appended to `hub.log` in that directory; `RUST_LOG` is passed on (default
/// `warn`). Dropping it SIGKILLs the child.
pub struct HubProcess {
    child: Child,
    /// Set once the child has been reaped.
    exited: Option<ExitStatus>,
    addr: SocketAddr,
    config_path: PathBuf,
    log_path: PathBuf,
}

impl HubProcess {
    /// Writes `config` as TOML into `dir`/hub.toml, starts the hub binary on `addr` (a fixed
    /// port restarts on the same address; port 0 picks a free port first), and waits until its
    /// gRPC health check says SERVING (30 s; panics with the tail of the child's log otherwise).
    pub async fn start(config: &HubConfig, addr: SocketAddr, dir: &Path) -> HubProcess {
        let config_path = dir.join("hub.toml");
        let text = toml::to_string(config).expect("the hub configuration serializes as TOML");
        std::fs::write(&config_path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", config_path.display()));
        let addr = if addr.port() == 0 {
            free_port(addr)
        } else {
            addr
        };
        let log_path = dir.join("hub.log");
        let child = spawn_child(&config_path, addr, &log_path);
        let mut hub = HubProcess {
            child,
            exited: None,
            addr,
            config_path,
            log_path,
        };
        hub.wait_ready().await;
        hub
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, for a tonic client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The current (or last) child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The configuration file the hub reads, and its log file.
    pub fn config_path(&self) -> &Path {
        &self.config_path
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Whether the child is still running (reaps it if it has exited on its own).
    pub fn is_running(&mut self) -> bool {
        if self.exited.is_some() {
            return false;
        }
        match self.child.try_wait() {
            Ok(Some(status)) => {
                self.exited = Some(status);
                false
            }
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// SIGKILL: the hub dies without draining anything; the child is reaped.
    pub fn kill(&mut self) {
        if self.exited.is_some() {
            return;
        }
        // Fails only when the child has already exited; `wait` then reaps it all the same.
        let _ = self.child.kill();
        if let Ok(status) = self.child.wait() {
            self.exited = Some(status);
        }
    }

    /// SIGTERM, then waits for the hub to drain and exit (30 s, then SIGKILL).
    pub async fn terminate(&mut self) -> ExitStatus {
        if let Some(status) = self.exited {
            return status;
        }
        sigterm(self.child.id());
        let deadline = Instant::now() + TERM_TIMEOUT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.exited = Some(status);
                    return status;
                }
                Ok(None) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                _ => {
                    self.kill();
                    return self
                        .exited
                        .expect("a killed child has been reaped with its status");
                }
            }
        }
    }

    /// Starts the hub again with the same configuration file and address (SIGKILLing the
    /// running one first, if any), and waits until it is SERVING.
    pub async fn restart(&mut self) {
        self.kill();
        self.child = spawn_child(&self.config_path, self.addr, &self.log_path);
        self.exited = None;
        self.wait_ready().await;
    }

    /// The hub's resident memory (VmRSS, KiB), while it runs (Linux).
    pub fn rss_kib(&self) -> Option<u64> {
        if self.exited.is_some() {
            return None;
        }
        rss_kib_of(self.child.id())
    }

    /// The last few KB of the hub's log (stdout and stderr of every run).
    pub fn log_tail(&self) -> String {
        log_tail(&self.log_path)
    }

    async fn wait_ready(&mut self) {
        let started = Instant::now();
        loop {
            if !self.is_running() {
                panic!(
                    "the hub exited before serving ({:?}); log tail:\n{}",
                    self.exited,
                    self.log_tail()
                );
            }
            if serving(&self.url()).await {
                return;
            }
            if started.elapsed() > READY_TIMEOUT {
                self.kill();
                panic!(
                    "the hub was not SERVING on {} within {READY_TIMEOUT:?}; log tail:\n{}",
                    self.addr,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The `assethub-under-test` binary (see the module comment).
pub fn binary() -> PathBuf {
    for var in [format!("CARGO_BIN_EXE_{BINARY}"), "ASSETHUB_HUB_BIN".into()] {
        if let Some(path) = std::env::var_os(var) {
            return path.into();
        }
    }
    let exe = std::env::current_exe().expect("the test executable's path");
    let mut dir = exe.parent().expect("the test executable's directory");
    if dir.ends_with("deps") {
        dir = dir.parent().expect("the profile directory");
    }
    let path = dir.join(format!("{BINARY}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} not found: build it (cargo build -p assethub-tests --bin {BINARY}) or set ASSETHUB_HUB_BIN",
        path.display()
    );
    path
}

/// The resident memory (VmRSS, KiB) of process `pid`, from `/proc/<pid>/status` (Linux).
pub fn rss_kib_of(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

fn spawn_child(config: &Path, addr: SocketAddr, log_path: &Path) -> Child {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", log_path.display()));
    let stderr = log.try_clone().expect("a second handle on the log file");
    let dir = config.parent().expect("the configuration's directory");
    Command::new(binary())
        .arg("--config")
        .arg(config)
        .arg("--listen")
        .arg(addr.to_string())
        .current_dir(dir)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary().display()))
}

/// A port free right now on `addr`'s interface.
fn free_port(addr: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind(addr).expect("bind a free port");
    listener.local_addr().expect("the bound address")
}

/// Whether the hub at `url` answers its health check with SERVING.
async fn serving(url: &str) -> bool {
    let Ok(channel) = assethub_client::channel(url, Duration::from_secs(1), None).await else {
        return false;
    };
    let mut health = HealthClient::new(channel);
    let check = health.check(HealthCheckRequest {
        service: HEALTH_SERVICE.into(),
    });
    match tokio::time::timeout(Duration::from_secs(2), check).await {
        Ok(Ok(response)) => response.into_inner().status == ServingStatus::Serving as i32,
        _ => false,
    }
}

fn log_tail(path: &Path) -> String {
    let Ok(mut file) = File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = file.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)));
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Sends SIGTERM to `pid`.
fn sigterm(pid: u32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill(2) has no memory-safety preconditions; `pid` is our own unreaped child.
    unsafe {
        libc::kill(pid, libc::SIGTERM);
    }
}

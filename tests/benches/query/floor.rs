//! The fan-out's baseline: the `agency-floor` binary (see its module comment) as a stand-in
//! agency and as a bare HTTP client, each its own process, so the client's CPU per call is
//! its alone. Measured in the same round as the hub's fan-out, at the same agency calls in
//! flight.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BINARY: &str = env!("CARGO_BIN_EXE_agency-floor");

/// The stand-in agency, answering after `latency_ms`; stopped on drop.
pub struct Floor {
    agency: Child,
    url: String,
}

impl Floor {
    pub fn start(latency_ms: u64) -> Self {
        let mut agency = Command::new(BINARY)
            .args(["serve", "--latency-ms", &latency_ms.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("agency-floor serve starts");
        let mut port = String::new();
        BufReader::new(agency.stdout.take().expect("its stdout"))
            .read_line(&mut port)
            .expect("agency-floor prints its port");
        let url = format!("http://127.0.0.1:{}/inquiry", port.trim());
        Self { agency, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

/// What a bare client's run measured.
#[derive(Debug, Clone, Copy)]
pub struct Drive {
    /// Its CPU per call, µs.
    pub cpu_us_per_call: f64,
    /// Its calls' median latency, ms.
    pub p50_ms: f64,
    /// The whole run, ms.
    pub wall_ms: f64,
}

/// A bare client's run against the stand-in agency at `url`: `calls` POSTs with `in_flight`
/// at a time (NaN where it printed nothing).
pub fn drive(url: &str, in_flight: usize, calls: usize) -> Drive {
    let output = Command::new(BINARY)
        .args(["drive", "--url", url])
        .args(["--in-flight", &in_flight.to_string()])
        .args(["--calls", &calls.to_string()])
        .output()
        .expect("agency-floor drive runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let read = |key: &str| {
        stdout
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    Drive {
        cpu_us_per_call: read("cpu_us_per_call"),
        p50_ms: read("p50_ms"),
        wall_ms: read("wall_ms"),
    }
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.agency.kill();
        let _ = self.agency.wait();
    }
}

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

/// A bare client's CPU per call (µs) to the stand-in agency at `url`, `calls` POSTs with
/// `in_flight` at a time.
pub fn cpu_us_per_call(url: &str, in_flight: usize, calls: usize) -> f64 {
    let output = Command::new(BINARY)
        .args(["drive", "--url", url])
        .args(["--in-flight", &in_flight.to_string()])
        .args(["--calls", &calls.to_string()])
        .output()
        .expect("agency-floor drive runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("cpu_us_per_call="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

impl Drop for Floor {
    fn drop(&mut self) {
        let _ = self.agency.kill();
        let _ = self.agency.wait();
    }
}

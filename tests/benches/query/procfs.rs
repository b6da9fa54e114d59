//! What the kernel says about the hub process (Linux `/proc`): CPU time spent (user + system,
//! every thread, dead ones included), resident memory, and TIME_WAIT sockets to the agencies.

use std::time::Duration;

/// CPU time the process `pid` has used so far (user + system, every thread, dead ones
/// included).
pub fn cpu(pid: u32) -> Duration {
    assethub_tests::wide::cpu_of(pid)
}

/// The resident memory of `pid` in MiB (0 when it cannot be read).
pub fn rss_mib(pid: u32) -> f64 {
    assethub_tests::hub_process::rss_kib_of(pid).unwrap_or(0) as f64 / 1024.0
}

/// TCP sockets in TIME_WAIT with either end on one of `ports` (IPv4 and IPv6 loopback).
pub fn time_wait(ports: &[u16]) -> usize {
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .map(|table| {
            table
                .lines()
                .skip(1)
                .filter(|line| is_time_wait_on(line, ports))
                .count()
        })
        .sum()
}

/// One line of `/proc/net/tcp`: `sl local_address rem_address st ...`, addresses as
/// `HEXIP:HEXPORT`, state 06 = TIME_WAIT.
fn is_time_wait_on(line: &str, ports: &[u16]) -> bool {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.len() < 4 || fields[3] != "06" {
        return false;
    }
    let port = |addr: &str| {
        addr.rsplit_once(':')
            .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
    };
    [fields[1], fields[2]]
        .iter()
        .filter_map(|a| port(a))
        .any(|p| ports.contains(&p))
}

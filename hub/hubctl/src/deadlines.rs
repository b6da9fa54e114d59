//! The gRPC deadline each command calls with: `--timeout-ms` when given, else a default per
//! command (a search waits for its own `--deadline-ms` plus a margin, so the hub can answer
//! with what it has; a one-click freeze waits longer for the agencies).

use std::time::Duration;

/// gRPC deadline for `sources` and `query` when `--timeout-ms` is not given.
const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Margin above `--deadline-ms` for the gRPC deadline, so the hub can answer with what it has.
const DEADLINE_MARGIN_MS: u64 = 2_000;
/// gRPC deadline for `freeze` when `--timeout-ms` is not given: the hub waits for the
/// agencies' answers up to the deadline and reports what is still pending.
pub const FREEZE_TIMEOUT_MS: u64 = 30_000;

/// The gRPC deadline for a unary call.
pub fn unary_timeout(explicit: Option<u64>, deadline_ms: Option<u32>) -> Duration {
    let ms = explicit.unwrap_or_else(|| {
        let wanted = deadline_ms.map_or(0, |d| u64::from(d) + DEADLINE_MARGIN_MS);
        DEFAULT_TIMEOUT_MS.max(wanted)
    });
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(unary_timeout(None, None), Duration::from_millis(10_000));
        assert_eq!(
            unary_timeout(None, Some(500)),
            Duration::from_millis(10_000)
        );
        assert_eq!(
            unary_timeout(Some(300), Some(50_000)),
            Duration::from_millis(300)
        );
    }
}

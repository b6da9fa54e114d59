//! Logging setup: tracing to stderr, filtered by `RUST_LOG` (default `info`), as text or as
//! JSON lines when `ASSETHUB_LOG_FORMAT=json`. Identifiers and names are masked where they are
//! recorded (their `Display` is masked), never here.
//!
//! Lines are formatted on the calling thread but written to stderr by a thread of their own
//! (`tracing-appender`'s non-blocking writer), so a slow terminal or pipe never holds up a
//! call. When more than [`BUFFERED_LINES`] lines wait, new ones are dropped rather than
//! buffered without bound; the guard [`init`] returns writes out what is buffered when the
//! process ends, so hold it in `main`.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

/// Lines that may wait for the writer thread before new ones are dropped.
pub const BUFFERED_LINES: usize = 64 * 1024;

/// Installs the subscriber; keep the guard until the process ends (dropping it flushes).
#[must_use = "dropping the guard stops the log writer"]
pub fn init() -> WorkerGuard {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .lossy(true)
        .thread_name("assethub-log")
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    let json = std::env::var("ASSETHUB_LOG_FORMAT").is_ok_and(|v| v == "json");
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if let Err(e) = result {
        eprintln!("logging already initialised: {e}");
    }
    guard
}

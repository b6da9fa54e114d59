//! Logging setup: tracing to stderr, filtered by `RUST_LOG` (default `info`), as text or as
//! JSON lines when `ASSETHUB_LOG_FORMAT=json`. Identifiers and names are masked where they are
//! recorded (their `Display` is masked), never here.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = std::env::var("ASSETHUB_LOG_FORMAT").is_ok_and(|v| v == "json");
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    if let Err(e) = result {
        eprintln!("logging already initialised: {e}");
    }
}

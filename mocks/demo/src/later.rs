//! The demo's asynchronous agency: 协诚银行, a bank that answers inquiries about 20 seconds
//! after taking them (the mock bank with `answer_delay_ms`), on port 18091 as source
//! `bank-xiecheng`, configured `asynchronous = true`. A search reports it PENDING with its
//! ticket; the answer then appears in `hubctl events`, and a repeated search is served from
//! the cache. Only the demo adds it: the example configuration and the tests' worlds keep
//! their six built-in agencies.

use assethub_hub::config::{HubConfig, SourceConfig};
use assethub_mocks::{bank, AgencyConfig, FamilySettings, Population, RunningAgency};
use std::sync::Arc;

/// The source id of the asynchronous bank in the demo.
pub const SOURCE: &str = "bank-xiecheng";
const PORT: u16 = 18091;
/// How long the bank takes to answer an inquiry.
const ANSWER_DELAY_MS: u64 = 20_000;

/// Starts the bank and adds it to `config`; `None` (with a line saying why) when it cannot.
pub async fn start(config: &mut HubConfig, population: Arc<Population>) -> Option<RunningAgency> {
    let settings = bank::Settings {
        bank_name: "协诚银行".into(),
        bank_code: "367".into(),
        api_key: "xc-demo-key".into(),
        api_secret: "xc-demo-secret".into(),
        answer_delay_ms: Some(ANSWER_DELAY_MS),
        ..bank::Settings::demo(2)
    };
    let agency = AgencyConfig {
        name: SOURCE.into(),
        host: "127.0.0.1".into(),
        port: PORT,
        latency_ms: 40,
        jitter_ms: 30,
        settings: FamilySettings::Bank(settings),
    };
    let running = match assethub_mocks::start(&agency, population).await {
        Ok(running) => running,
        Err(e) => {
            println!("{SOURCE} (bank answering later): not started: {e}");
            return None;
        }
    };
    let source = format!(
        r#"id = "{SOURCE}"
type = "bank"
cache_ttl_secs = 600
max_concurrency = 8
asynchronous = true
inquiry_expiry_secs = 3600
base_url = "{}"
api_key = "xc-demo-key"
api_secret = "xc-demo-secret"
timeout_ms = 3000
"#,
        running.base_url()
    );
    match toml::from_str::<SourceConfig>(&source) {
        Ok(source) => {
            config.sources.push(source);
            println!(
                "{SOURCE} (协诚银行, answers inquiries after {} s): {}",
                ANSWER_DELAY_MS / 1000,
                running.base_url()
            );
            Some(running)
        }
        Err(e) => {
            println!("{SOURCE} (bank answering later): not started: {e}");
            None
        }
    }
}

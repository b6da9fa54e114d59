//! The demo's seventh agency: the securities depository example in Python
//! (`connectors/examples/csdc`), served out of process over `assethub.connector.v1` as source
//! `csdc` on ports 18090 (agency) and 50070 (connector). Started when its Python is found;
//! otherwise the demo says why and runs with the six built-in agencies.

use assethub_hub::config::{HubConfig, SourceConfig};
use assethub_mocks::csdc::{find_python, Csdc, CsdcOptions};
use std::path::Path;

/// The source id of the depository in the demo.
pub const SOURCE: &str = "csdc";

/// Starts the depository and adds it to `config` as source `csdc`; `None` (with a line saying
/// why) when it cannot run here.
pub async fn start(config: &mut HubConfig, registers: &Path, skip: bool) -> Option<Csdc> {
    if skip {
        println!("csdc (securities depository, Python): not started (--no-csdc)");
        return None;
    }
    let started = match find_python() {
        Ok(python) => {
            let options = CsdcOptions {
                agency_port: 18090,
                connector_port: 50070,
                register: std::fs::create_dir_all(registers)
                    .ok()
                    .map(|_| registers.join("csdc.json")),
                today: None,
            };
            Csdc::start(&python, &options).await
        }
        Err(why) => Err(why),
    };
    let csdc = match started {
        Ok(csdc) => csdc,
        Err(why) => {
            println!("csdc (securities depository, Python): not started: {why}");
            return None;
        }
    };
    let source: Result<SourceConfig, _> = toml::from_str::<toml::Table>(&csdc.source_toml(SOURCE))
        .map_err(|e| e.to_string())
        .and_then(|mut table| {
            let entry = table
                .remove("sources")
                .and_then(|s| s.as_array().and_then(|a| a.first().cloned()))
                .ok_or("no [[sources]] entry")?;
            entry.try_into().map_err(|e: toml::de::Error| e.to_string())
        });
    match source {
        Ok(source) => {
            config.sources.push(source);
            println!(
                "csdc (securities depository, Python): agency {}, connector {}",
                csdc.agency_url, csdc.connector_url
            );
            Some(csdc)
        }
        Err(why) => {
            println!("csdc (securities depository, Python): not started: {why}");
            None
        }
    }
}

//! `hubctl sources`: the hub's connected sources, as a table or a JSON array.

use std::io::Write;
use std::time::Duration;

use assethub_proto::v1::{ListSourcesRequest, SourceInfo};

use crate::client::{bounded, request, Hub};
use crate::error::CliError;
use crate::json;
use crate::names;
use crate::render::{duration_ms, Align, Table};

pub async fn run(
    hub: &mut Hub,
    timeout: Option<Duration>,
    as_json: bool,
    out: &mut impl Write,
) -> Result<(), CliError> {
    let call = hub
        .client
        .list_sources(request(ListSourcesRequest {}, timeout));
    let response = bounded(timeout, call)
        .await
        .map_err(|s| CliError::status(&hub.addr, s))?
        .into_inner();
    if as_json {
        let items: Vec<_> = response.sources.iter().map(json::source_info).collect();
        writeln!(out, "{}", json::to_line(&items))?;
    } else {
        write!(out, "{}", render(&response.sources))?;
    }
    Ok(())
}

/// The sources table.
pub fn render(sources: &[SourceInfo]) -> String {
    if sources.is_empty() {
        return "the hub has no sources configured\n".to_string();
    }
    let mut table = Table::new(&[
        ("ID", Align::Left),
        ("KIND", Align::Left),
        ("CONNECTOR", Align::Left),
        ("CAPABILITIES", Align::Left),
        ("CACHE TTL", Align::Right),
        ("MAX CONCURRENCY", Align::Right),
        ("IN FLIGHT", Align::Right),
        ("BREAKER", Align::Left),
        ("RATE LIMIT", Align::Right),
        ("RETRY BUDGET", Align::Right),
    ]);
    for s in sources {
        table.push(vec![
            s.id.clone(),
            names::asset_kind(s.kind).to_string(),
            s.connector_type.clone(),
            s.capabilities.join(","),
            ttl(s.cache_ttl_secs),
            s.max_concurrency.to_string(),
            s.in_flight.to_string(),
            s.breaker_state.clone(),
            rate(s.rate_limit_per_sec, s.rate_limit_burst),
            budget(s.retry_budget),
        ]);
    }
    let mut text = table.lines().join("\n");
    text.push('\n');
    text
}

fn rate(per_sec: u32, burst: u32) -> String {
    if per_sec == 0 {
        "none".to_string()
    } else {
        format!("{per_sec}/s burst {burst}")
    }
}

fn budget(retries: u32) -> String {
    if retries == u32::MAX {
        "off".to_string()
    } else {
        retries.to_string()
    }
}

fn ttl(secs: u64) -> String {
    if secs == 0 {
        "none".to_string()
    } else {
        duration_ms(secs.saturating_mul(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_proto::v1::AssetKind;

    #[test]
    fn table_of_sources() {
        let sources = vec![
            SourceInfo {
                kind_info: Default::default(),
                kind_name: Default::default(),
                id: "bank-gongxin".into(),
                kind: AssetKind::Bank as i32,
                connector_type: "bank".into(),
                capabilities: vec!["query".into(), "freeze".into()],
                cache_ttl_secs: 300,
                max_concurrency: 8,
                breaker_state: "closed".into(),
                in_flight: 1,
                rate_limit_per_sec: 200,
                rate_limit_burst: 20,
                retry_budget: 12,
            },
            SourceInfo {
                kind_info: Default::default(),
                kind_name: Default::default(),
                id: "re-wuhan".into(),
                kind: AssetKind::RealEstate as i32,
                connector_type: "real_estate".into(),
                capabilities: vec!["query".into()],
                cache_ttl_secs: 0,
                max_concurrency: 2,
                breaker_state: "open".into(),
                in_flight: 0,
                rate_limit_per_sec: 0,
                rate_limit_burst: 1,
                retry_budget: u32::MAX,
            },
        ];
        let text = render(&sources);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("ID            KIND"));
        assert!(lines[1].contains("query,freeze"));
        assert!(lines[1].contains("5m00s"));
        assert!(lines[1].contains("200/s burst 20"));
        assert!(lines[1].trim_end().ends_with("12"));
        assert!(lines[2].contains("none"));
        assert!(lines[2].trim_end().ends_with("off"));
        assert!(lines[2].contains("real_estate"));
        assert!(lines[2].contains("none"));
        assert!(lines[1].contains("1  closed"), "{}", lines[1]);
        assert!(lines[2].contains("2          0  open"), "{}", lines[2]);
    }
}

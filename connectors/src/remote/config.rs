//! The remote connector's settings: where the connector process listens (`address`, http://
//! or https://), the TLS files (`ca_file` to trust its certificate, `cert_file`/`key_file` to
//! present the hub's own for mTLS), the per-attempt `timeout_ms`, and the `settings` sub-table
//! the connector itself receives as JSON. Parsed strictly (unknown keys are typos); the
//! channel is made here, lazily (nothing is dialled until the first call).

use crate::domain::SourceId;
use crate::error::ConfigError;
use crate::http;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

/// Longest accepted per-attempt timeout (ten minutes).
const MAX_TIMEOUT_MS: u64 = 600_000;
/// Largest settings JSON sent to a connector.
const MAX_SETTINGS_JSON: usize = 64 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    address: String,
    ca_file: Option<PathBuf>,
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
    #[serde(default = "http::default_timeout_ms")]
    timeout_ms: u64,
    #[serde(default)]
    settings: toml::Table,
}

/// Validated settings of one remote source.
pub(super) struct RemoteConfig {
    pub address: String,
    pub timeout: Duration,
    /// The `settings` sub-table as a JSON object, sent with Describe and Check.
    pub settings_json: String,
    endpoint: Endpoint,
}

impl RemoteConfig {
    pub(super) fn parse(id: &SourceId, settings: toml::Table) -> Result<Self, ConfigError> {
        let source = id.as_str();
        let error = |message: String| ConfigError::new(source, message);
        let raw: RawSettings = http::parse_settings(source, settings)?;
        let timeout_ms = http::timeout_ms(source, raw.timeout_ms, MAX_TIMEOUT_MS)?;
        let timeout = Duration::from_millis(timeout_ms);
        let settings_json = serde_json::Value::Object(json_object(raw.settings)).to_string();
        if settings_json.len() > MAX_SETTINGS_JSON {
            return Err(error(format!(
                "settings must be at most {MAX_SETTINGS_JSON} bytes as JSON"
            )));
        }
        let address = raw.address.trim_end_matches('/').to_string();
        let tls = match address.split_once("://") {
            Some(("https", _)) => true,
            Some(("http", _)) => false,
            _ => {
                return Err(error(format!(
                    "address {:?} must start with http:// or https://",
                    raw.address
                )))
            }
        };
        let mut endpoint = Endpoint::from_shared(address.clone())
            .map_err(|e| error(format!("address {:?}: {e}", raw.address)))?
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .tcp_nodelay(true);
        let host = endpoint.uri().host().unwrap_or("").to_string();
        if !tls {
            if raw.ca_file.is_some() || raw.cert_file.is_some() || raw.key_file.is_some() {
                return Err(error(
                    "ca_file, cert_file and key_file need an https:// address".into(),
                ));
            }
            if !is_loopback(&host) {
                return Err(error(format!(
                    "address {:?}: plaintext http:// only to a connector on this machine (loopback); use https:// with ca_file",
                    raw.address
                )));
            }
        } else {
            let ca = raw
                .ca_file
                .as_deref()
                .ok_or_else(|| error("an https:// address needs ca_file (the PEM of the CA that signed the connector's certificate)".into()))?;
            let mut config = ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(read(source, "ca_file", ca)?))
                .domain_name(host.trim_start_matches('[').trim_end_matches(']'));
            match (&raw.cert_file, &raw.key_file) {
                (Some(cert), Some(key)) => {
                    config = config.identity(Identity::from_pem(
                        read(source, "cert_file", cert)?,
                        read(source, "key_file", key)?,
                    ));
                }
                (None, None) => {}
                _ => return Err(error("cert_file and key_file go together (mTLS)".into())),
            }
            endpoint = endpoint
                .tls_config(config)
                .map_err(|e| error(format!("TLS settings: {e}")))?;
        }
        Ok(Self {
            address,
            timeout,
            settings_json,
            endpoint,
        })
    }

    /// A channel to the connector; it dials at the first call and redials when needed.
    pub(super) fn channel(&self) -> Channel {
        self.endpoint.connect_lazy()
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare == "localhost"
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn read(source: &str, key: &str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path)
        .map_err(|e| ConfigError::new(source, format!("{key} {}: {e}", path.display())))
}

/// A TOML table as a JSON object (dates and times as their TOML text).
fn json_object(table: toml::Table) -> serde_json::Map<String, serde_json::Value> {
    table.into_iter().map(|(k, v)| (k, json(v))).collect()
}

fn json(value: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.into_iter().map(json).collect()),
        toml::Value::Table(table) => J::Object(json_object(table)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RemoteConfig, ConfigError> {
        RemoteConfig::parse(
            &SourceId::new("csdc").unwrap(),
            toml::from_str(text).unwrap(),
        )
    }

    #[test]
    fn plaintext_to_loopback_with_settings_forwarded_as_json() {
        let config = parse(
            "address = \"http://127.0.0.1:7001/\"\ntimeout_ms = 250\n[settings]\nmember = \"B001\"\nlimit = 3\nsince = 2024-01-02\n",
        )
        .unwrap();
        assert_eq!(config.address, "http://127.0.0.1:7001");
        assert_eq!(config.timeout, Duration::from_millis(250));
        let sent: serde_json::Value = serde_json::from_str(&config.settings_json).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"member": "B001", "limit": 3, "since": "2024-01-02"})
        );
        assert_eq!(
            parse("address = \"http://localhost:7001\"")
                .unwrap()
                .settings_json,
            "{}"
        );
    }

    #[test]
    fn refuses_what_would_not_work_or_would_leak() {
        let refused = [
            ("address = \"grpc://127.0.0.1:7001\"", "http:// or https://"),
            ("address = \"127.0.0.1:7001\"", "http:// or https://"),
            ("address = \"http://10.1.2.3:7001\"", "loopback"),
            ("address = \"https://csdc.example:7001\"", "needs ca_file"),
            (
                "address = \"http://127.0.0.1:7001\"\nca_file = \"ca.pem\"",
                "need an https://",
            ),
            (
                "address = \"https://csdc.example:7001\"\nca_file = \"/nonexistent/ca.pem\"",
                "ca_file /nonexistent/ca.pem",
            ),
            (
                "address = \"http://127.0.0.1:7001\"\ntimeout_ms = 0",
                "timeout_ms",
            ),
            (
                "address = \"http://127.0.0.1:7001\"\nadress = \"x\"",
                "unknown field",
            ),
        ];
        for (text, expected) in refused {
            let error = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted {text}"));
            assert!(error.message.contains(expected), "{text}: {error}");
            assert_eq!(error.source_id, "csdc");
        }
    }
}

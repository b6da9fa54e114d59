//! Building the connector from its settings table: what is accepted, what is refused.

use super::super::build;
use super::{settings, source_id};

fn table(text: &str) -> toml::Table {
    toml::from_str(text).expect("valid TOML")
}

#[test]
fn builds_from_the_hub_configuration() {
    let connector = build(
        source_id(),
        settings("http://127.0.0.1:18081/", "gx-demo-key", "gx-demo-secret"),
    )
    .expect("builds");
    assert_eq!(connector.id(), &source_id());
    // timeout_ms is optional.
    build(
        source_id(),
        table("base_url = 'https://bank.example/api'\napi_key = 'k'\napi_secret = 's'"),
    )
    .expect("builds without timeout_ms");
}

#[test]
fn refuses_bad_settings() {
    let cases = [
        ("api_key = 'k'\napi_secret = 's'", "base_url"),
        ("base_url = 'http://h'\napi_secret = 's'", "api_key"),
        ("base_url = 'http://h'\napi_key = 'k'", "api_secret"),
        (
            "base_url = 'http://h'\napi_key = 'k'\napi_secret = 's'\napikey = 'typo'",
            "apikey",
        ),
        (
            "base_url = 'ftp://h'\napi_key = 'k'\napi_secret = 's'",
            "http",
        ),
        (
            "base_url = 'not a url'\napi_key = 'k'\napi_secret = 's'",
            "base_url",
        ),
        (
            "base_url = 'http://h/?x=1'\napi_key = 'k'\napi_secret = 's'",
            "query",
        ),
        (
            "base_url = 'http://h'\napi_key = ''\napi_secret = 's'",
            "api_key",
        ),
        (
            "base_url = 'http://h'\napi_key = 'a key'\napi_secret = 's'",
            "api_key",
        ),
        (
            "base_url = 'http://h'\napi_key = 'k'\napi_secret = ''",
            "api_secret",
        ),
        (
            "base_url = 'http://h'\napi_key = 'k'\napi_secret = 's'\ntimeout_ms = 0",
            "timeout_ms",
        ),
        (
            "base_url = 'http://h'\napi_key = 'k'\napi_secret = 's'\ntimeout_ms = 'fast'",
            "",
        ),
    ];
    for (text, mentions) in cases {
        let error = match build(source_id(), table(text)) {
            Ok(_) => panic!("accepted: {text}"),
            Err(error) => error,
        };
        assert_eq!(error.source_id, "bank-gongxin");
        assert!(error.message.contains(mentions), "{text}: {error}");
        assert!(!error.message.contains("'s'"), "secrets stay out of errors");
    }
}

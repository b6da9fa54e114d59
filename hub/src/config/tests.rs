//! The configuration file: the example, defaults, and what validation refuses.

use super::*;
use assethub_connectors::domain::AssetKind;

#[test]
fn the_example_parses_with_every_family() {
    let config = test_example();
    assert_eq!(config.sources.len(), 6);
    let bank = &config.sources[0];
    assert_eq!(bank.connector_type, "bank");
    assert_eq!(config.ttl_for(bank), Duration::from_secs(60));
    // Hub keys are taken out; connector keys stay for the connector.
    assert!(bank.settings.contains_key("api_key"));
    assert!(!bank.settings.contains_key("cache_ttl_secs"));
    assert!(!bank.settings.contains_key("id"));
}

#[test]
fn a_written_config_reads_back_the_same() {
    let mut config = test_example();
    // Values away from the defaults, so a field that is written but not read back shows.
    config.server.tls = Some(TlsConfig {
        cert_file: "/etc/assethub/hub.pem".into(),
        key_file: "/etc/assethub/hub.key".into(),
        client_ca_file: Some("/etc/assethub/ca.pem".into()),
        require_client_cert: true,
    });
    config.auth.approval.push(ApprovalRule {
        court: "鄂0116".into(),
        above_fen: 1_000_000,
        seals: true,
        written_answers: false,
    });
    config.control.kinds.insert(
        "vehicle".into(),
        KindConfig {
            max_days: Some(100),
            ..Default::default()
        },
    );
    config.control.kinds.insert(
        "securities".into(),
        KindConfig {
            class: Some("other_rights".into()),
            unit: Some("shares".into()),
            label: Some("证券".into()),
            ..Default::default()
        },
    );
    config.audit.checkpoint_file = "/var/lib/assethub/checkpoints.jsonl".into();
    config.audit.checkpoint_interval_secs = 0;
    config.trust.audit_checkpoint_key_id = "audit-2026".into();
    config.sources[0].cache_ttl_secs = None;
    config.sources[1].breaker_failures = 0;
    let text = toml::to_string(&config).expect("the configuration serializes");
    let back = HubConfig::from_toml(&text).expect("the written configuration parses");
    let value = |c: &HubConfig| toml::Value::try_from(c).expect("serializes");
    assert_eq!(value(&back), value(&config));
    let kinds = back.control.kinds().expect("the kinds table");
    assert_eq!(kinds.get(AssetKind::VEHICLE).map(|k| k.max_days), Some(100));
    let shares = AssetKind::lookup("securities").expect("registered at load");
    assert_eq!(kinds.get(shares).map(|k| k.max_days), Some(1095));
    assert_eq!(back.sources[0].cache_ttl_secs, None);
    assert_eq!(back.sources[1].breaker_failures, 0);
    assert_eq!(
        back.sources[2].settings["base_url"].as_str(),
        Some("http://127.0.0.1:18083")
    );
    assert!(back.server.tls.is_some_and(|t| t.require_client_cert));
    assert_eq!(back.audit.checkpoint_interval_secs, 0);
    assert_eq!(back.trust.audit_checkpoint_key_id, "audit-2026");
}

/// The sources of a minimal configuration: with the test keys ([`minimal`]) it is valid.
const SOURCES: &str = "[[sources]]\nid='a'\ntype='bank'\n";

fn minimal() -> String {
    format!("{}{SOURCES}", auth::TEST_TRUST)
}

/// [`minimal`] with some `[trust]` fields set to other values.
fn trust_with(changes: &[(&str, &str)]) -> String {
    let lines: Vec<String> = auth::TEST_TRUST
        .lines()
        .map(|line| {
            changes
                .iter()
                .find(|(key, _)| line.starts_with(&format!("{key} =")))
                .map_or(line.to_string(), |(key, value)| {
                    format!("{key} = '{value}'")
                })
        })
        .collect();
    format!("{}\n{SOURCES}", lines.join("\n"))
}

#[test]
fn the_audit_section_has_defaults_and_checks_the_checkpoint_key() {
    const SEED: &str = "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=";
    let config = HubConfig::from_toml(&minimal()).expect("parses");
    assert_eq!(
        config.audit.checkpoint_file,
        std::path::Path::new("data/audit-checkpoints.jsonl")
    );
    assert_eq!(config.audit.checkpoint_interval_secs, 60);
    let test_key = config.trust.checkpoint_key().expect("the test key");
    assert_eq!(test_key.key_id(), "audit-test-1");
    let typo = format!("[audit]\ncheckpoint_every = 5\n{}", minimal());
    assert!(matches!(
        HubConfig::from_toml(&typo),
        Err(ConfigError::Parse(_))
    ));
    let short_seed = trust_with(&[("audit_checkpoint_key_seed", "AAAA")]);
    assert!(matches!(
        HubConfig::from_toml(&short_seed),
        Err(ConfigError::Invalid(m)) if m.contains("audit_checkpoint_key_seed")
    ));
    let seeded = trust_with(&[
        ("audit_checkpoint_key_id", "cp-1"),
        ("audit_checkpoint_key_seed", SEED),
    ]);
    let config = HubConfig::from_toml(&seeded).expect("a 32-byte seed");
    let key = config.trust.checkpoint_key().unwrap();
    assert_eq!(key.key_id(), "cp-1");
    assert_ne!(key.public_key(), test_key.public_key());
    assert!(!format!("{:?}", config.trust).contains(SEED));
}

#[test]
fn every_hub_key_must_be_set_and_the_refusal_says_how() {
    for field in [
        "instruction_key_seed",
        "audit_checkpoint_key_seed",
        "audit_key",
    ] {
        match HubConfig::from_toml(&trust_with(&[(field, "")])) {
            Err(ConfigError::Invalid(why)) => {
                assert!(why.contains(&format!("trust.{field} is empty")), "{why}");
                assert!(why.contains("assethub keygen"), "{why}");
            }
            other => panic!("{field} empty: {other:?}"),
        }
    }
    // No [trust] at all: nothing falls back to a built-in key.
    assert!(matches!(
        HubConfig::from_toml(SOURCES),
        Err(ConfigError::Invalid(why)) if why.contains("assethub keygen")
    ));
    assert_eq!(
        HubConfig::from_toml(&minimal()).unwrap().demo_keys(),
        Vec::<String>::new()
    );
}

#[test]
fn rejects_duplicates_and_typos() {
    let dup = "[[sources]]\nid='a'\ntype='bank'\n[[sources]]\nid='a'\ntype='bank'\n";
    assert!(matches!(
        HubConfig::from_toml(dup),
        Err(ConfigError::Invalid(_))
    ));
    let typo =
        "[server]\nlisten='127.0.0.1:1'\ndefault_deadline='x'\n[[sources]]\nid='a'\ntype='bank'\n";
    assert!(matches!(
        HubConfig::from_toml(typo),
        Err(ConfigError::Parse(_))
    ));
    let bad_id = "[[sources]]\nid='Bank A'\ntype='bank'\n";
    assert!(matches!(
        HubConfig::from_toml(bad_id),
        Err(ConfigError::Parse(_))
    ));
}

#[test]
fn abuse_limits_have_defaults_and_zero_is_refused_where_it_means_nothing() {
    let source = minimal();
    let config = HubConfig::from_toml(&source).unwrap();
    assert_eq!(config.server.max_streams_per_caller, 16);
    assert_eq!(config.server.header_read_timeout_secs, 10);
    assert_eq!(config.server.idle_timeout_secs, 300);
    assert_eq!(config.auth.refusal_audit_window_secs, 60);
    for (section, key) in [
        ("server", "max_streams_per_caller"),
        ("server", "max_calls_per_connection"),
        ("server", "header_read_timeout_secs"),
        ("server", "keepalive_interval_secs"),
        ("server", "keepalive_timeout_secs"),
        ("auth", "refusal_audit_window_secs"),
    ] {
        let text = format!("[{section}]\n{key} = 0\n{source}");
        match HubConfig::from_toml(&text) {
            Err(ConfigError::Invalid(message)) => assert!(message.contains(key), "{message}"),
            other => panic!("{section}.{key} = 0: {other:?}"),
        }
    }
    for (section, key) in [
        ("server", "idle_timeout_secs"),
        ("server", "tcp_keepalive_secs"),
        ("auth", "refusals_per_sec_per_peer"),
    ] {
        let text = format!("[{section}]\n{key} = 0\n{source}");
        assert!(
            HubConfig::from_toml(&text).is_ok(),
            "{section}.{key} = 0 turns it off"
        );
    }
}

#[test]
fn capabilities_narrow_a_source_only_with_known_words_and_always_with_query() {
    let source = |words: &str| format!("{}capabilities={words}\n", minimal());
    let narrowed = HubConfig::from_toml(&source("['query', 'freeze']")).unwrap();
    let words = narrowed.sources[0].capabilities.clone();
    assert_eq!(words, Some(vec!["query".to_string(), "freeze".to_string()]));
    for (words, says) in [
        ("['query', 'thaw']", "unknown capability \"thaw\""),
        ("['freeze']", "must include \"query\""),
    ] {
        match HubConfig::from_toml(&source(words)) {
            Err(ConfigError::Invalid(why)) => assert!(why.contains(says), "{why}"),
            other => panic!("{words}: {other:?}"),
        }
    }
}

#[test]
fn the_kinds_table_reads_new_kinds_and_refuses_bad_values_by_name() {
    let source = minimal();
    let text = format!(
        "[control.kinds.ship]\nclass = 'movable'\nlabel = '船舶'\nactions = ['seal', 'release']\n\
         [control.max_days]\nfunds = 200\n{source}"
    );
    let config = HubConfig::from_toml(&text).expect("parses");
    let kinds = config.control.kinds().unwrap();
    let ship = AssetKind::lookup("ship").expect("registered at load");
    let spec = kinds.get(ship).unwrap();
    assert_eq!((spec.max_days, spec.label.as_str()), (730, "船舶"));
    assert_eq!(spec.unit, assethub_connectors::domain::HoldUnit::Whole);
    assert_eq!(kinds.get(AssetKind::BANK).unwrap().max_days, 200);
    for (table, words) in [
        (
            "[control.kinds.bank]\nmax_days = 366\n",
            "control.kinds.bank",
        ),
        (
            "[control.kinds.boat]\nclass = 'sea'\n",
            "control.kinds.boat",
        ),
        ("[control.max_days]\nvehicles = 0\n", "control.max_days"),
    ] {
        match HubConfig::from_toml(&format!("{table}{source}")) {
            Err(ConfigError::Invalid(message)) => assert!(message.contains(words), "{message}"),
            other => panic!("{table}: {other:?}"),
        }
    }
    let typo = format!("[control.kinds.ship]\nclass = 'movable'\nmaxdays = 3\n{source}");
    assert!(matches!(
        HubConfig::from_toml(&typo),
        Err(ConfigError::Parse(_))
    ));
}

#[test]
fn the_console_is_off_by_default_and_refused_where_its_cookies_would_travel_in_clear() {
    let config = HubConfig::from_toml(&minimal()).expect("parses");
    assert!(config.console.listen.is_none());
    let on = format!("[console]\nlisten = \"127.0.0.1:8080\"\n{}", minimal());
    let config = HubConfig::from_toml(&on).expect("a console on loopback");
    assert_eq!(
        config
            .console
            .hub_addr_for("127.0.0.1:50051".parse().unwrap()),
        "http://127.0.0.1:50051"
    );
    let open = format!("[console]\nlisten = \"0.0.0.0:8080\"\n{}", minimal());
    match HubConfig::from_toml(&open) {
        Err(ConfigError::Invalid(why)) => assert!(why.contains("secure_cookies"), "{why}"),
        other => panic!(
            "a console beyond loopback without secure cookies: {:?}",
            other.map(|_| ())
        ),
    }
    let behind_tls = format!(
        "[console]\nlisten = \"0.0.0.0:8080\"\nsecure_cookies = true\n{}",
        minimal()
    );
    assert!(HubConfig::from_toml(&behind_tls).is_ok());
    let typo = format!("[console]\nlisten_on = \"127.0.0.1:8080\"\n{}", minimal());
    assert!(HubConfig::from_toml(&typo).is_err());
}

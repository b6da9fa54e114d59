//! The production `assethub` binary holds no demo secret (issue 12, "crates by audience"): not
//! the phrases the demo keys were once derived from, not the demo seeds, not the mock
//! agencies' credentials of the example configuration. The hub knows the demo keys only by
//! their public halves, to refuse serving beyond loopback with them.
//!
//! The oracle is the binary's bytes (what `strings target/release/assethub | grep "assethub
//! demo"` reads) and the example configuration file read here, not any constant of the hub.
//! Cargo builds the binary for this test in the test's profile; the release binary is checked
//! the same way by hand (README, "Security notes").

use std::path::Path;

fn binary() -> Vec<u8> {
    let path = env!("CARGO_BIN_EXE_assethub");
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Which of `needles` occur in `haystack`: one pass, trying the needles only where one of
/// their first bytes sits (the binary is tens of megabytes and tests build unoptimised).
fn found<'a>(haystack: &[u8], needles: &'a [String]) -> Vec<&'a String> {
    let mut first = [false; 256];
    for needle in needles {
        first[usize::from(needle.as_bytes()[0])] = true;
    }
    let mut seen = vec![false; needles.len()];
    for (at, byte) in haystack.iter().enumerate() {
        if first[usize::from(*byte)] {
            for (n, needle) in needles.iter().enumerate() {
                seen[n] |= haystack[at..].starts_with(needle.as_bytes());
            }
        }
    }
    needles
        .iter()
        .zip(seen)
        .filter(|(_, s)| *s)
        .map(|(n, _)| n)
        .collect()
}

/// Every secret-looking value of the example configuration's sources (the mock agencies'
/// credentials), as the file lists them.
fn example_credentials() -> Vec<String> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
    let text = std::fs::read_to_string(&file).expect("the example configuration");
    let table: toml::Table = text.parse().expect("the example configuration is TOML");
    let sources = table["sources"].as_array().expect("[[sources]]");
    let mut found = Vec::new();
    for source in sources {
        for (key, value) in source.as_table().expect("a source table") {
            let secret = ["secret", "token", "api_key", "app_key", "client_id"]
                .iter()
                .any(|word| key.contains(word));
            if let (true, Some(value)) = (secret, value.as_str()) {
                found.push(value.to_string());
            }
        }
    }
    assert!(found.len() >= 6, "the example's credentials: {found:?}");
    found
}

#[test]
fn the_assethub_binary_holds_no_demo_secret() {
    let bytes = binary();
    let control = ["assethub keygen".to_string()];
    assert_eq!(
        found(&bytes, &control),
        vec![&control[0]],
        "the oracle reads the binary's text (its own help names keygen)"
    );
    let mut forbidden = vec!["assethub demo".to_string()];
    forbidden.extend(example_credentials());
    let held = found(&bytes, &forbidden);
    assert!(held.is_empty(), "the assethub binary holds {held:?}");
}

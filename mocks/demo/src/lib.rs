//! The demo's hub: the example configuration (`hub/config/example.toml`, whose `[trust]` keys
//! are left empty for operators to fill) completed with the demo's PUBLIC keys from
//! `assethub_mocks::demo_keys`, and the demo token issuer. `assethub-demo` serves it and the
//! tests crate's `World` starts from it; the production `assethub` binary links none of this
//! (it refuses empty keys, and beyond loopback the demo's).

pub mod offline;

use assethub_hub::auth::TokenIssuer;
use assethub_hub::config::{HubConfig, TrustConfig};
use assethub_mocks::demo_keys;

/// The example configuration file, matching `mock-agencies` on its default ports.
pub const EXAMPLE_CONFIG: &str = include_str!("../../../hub/config/example.toml");

/// The demo's `[trust]`: its PUBLIC instruction, checkpoint and audit keys.
pub fn trust() -> TrustConfig {
    TrustConfig {
        instruction_key_id: demo_keys::INSTRUCTION_KEY_ID.into(),
        instruction_key_seed: demo_keys::INSTRUCTION_KEY_SEED.into(),
        audit_key: demo_keys::AUDIT_KEY.into(),
        audit_checkpoint_key_id: demo_keys::CHECKPOINT_KEY_ID.into(),
        audit_checkpoint_key_seed: demo_keys::CHECKPOINT_KEY_SEED.into(),
    }
}

/// The example configuration with the demo's keys: what `assethub-demo` serves.
pub fn config() -> HubConfig {
    HubConfig::from_toml_with(EXAMPLE_CONFIG, |config| config.trust = trust())
        .unwrap_or_else(|e| panic!("the example configuration with the demo keys: {e}"))
}

/// The demo token issuer (a PUBLIC key the example configuration trusts).
pub fn token_issuer() -> TokenIssuer {
    TokenIssuer::from_seed(
        demo_keys::TOKEN_ISSUER_NAME,
        demo_keys::TOKEN_ISSUER_KID,
        demo_keys::TOKEN_ISSUER_SEED,
    )
    .expect("the demo issuer seed is 32 bytes of base64")
}

#[cfg(test)]
mod tests {
    use super::*;
    use assethub_hub::auth::issue::DEMO_ISSUER_X;
    use assethub_hub::config::ConfigError;

    /// The hub recognises every demo key by its public half, so it refuses them beyond
    /// loopback while holding none of them.
    #[test]
    fn the_hub_recognises_every_demo_key() {
        assert_eq!(token_issuer().public_x(), DEMO_ISSUER_X);
        assert!(EXAMPLE_CONFIG.contains(DEMO_ISSUER_X));
        let found = config().demo_keys();
        for field in [
            "auth.issuers demo",
            "trust.instruction_key_seed",
            "trust.audit_checkpoint_key_seed",
            "trust.audit_key",
        ] {
            assert!(
                found.iter().any(|f| f.starts_with(field)),
                "{field}: {found:?}"
            );
        }
        assert_eq!(found.len(), 4, "{found:?}");
    }

    /// An operator who copies the example as it is gets a refusal that says what to do.
    #[test]
    fn the_example_as_it_is_needs_keys() {
        match HubConfig::from_toml(EXAMPLE_CONFIG) {
            Err(ConfigError::Invalid(why)) => assert!(why.contains("assethub keygen"), "{why}"),
            other => panic!("the example without keys: {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn the_example_has_every_family() {
        assert_eq!(config().sources.len(), 6);
    }
}

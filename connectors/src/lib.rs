//! assethub connectors: the connector SDK re-exported from `assethub-core` (the `Connector`
//! trait, domain types, factories), shared HTTP plumbing, one folder per built-in agency
//! family, and the remote connector that speaks `assethub.connector.v1` to a connector served
//! out of process. Nothing hub-specific: the hub knows connectors only through the trait and
//! the registry of factories [`factories`] returns.
//!
//! Adding an agency family in Rust means one new folder and one factory registered, here or
//! by an embedder on top of [`factories`]; an agency served in another language needs no Rust
//! at all (`type = "remote"`, see [`remote`]).

pub use assethub_core::{connector, control, domain, error, factory, signature};
pub mod http;

pub mod bank;
pub mod offline;
pub mod payment;
pub mod real_estate;
pub mod remote;
pub mod vehicle;

pub use assethub_core::{BuildFn, ConnectorFactory, Factories, FnFactory};
pub use assethub_core::{CallContext, Capability, Connector, QueryAnswer, ReadyPage};
pub use assethub_core::{ConfigError, ConnectorError, ErrorClass};
pub use assethub_core::{
    ControlAction, ControlAnswer, ControlInstruction, HoldStatus, Sighting, SightingsPage,
};

/// The built-in connector types: the four agency families (`bank`, `real_estate`, `vehicle`,
/// `payment`), `remote`, and `offline` (an agency reached only by notices on paper). An embedder registers its own factories on top of these.
///
/// The four agency families share their HTTP clients ([`http::Clients`]): one per distinct
/// client setting (connection timeout, HTTP/2 by prior knowledge) for every source this
/// registry builds, however many.
pub fn factories() -> Factories {
    let clients = std::sync::Arc::new(http::Clients::default());
    let http =
        |name, settings, build| http::HttpFactory::new(name, settings, build, clients.clone());
    Factories::new()
        .with(http(
            "bank",
            "base_url, api_key, api_secret; optional timeout_ms (per attempt, default 5000), http2_prior_knowledge (default false)",
            bank::build_with,
        ))
        .with(http(
            "real_estate",
            "base_url, token; optional timeout_ms (per attempt, default 5000), http2_prior_knowledge (default false)",
            real_estate::build_with,
        ))
        .with(http(
            "vehicle",
            "base_url, app_key, app_secret; optional timeout_ms (per attempt, default 5000), http2_prior_knowledge (default false)",
            vehicle::build_with,
        ))
        .with(http(
            "payment",
            "base_url, client_id, client_secret; optional timeout_ms (per attempt, default 5000), http2_prior_knowledge (default false)",
            payment::build_with,
        ))
        .with(remote::RemoteFactory)
        .with(FnFactory::new(offline::TYPE_NAME, offline::build).with_settings(offline::SETTINGS))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_built_in_types_are_the_four_families_remote_and_offline() {
        let factories = super::factories();
        assert_eq!(
            factories.type_names(),
            vec![
                "bank",
                "offline",
                "payment",
                "real_estate",
                "remote",
                "vehicle"
            ]
        );
        for name in factories
            .type_names()
            .into_iter()
            .filter(|n| *n != "offline")
        {
            let described = factories.get(name).unwrap().settings_description();
            assert!(
                described.is_some_and(|d| d.contains("timeout_ms")),
                "{name}"
            );
        }
    }
}

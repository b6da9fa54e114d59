//! The assethub hub: configuration, connector registry, fan-out, cache, retries and the tonic
//! service that maps the `assethub.v1` API onto domain types. Knows agencies only through the
//! `Connector` trait.

//! The assethub hub: configuration, connector registry, fan-out, cache, retries and the tonic
//! service that maps the `assethub.v1` API onto domain types. Knows agencies only through the
//! `Connector` trait.
//!
//! - `config`: the TOML configuration and its validation.
//! - `registry`: configured sources (connector + TTL + concurrency limit), built by the
//!   registry of connector factories (`Factories`; `serve_with` / `spawn_with` take an
//!   embedder's, `serve` / `spawn` the built-in ones).
//! - `cache`: answers cached per source and debtor, coalescing identical calls (moka).
//! - `retry`: backoff with jitter inside the caller's deadline (backon).
//! - `search`: fan-out of one search to every selected source; `known_assets`: whose each
//!   asset a search reported is (for the desk's ownership check).
//! - `bounds`: the length and character class of every text field a caller sends.
//! - `validate` / `convert`: the edge between the API and the domain.
//! - `identity`: who calls (caller, role, method): a leaf every other module may use.
//! - `gate`: authentication, authorization, limits and audit, one layer in front of every
//!   service; `streams`: each caller's open streams against its cap; `conn`: connections
//!   closed when they start no call or stay idle; `wire_errors`: the transport's own refusals
//!   (undecodable or oversized bodies) in the hub's status codes, and error texts bounded.
//! - `cases`: registered enforcement cases, and the admission of every search and control act.
//! - `orders`: control orders, their ledger and the money rules.
//! - `audit`: the tamper-evident audit log.
//! - `private_files`: files holding personal data or secrets, owner-only (0600, 0700).
//! - `service`: the search gRPC service; `server`: assembling and running the hub.
//! - `metrics`: the Prometheus series and their `/metrics` endpoint.

pub mod audit;
pub mod auth;
pub mod bounds;
pub mod breaker;
pub mod cache;
pub mod cases;
pub mod clock;
pub mod config;
pub mod conn;
pub mod control_api;
pub mod convert;
pub mod gate;
pub mod guard;
pub mod health;
pub mod identity;
pub mod known_assets;
pub mod metrics;
pub mod orders;
pub mod private_files;
pub mod registry;
pub mod retry;
pub mod search;
pub mod server;
pub mod service;
pub mod streams;
pub mod telemetry;
pub mod validate;
pub mod wire_errors;

pub use assethub_connectors::{factories, ConnectorFactory, Factories};
pub use config::HubConfig;
pub use server::{serve, serve_with, spawn, spawn_with, spawn_with_clock, RunningHub};

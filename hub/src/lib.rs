//! The assethub hub: configuration, connector registry, fan-out, cache, retries and the tonic
//! services that map the `assethub.v1` API onto domain types. Knows agencies only through the
//! `Connector` trait.
//!
//! # Layers
//!
//! The library's top-level modules form a DAG (`tests/module_dag.rs` reads every `crate::`
//! path and fails on a cycle). Lowest first: a module imports only modules listed before it
//! (unit tests aside); if two modules need each other, what they share belongs in a third,
//! lower one.
//!
//! 1. **Leaves**, importing nothing of the hub:
//!    - `clock`: every "now": Beijing civil dates for anything legal, and the wall-clock
//!      timestamps records carry (`now_ms`, `now_secs`).
//!    - `identity`: who calls (caller, role, method).
//!    - `bounds`: the length and character class of every text field a caller sends.
//!    - `breaker`, `guard`: the protection layers of an agency call (circuit breaker; rate gate
//!      and retry budget).
//!    - `cache`: answers cached per source and debtor, coalescing identical calls (moka).
//!    - `known_assets`: whose each asset a search reported is (for the desk's ownership check).
//!    - `private_files` (from `assethub-client`, which the credentials file shares): files
//!      holding personal data or secrets, owner-only (0600, 0700).
//!    - `conn`: connections closed when they start no call or stay idle; `streams`: each
//!      caller's open streams against its cap; `telemetry`: logging setup.
//!    - `db`: the ledger database's shared helpers (write transactions, the embedded file).
//!    - `tallies`: each court's searches and agency answers per Beijing day, counted in
//!      memory and added to the ledger's database (the command centre's figures).
//! 2. **The edge**: `validate` (requests into domain types, over `bounds`, `clock`,
//!    `identity`); `wire_errors` (the transport's own refusals in the hub's status codes);
//!    `grpc` (what every service shares: INVALID_ARGUMENT with field violations, code names,
//!    the caller's deadline).
//! 3. **The sink**: `metrics`, the Prometheus series and their `/metrics` endpoint, called with
//!    plain values; what a scrape reads (sources, orders) is pushed in by `ScrapeSource`s
//!    implemented above it. Imports only `breaker`, `grpc` and `identity`.
//! 4. **Who may call**: `auth` (tokens, issuers, revocations, the role matrix, rate limits),
//!    then `audit` (the tamper-evident audit log, and its Audit service).
//! 5. **Configuration**: `config`, the TOML configuration and its validation; its sections are
//!    types of the layers below it (`auth`, `audit`, `metrics`) or its own.
//! 6. **Agencies**: `registry` (configured sources, built by the registry of connector
//!    factories — `serve_with` / `spawn_with` take an embedder's `Factories`, `serve` /
//!    `spawn` the built-in ones; one guarded call through a source's layers,
//!    `registry::call`) and `retry` (backoff with jitter inside the caller's deadline, backon);
//!    then `search` (fan-out of one search to every selected source) and `health`.
//! 7. **Cases and orders**: `cases` (registered enforcement cases and the admission of every
//!    search and control act), then `orders` (control orders, their ledger and money rules),
//!    then `inquiries` (inquiries agencies answer later: recorded in the ledger's database
//!    with their events, followed until answered or expired; plugged into `search` as its
//!    `InquiryBook`), then `sweeps` (durable sweeps: their ledger tables, the worker driving them through
//!    `search` on behalf of their submitter, and their `Sweeps` service).
//! 8. **Services**: `convert` (domain → wire), `service` (the search service), `control_api`
//!    (the Control service), `cases_api` (the Cases service), `tokens_api` (the Tokens
//!    service), `notices_api` (the Notices service: orders' assistance notices as signed PDFs,
//!    rendered by `assethub-notice`), `gate` (authentication, authorization, limits and audit, one layer in front of
//!    every service).
//! 9. **Assembly**: `server`, building and running the hub.

pub mod audit;
pub mod auth;
pub mod bounds;
pub mod breaker;
pub mod cache;
pub mod cases;
pub mod cases_api;
pub mod clock;
pub mod config;
pub mod conn;
pub mod control_api;
pub mod convert;
pub mod db;
pub mod gate;
pub mod grpc;
pub mod guard;
pub mod health;
pub mod identity;
pub mod inquiries;
pub mod known_assets;
pub mod metrics;
pub mod notices_api;
pub mod orders;
pub use assethub_client::private_files;
pub mod registry;
pub mod retry;
pub mod search;
pub mod server;
pub mod service;
pub mod streams;
pub mod sweeps;
pub mod tallies;
pub mod telemetry;
pub mod tokens_api;
pub mod validate;
pub mod wire_errors;

pub use assethub_connectors::{factories, ConnectorFactory, Factories};
pub use config::HubConfig;
pub use server::{serve, serve_with, spawn, spawn_with, spawn_with_clock, RunningHub};

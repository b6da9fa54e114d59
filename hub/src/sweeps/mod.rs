//! Durable sweeps (issue 13): the daily asset check of many debtors as a job the hub keeps in
//! its ledger, submitted once ([`api`], the `Sweeps` service), worked through by the
//! [`worker`] at each agency's own limit, resumed after a restart or a crash without asking an
//! agency about a debtor of a sweep under a second request id (`swp-<sweep>-<index>`), with
//! progress and compact per-source results readable at any time. Owns the `sweeps` and
//! `sweep_items` tables ([`store`], migration 0009) and what they hold ([`model`]). Must not
//! hold a whole sweep in memory, nor add a limit of its own below the agencies'.

pub mod api;
pub mod model;
pub mod store;
pub mod worker;

pub use api::SweepsService;
pub use store::SweepStore;
pub use worker::Sweeper;

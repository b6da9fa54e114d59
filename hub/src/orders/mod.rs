//! Control orders: freeze, seal, watch, release, deduct and renew, from request to the
//! agency's final answer.
//!
//! - `model`: the order record, its state machine and its money (currency, value in yuan).
//! - `policy`: legal hold periods and which action fits which asset.
//! - `currency`: the court's exchange rates for foreign-currency holdings.
//! - `plan`: cap planning for the one-click freeze.
//! - `ledger`: durable storage (sqlx; SQLite or PostgreSQL), idempotency keys, the money rules
//!   of a case (claim, four-eyes, one live hold per asset), events.
//! - `desk`: checks and records requests; `funds`: the one-click freeze; `approve`: four-eyes.
//! - `instruction`: the control instruction an order stands for (online and on paper).
//! - `execute`: exactly-once execution at the agency; `answers`: how answers change orders
//!   (never backwards); `follow`: follow-ups, expiry, sightings, reconciliation.
//! - `peers`: what other hubs sharing a PostgreSQL ledger committed (LISTEN/NOTIFY), applied
//!   to this hub's answer cache, case cache and feed.
//! - `notice`: instructions to off-line agencies, issued as notices instead of calls;
//!   `paper`: the written answers officers record for them (four-eyes where the court says).

pub mod answers;
pub mod approve;
pub mod currency;
pub mod desk;
pub mod execute;
pub mod follow;
pub mod funds;
pub mod instruction;
pub mod ledger;
pub mod model;
pub mod notice;
pub mod paper;
pub mod peers;
pub mod plan;
pub mod policy;

pub use desk::{ActRequest, Authority, Desk, DeskError, HoldRequest};
pub use funds::{FundsReport, FundsRequest};
pub use ledger::{Ledger, LedgerError};
pub use model::{Action, Order, State};

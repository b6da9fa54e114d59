//! Control orders: freeze, seal, watch, release, deduct and renew, from request to the
//! agency's final answer.
//!
//! - `model`: the order record and its state machine.
//! - `policy`: legal hold periods and which action fits which asset.
//! - `plan`: cap planning for the one-click freeze.
//! - `ledger`: durable storage (sqlx; SQLite or PostgreSQL), idempotency keys, case caps, events.
//! - `desk`: checks and records requests; `funds`: the one-click freeze.
//! - `execute`: exactly-once execution at the agency; `follow`: follow-ups, expiry, sightings.

pub mod desk;
pub mod execute;
pub mod follow;
pub mod funds;
pub mod ledger;
pub mod model;
pub mod plan;
pub mod policy;

pub use desk::{ActRequest, Authority, Desk, DeskError, HoldRequest};
pub use funds::{FundsReport, FundsRequest};
pub use ledger::{Ledger, LedgerError};
pub use model::{Action, Order, State};

//! Enforcement cases as the court's case system registers them (DOMAIN rule 7): the case
//! number, its debtors, the claim that caps every freeze and deduction, the case's own account
//! and its state. Every search and control act is admitted here before any agency is asked.
//!
//! - `model`: the case record, its states and what each allows (pure).
//! - `store`: registration and versioned changes in the ledger's database.
//! - `book`: the admission check (court, registered, state, party), with a short cache for
//!   searches.
//!
//! The `assethub.v1.Cases` gRPC service is [`crate::cases_api`], above `orders` and `audit`:
//! the orders ledger reads case records, so this module imports nothing of orders.
//!
//! The case's reservation against its claim is kept on the case row but moved only by the
//! orders ledger, inside the transactions that record orders.

pub mod book;
pub mod model;
pub mod store;

pub use book::CaseBook;
pub use model::{CaseRecord, CaseState, Purpose, Refusal};
pub use store::{CaseError, CaseStore};

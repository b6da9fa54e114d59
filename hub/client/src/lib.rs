//! `assethub-client`: everything a client of the hub needs — hubctl, the tests, the bench, a
//! console or an integrator's program — and nothing of the server, so a client links no
//! ledger, no connector and no mock agency.
//!
//! - `connect`: ONE way to reach the hub: `http://` or `https://` (a CA file, optionally a
//!   client certificate), a connect timeout, and the bearer token on every call.
//! - `credentials`: the operator's credentials file (tokens by court and role) and where it is.
//! - `role`: the roles a token carries (the hub's authorization is written against them).
//! - `codes`: canonical gRPC code names (`PERMISSION_DENIED`) as the hub and hubctl spell them.
//! - `checkpoint`: signed audit checkpoints, their signed encoding and JSON line, so an auditor
//!   keeps and verifies them without the hub's code.
//! - `currency`: decimal places of a currency's minor unit.
//! - `private_files`: owner-only files (0600) for secrets and personal data; the hub uses it too.

pub mod checkpoint;
pub mod codes;
pub mod connect;
pub mod credentials;
pub mod currency;
pub mod private_files;
pub mod role;

pub use codes::code_name;
pub use connect::{authed, channel, connect, Authed, Bearer, ConnectError, Tls};
pub use credentials::{Credential, CredentialsFile};
pub use role::Role;

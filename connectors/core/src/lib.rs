//! assethub-core, the connector SDK: what a connector author needs and nothing else — the
//! [`Connector`] trait, the domain types it speaks (identifiers, case numbers, money in fen,
//! Beijing civil dates, asset kinds as data), errors with their retry classes, and the
//! signature the hub puts on every control instruction, and the registry of connector
//! factories the hub builds its sources with. No HTTP client and no hub code: a
//! connector built on this crate is used by the hub in process, or served out of process
//! over `assethub.connector.v1` (see the `connectors/examples` folder).

pub mod connector;
pub mod control;
pub mod domain;
pub mod error;
pub mod factory;
pub mod signature;

pub use connector::{CallContext, Capability, Connector, QueryAnswer, ReadyPage};
pub use control::{
    ControlAction, ControlAnswer, ControlInstruction, HoldStatus, Sighting, SightingsPage,
};
pub use error::{ConfigError, ConnectorError, ErrorClass};
pub use factory::{BuildFn, ConnectorFactory, Factories, FnFactory};

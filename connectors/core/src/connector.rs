//! The `Connector` trait: what the hub needs from any agency integration. A connector speaks
//! exactly one agency's protocol and converts its answers into domain types; timeouts across
//! attempts, retries, caching and concurrency limits are the hub's layers, not the connector's.

use crate::control::{ControlAnswer, ControlInstruction, SightingsPage};
use crate::domain::{Asset, AssetKind, CaseNumber, Debtor, KindSpec, SourceId};
use crate::error::{ConnectorError, ErrorClass};
use async_trait::async_trait;
use std::time::Duration;

/// Something a source can do. Search is `Query`; the rest are control actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    Query,
    Freeze,
    Seal,
    Release,
    Deduct,
    Renew,
    Watch,
}

impl Capability {
    pub const ALL: [Capability; 7] = [
        Self::Query,
        Self::Freeze,
        Self::Seal,
        Self::Release,
        Self::Deduct,
        Self::Renew,
        Self::Watch,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Freeze => "freeze",
            Self::Seal => "seal",
            Self::Release => "release",
            Self::Deduct => "deduct",
            Self::Renew => "renew",
            Self::Watch => "watch",
        }
    }
}

/// Context of one agency call: which case it is made for and a request id the agency can log.
/// Agencies require the case number on every inquiry (they assist a court in a case).
#[derive(Debug, Clone)]
pub struct CallContext {
    pub case: CaseNumber,
    pub request_id: String,
}

/// An agency's answer to "what does this debtor hold with you?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryAnswer {
    /// The agency knows the debtor; the list may be empty.
    Found(Vec<Asset>),
    /// The agency has no record of this identifier.
    NotFound,
    /// The agency knows the identifier under another name.
    NameMismatch,
    /// The agency took the inquiry and will answer later (a bank answering in minutes, an
    /// agency answering in days): ask [`Connector::query_status`] with `ticket`, or wait for
    /// its notification. `expected_in` is the agency's own estimate, when it gives one.
    Pending {
        ticket: String,
        expected_in: Option<Duration>,
    },
}

/// Tickets of inquiries whose answers the agency says are ready (its notifications), and
/// the cursor to ask with next time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadyPage {
    pub tickets: Vec<String>,
    /// Opaque; pass it back to get only later notifications.
    pub cursor: String,
}

/// One configured agency integration (a source).
///
/// Control actions (freeze, seal, release, deduct, renew, watch) have default implementations
/// answering `ErrorClass::Unsupported`, so query-only connectors need not mention them;
/// `capabilities` says which ones a source really supports.
#[async_trait]
pub trait Connector: Send + Sync + 'static {
    /// The configured source id, unique in a hub.
    fn id(&self) -> &SourceId;
    /// The agency family, and so the kind of assets reported.
    fn kind(&self) -> AssetKind;
    /// Connector type name as used in configuration (e.g. "bank").
    fn connector_type(&self) -> &'static str;
    /// What this source supports.
    fn capabilities(&self) -> &[Capability];
    /// What the connector says about its kind when the kind is not built in (a remote
    /// connector's description): legal class, actions, unit, maximum period. The hub's
    /// configuration (`[control.kinds.<kind>]`) overrides it.
    fn kind_spec(&self) -> Option<KindSpec> {
        None
    }
    /// Whether the agency can be reached and accepts our credentials, without asking about
    /// anyone (a connector's health check). One attempt.
    async fn check(&self) -> Result<(), ConnectorError> {
        Ok(())
    }
    /// Asks the agency what the debtor holds. One attempt: no retries inside.
    async fn query(
        &self,
        ctx: &CallContext,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError>;

    /// The answer to an inquiry the agency answered with [`QueryAnswer::Pending`], as it stands
    /// now: `Pending` again while the agency is still working on it. One attempt.
    async fn query_status(
        &self,
        ctx: &CallContext,
        ticket: &str,
    ) -> Result<QueryAnswer, ConnectorError> {
        let _ = (ctx, ticket);
        Err(unsupported(self.id(), "answers by ticket"))
    }

    /// Tickets of inquiries answered since `cursor` ("" for the oldest the agency keeps), for
    /// agencies that notify rather than only answer by ticket (a remote connector's
    /// `query_ready` notifications). The hub then asks [`Connector::query_status`] at once
    /// instead of at its next poll. Default: unsupported (the hub polls).
    async fn ready_tickets(&self, cursor: &str) -> Result<ReadyPage, ConnectorError> {
        let _ = cursor;
        Err(unsupported(
            self.id(),
            "notifications of answered inquiries",
        ))
    }

    /// Sends one control instruction. One attempt, no retries inside: the hub retries with
    /// the same `instruction.key`, which the agency honours.
    async fn control(
        &self,
        ctx: &CallContext,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let _ = (ctx, instruction);
        Err(unsupported(self.id(), "control actions"))
    }

    /// Asks the agency what became of the instruction sent with idempotency key `key`, as it
    /// stands now (a pending freeze decided, a queued hold in force, a hold expired).
    /// `Ok(None)`: the agency never received it, so sending it (with the same key) is safe.
    async fn control_status(
        &self,
        ctx: &CallContext,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        let _ = (ctx, key);
        Err(unsupported(self.id(), "control actions"))
    }

    /// Sightings of watched vehicles after `cursor` ("" for the oldest the agency keeps).
    async fn sightings(&self, cursor: &str) -> Result<SightingsPage, ConnectorError> {
        let _ = cursor;
        Err(unsupported(self.id(), "sightings"))
    }
}

fn unsupported(source: &SourceId, what: &str) -> ConnectorError {
    ConnectorError::new(
        ErrorClass::Unsupported,
        format!("source {source} does not support {what}"),
    )
}

//! The kit's working state for one run: the connector under test, the agency's admin API, the
//! fixture, every instruction sent (for the invariant check) and every text the connector gave
//! back (for the personal-data check). Calls go through here so nothing escapes the record;
//! each call is one attempt, bounded by [`CALL_LIMIT`].

use crate::admin::Admin;
use crate::fixture::Fixture;
use assethub_connectors::domain::{CaseNumber, CivilDate, Debtor, Fen, HoldUnit, Kinds};
use assethub_connectors::{
    CallContext, Capability, Connector, ConnectorError, ControlAction, ControlAnswer,
    ControlInstruction, ErrorClass, HoldStatus, QueryAnswer,
};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest the kit waits for one connector call.
pub const CALL_LIMIT: Duration = Duration::from_secs(20);
/// The longest the kit waits for an agency to decide (a pending freeze, a pending inquiry).
pub const DECISION_LIMIT: Duration = Duration::from_secs(20);

/// How the kit holds an asset, from what the connector declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldWith {
    /// Freeze money (fen).
    Money,
    /// Freeze units (shares).
    Units,
    Seal,
    Watch,
}

/// One instruction the kit sent, and what the connector answered.
#[derive(Debug, Clone)]
pub struct Sent {
    pub instruction: ControlInstruction,
    pub answer: Result<ControlAnswer, ConnectorError>,
}

impl Sent {
    pub fn places(&self) -> bool {
        matches!(
            self.instruction.action,
            ControlAction::Freeze { .. }
                | ControlAction::FreezeQuantity { .. }
                | ControlAction::Seal { .. }
                | ControlAction::Watch { .. }
        )
    }
}

/// A text the connector gave back, and where.
#[derive(Debug, Clone)]
pub struct Said {
    pub during: String,
    pub text: String,
}

pub struct Kit {
    pub connector: Arc<dyn Connector>,
    pub admin: Admin,
    pub fixture: Fixture,
    pub sent: Vec<Sent>,
    pub said: Vec<Said>,
    /// The asset the control checks hold (chosen by the known-debtor check).
    pub asset: Option<String>,
    /// What the known debtor's query says the asset is worth (fen) or holds (units).
    pub asset_size: Option<i64>,
    /// The agency's own id of [`Kit::asset`], as its register shows it (learnt from the first
    /// hold placed on it).
    pub agency_asset: Option<String>,
    /// The agency's register when the run started (`None`: it serves none).
    pub before: Option<crate::register::RegisterExport>,
    run: String,
    calls: u64,
}

impl Kit {
    pub fn new(connector: Arc<dyn Connector>, admin: Admin, fixture: Fixture) -> Self {
        let run = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        Self {
            connector,
            admin,
            asset: fixture.asset.clone(),
            asset_size: None,
            before: None,
            agency_asset: None,
            fixture,
            sent: Vec::new(),
            said: Vec::new(),
            run: format!("conf-{run}"),
            calls: 0,
        }
    }

    /// A fresh idempotency key of this run (runs against a long-lived agency never collide).
    pub fn key(&mut self, what: &str) -> String {
        self.calls += 1;
        format!("{}-{what}-{}", self.run, self.calls)
    }

    pub fn ctx(&mut self, case: &CaseNumber) -> CallContext {
        self.calls += 1;
        CallContext {
            case: case.clone(),
            request_id: format!("{}-{}", self.run, self.calls),
        }
    }

    pub fn supports(&self, capability: Capability) -> bool {
        self.connector.capabilities().contains(&capability)
    }

    /// How the kit holds an asset of this connector, or `None` when it can hold none.
    pub fn hold_with(&self) -> Option<HoldWith> {
        if self.supports(Capability::Freeze) {
            let spec = self
                .connector
                .kind_spec()
                .or_else(|| Kinds::default().get(self.connector.kind()).cloned());
            return Some(match spec.map(|s| s.unit) {
                Some(HoldUnit::Units(_)) => HoldWith::Units,
                _ => HoldWith::Money,
            });
        }
        if self.supports(Capability::Seal) {
            return Some(HoldWith::Seal);
        }
        self.supports(Capability::Watch).then_some(HoldWith::Watch)
    }

    fn remember(&mut self, during: &str, text: &str) {
        if !text.is_empty() {
            self.said.push(Said {
                during: during.to_string(),
                text: text.to_string(),
            });
        }
    }

    fn remember_error(&mut self, during: &str, error: &ConnectorError) {
        self.remember(during, &error.message);
        self.remember(during, &error.to_string());
    }

    /// One query (one attempt), recorded.
    pub async fn query_once(
        &mut self,
        during: &str,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let case = self.fixture.case.clone();
        let ctx = self.ctx(&case);
        let result = bounded(self.connector.query(&ctx, debtor)).await;
        if let Err(e) = &result {
            self.remember_error(during, e);
        }
        result
    }

    /// A query, following a pending answer by its ticket until the agency answers.
    pub async fn query(
        &mut self,
        during: &str,
        debtor: &Debtor,
    ) -> Result<QueryAnswer, ConnectorError> {
        let mut answer = self.query_once(during, debtor).await?;
        let started = tokio::time::Instant::now();
        while let QueryAnswer::Pending { ticket, .. } = &answer {
            if started.elapsed() > DECISION_LIMIT {
                return Ok(answer);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            let case = self.fixture.case.clone();
            let ctx = self.ctx(&case);
            let ticket = ticket.clone();
            answer = bounded(self.connector.query_status(&ctx, &ticket))
                .await
                .inspect_err(|e| self.remember_error(during, e))?;
        }
        Ok(answer)
    }

    /// A signed instruction of `case` to hold `asset` of `debtor` with `action`.
    pub fn instruction(
        &mut self,
        what: &str,
        case: &CaseNumber,
        debtor: &Debtor,
        asset: &str,
        action: ControlAction,
    ) -> ControlInstruction {
        let mut instruction = ControlInstruction {
            key: self.key(what),
            case: case.clone(),
            ruling: format!("{}之一", case.as_str()),
            officer: self.fixture.officer.clone(),
            asset: asset.to_string(),
            debtor: debtor.clone(),
            action,
            signature: None,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        instruction.signature = Some(self.fixture.signer.sign(&instruction, now));
        instruction
    }

    /// The placing action for the connector's kind, ending `days` from today, asking `size`
    /// (fen or units; ignored by seals and watches).
    pub fn hold_action(&self, with: HoldWith, days: i64, size: i64) -> ControlAction {
        let until = CivilDate::today().plus_days(days);
        match with {
            HoldWith::Money => ControlAction::Freeze {
                amount: Fen(size),
                until,
            },
            HoldWith::Units => ControlAction::FreezeQuantity {
                quantity: size.max(1) as u64,
                until,
            },
            HoldWith::Seal => ControlAction::Seal { until },
            HoldWith::Watch => ControlAction::Watch { until },
        }
    }

    /// What the fixture asks the kit's own holds to take.
    pub fn fixture_size(&self, with: HoldWith) -> i64 {
        match with {
            HoldWith::Units => self.fixture.quantity as i64,
            _ => self.fixture.amount.0,
        }
    }

    /// Sends `instruction` once, recorded.
    pub async fn send(
        &mut self,
        during: &str,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, ConnectorError> {
        let ctx = self.ctx(&instruction.case.clone());
        let result = bounded(self.connector.control(&ctx, instruction)).await;
        match &result {
            Ok(answer) => self.remember(during, &answer.message),
            Err(e) => self.remember_error(during, e),
        }
        self.sent.push(Sent {
            instruction: instruction.clone(),
            answer: result.clone(),
        });
        result
    }

    /// The agency's view of the instruction sent with `key` now.
    pub async fn status(
        &mut self,
        during: &str,
        case: &CaseNumber,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        let ctx = self.ctx(case);
        let result = bounded(self.connector.control_status(&ctx, key)).await;
        match &result {
            Ok(Some(answer)) => self.remember(during, &answer.message),
            Ok(None) => {}
            Err(e) => self.remember_error(during, e),
        }
        result
    }

    /// The status of `key` once the agency has decided it (not pending), polling; the last
    /// answer when it never decides within [`DECISION_LIMIT`].
    pub async fn decided(
        &mut self,
        during: &str,
        case: &CaseNumber,
        key: &str,
    ) -> Result<Option<ControlAnswer>, ConnectorError> {
        let started = tokio::time::Instant::now();
        loop {
            let answer = self.status(during, case, key).await?;
            let pending = matches!(&answer, Some(a) if a.status == HoldStatus::Pending);
            if !pending || started.elapsed() > DECISION_LIMIT {
                return Ok(answer);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Places a hold and waits for the agency's decision: the decided answer, or why not.
    pub async fn place(
        &mut self,
        during: &str,
        instruction: &ControlInstruction,
    ) -> Result<ControlAnswer, String> {
        let first = self
            .send(during, instruction)
            .await
            .map_err(|e| format!("the instruction failed: {e}"))?;
        if first.status != HoldStatus::Pending {
            return Ok(first);
        }
        match self
            .decided(during, &instruction.case, &instruction.key)
            .await
        {
            Ok(Some(answer)) => Ok(answer),
            Ok(None) => Err(format!(
                "control_status of {} is None after the agency accepted it",
                instruction.key
            )),
            Err(e) => Err(format!("control_status failed: {e}")),
        }
    }

    /// Releases `hold` (placed on `asset` in `case`) when the connector can, so later checks
    /// start clean.
    pub async fn release(&mut self, during: &str, case: &CaseNumber, asset: &str, hold: &str) {
        if !self.supports(Capability::Release) {
            return;
        }
        let debtor = self.fixture.known.clone();
        let ins = self.instruction(
            "release",
            case,
            &debtor,
            asset,
            ControlAction::Release {
                hold: hold.to_string(),
            },
        );
        let _ = self.send(during, &ins).await;
    }
}

/// Whether an error is the connector saying it cannot do this at all.
pub fn unsupported(error: &ConnectorError) -> bool {
    error.class == ErrorClass::Unsupported
}

/// `call`, or a timeout error after [`CALL_LIMIT`].
pub async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, ConnectorError>>,
) -> Result<T, ConnectorError> {
    match tokio::time::timeout(CALL_LIMIT, call).await {
        Ok(result) => result,
        Err(_) => Err(ConnectorError::new(
            ErrorClass::Timeout,
            format!("conformance kit: no answer within {CALL_LIMIT:?}"),
        )),
    }
}

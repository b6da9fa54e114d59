//! The case book: the one check every search and control act goes through before any agency is
//! asked (DOMAIN rule 7). The case must belong to the caller's court, be registered, be in a
//! state that allows the purpose, and the debtor must be one of its debtors (number and name).
//!
//! Searches read cases through a short-lived cache ([`FRESH_FOR`], judged on the tokio clock),
//! so the hot path costs no database round trip; this hub forgets a case the moment it changes
//! it. Control acts always read the case from the database, and the ledger enforces the state
//! and the claim again inside the transaction that records the order.

use super::model::{CaseRecord, Purpose, Refusal};
use super::store::{CaseError, CaseStore};
use crate::auth::in_court;
use crate::identity::Caller;
use assethub_connectors::domain::{CaseNumber, DebtorId};
use moka::future::Cache;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// How long a search trusts a cached case (another hub's change shows after at most this).
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// Most cases cached.
const CAPACITY: u64 = 100_000;
/// The ErrorInfo domain of refusals.
pub const REASON_DOMAIN: &str = "assethub.v1";

pub struct CaseBook {
    store: CaseStore,
    cache: Cache<String, (Instant, Arc<CaseRecord>)>,
}

/// FAILED_PRECONDITION with the refusal's reason code as a google.rpc.ErrorInfo.
pub fn refusal_status(refusal: &Refusal) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(
        refusal.code(),
        REASON_DOMAIN,
        std::collections::HashMap::new(),
    );
    Status::with_error_details(Code::FailedPrecondition, refusal.to_string(), details)
}

/// How a case store failure reaches a caller.
pub fn store_status(e: CaseError) -> Status {
    match e {
        CaseError::Differs(..) => Status::already_exists(e.to_string()),
        CaseError::NotFound(case) => refusal_status(&Refusal::NotRegistered(case)),
        CaseError::VersionMoved { .. } => Status::aborted(e.to_string()),
        CaseError::Refused(why) => Status::failed_precondition(why),
        CaseError::Db(_) | CaseError::Corrupt(_) => {
            tracing::error!(error = %e, "case register error");
            Status::unavailable("the case register is unavailable")
        }
    }
}

impl CaseBook {
    pub fn new(store: CaseStore) -> Self {
        Self {
            store,
            cache: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(FRESH_FOR * 2)
                .build(),
        }
    }

    pub fn store(&self) -> &CaseStore {
        &self.store
    }

    /// Forgets what this hub cached of `case` (after changing it).
    pub async fn forget(&self, case: &str) {
        self.cache.invalidate(case).await;
    }

    async fn cached(&self, case: &str) -> Result<Option<Arc<CaseRecord>>, CaseError> {
        if let Some((at, record)) = self.cache.get(case).await {
            if at.elapsed() < FRESH_FOR {
                return Ok(Some(record));
            }
        }
        let Some(record) = self.store.get(case).await? else {
            return Ok(None);
        };
        let record = Arc::new(record);
        self.cache
            .insert(case.to_string(), (Instant::now(), record.clone()))
            .await;
        Ok(Some(record))
    }

    /// The case a call of `caller` names, if it may name it for `purpose` (with `debtor` as one
    /// of its debtors, when the call names one). Searches may use a recently cached case;
    /// control acts read the database.
    pub async fn admit(
        &self,
        caller: &Caller,
        case: &CaseNumber,
        debtor: Option<(&DebtorId, &str)>,
        purpose: Purpose,
    ) -> Result<Arc<CaseRecord>, Status> {
        in_court(caller, case.court())?;
        let record = if purpose == Purpose::Search {
            self.cached(case.as_str()).await
        } else {
            self.store.get(case.as_str()).await.map(|r| r.map(Arc::new))
        }
        .map_err(store_status)?
        .ok_or_else(|| refusal_status(&Refusal::NotRegistered(case.as_str().to_string())))?;
        record.allows(purpose).map_err(|r| refusal_status(&r))?;
        if let Some((id, name)) = debtor {
            record.party(id, name).map_err(|r| refusal_status(&r))?;
        }
        Ok(record)
    }
}

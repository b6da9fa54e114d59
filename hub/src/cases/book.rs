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
use moka::ops::compute::{CompResult, Op};
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Reads of the register made for searches (cache misses).
    search_reads: AtomicU64,
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
            search_reads: AtomicU64::new(0),
        }
    }

    /// How many times searches have read a case from the register (not from the cache).
    pub fn search_reads(&self) -> u64 {
        self.search_reads.load(Ordering::Relaxed)
    }

    pub fn store(&self) -> &CaseStore {
        &self.store
    }

    /// Forgets what this hub cached of `case` (after changing it).
    pub async fn forget(&self, case: &str) {
        self.cache.invalidate(case).await;
    }

    /// Forgets every case this hub cached (another hub may have changed any while this one
    /// could not hear about it).
    pub fn forget_all(&self) {
        self.cache.invalidate_all();
    }

    async fn cached(&self, case: &str) -> Result<Option<Arc<CaseRecord>>, CaseError> {
        if let Some((at, record)) = self.cache.get(case).await {
            if at.elapsed() < FRESH_FOR {
                return Ok(Some(record));
            }
        }
        // Missing or stale: read once for everyone asking now. moka runs one computation per
        // key at a time, so the searches that missed together wait for the first one's read
        // and find its fresh entry, instead of each reading the case (with its debtors) again
        // through the ledger's one connection — a stampede every `FRESH_FOR` under load.
        let (store, reads) = (&self.store, &self.search_reads);
        let computed = self
            .cache
            .entry(case.to_string())
            .and_try_compute_with(|existing| async move {
                if let Some(entry) = existing {
                    if entry.value().0.elapsed() < FRESH_FOR {
                        return Ok::<_, CaseError>(Op::Nop);
                    }
                }
                reads.fetch_add(1, Ordering::Relaxed);
                Ok(match store.get(case).await? {
                    Some(record) => Op::Put((Instant::now(), Arc::new(record))),
                    None => Op::Remove,
                })
            })
            .await?;
        Ok(match computed {
            CompResult::Inserted(entry)
            | CompResult::ReplacedWith(entry)
            | CompResult::Unchanged(entry) => Some(entry.into_value().1),
            CompResult::Removed(_) | CompResult::StillNone(_) => None,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::model::{CaseDebtor, NewCase};
    use crate::identity::Role;
    use crate::orders::ledger::Ledger;

    const CASE: &str = "(2024)鄂0116执1234号";
    const ID: &str = "11010519491231002X";

    #[tokio::test]
    async fn searches_that_miss_together_read_the_case_once() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&format!("sqlite://{}/l.db", dir.path().display()))
            .await
            .unwrap();
        let book = Arc::new(CaseBook::new(CaseStore::new(ledger.pool().clone())));
        let case = CaseNumber::parse(CASE).unwrap();
        let new = NewCase {
            case: case.clone(),
            debtors: vec![CaseDebtor {
                id: ID.into(),
                name: "张伟".into(),
            }],
            claim_fen: 100_000,
            account: "HB0116-ZX-2024-1234".into(),
        };
        book.store().register(&new, "test").await.unwrap();
        let caller = Caller {
            iss: "test".into(),
            sub: "case-system".into(),
            officer: String::new(),
            court: "鄂0116".into(),
            role: Role::CaseSystem,
        };
        let id = DebtorId::parse(ID).unwrap();
        let round = || {
            let searches = (0..64).map(|_| {
                let (book, caller, case, id) =
                    (book.clone(), caller.clone(), case.clone(), id.clone());
                tokio::spawn(async move {
                    book.admit(&caller, &case, Some((&id, "张伟")), Purpose::Search)
                        .await
                        .map(|_| ())
                })
            });
            futures::future::join_all(searches)
        };
        for admitted in round().await {
            assert!(admitted.unwrap().is_ok());
        }
        assert_eq!(book.search_reads(), 1, "64 searches at once, one read");
        // Stale after FRESH_FOR: again one read for all who find it stale together.
        tokio::time::sleep(FRESH_FOR + Duration::from_millis(100)).await;
        for admitted in round().await {
            assert!(admitted.unwrap().is_ok());
        }
        assert_eq!(book.search_reads(), 2, "a stale case is read once again");
    }
}

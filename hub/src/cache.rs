//! The answer cache (moka): one entry per (source, debtor id, name) holding the agency's
//! answer, when it was fetched and the source's TTL.
//!
//! - Concurrent identical lookups coalesce into one agency call (`try_get_with`), and an error
//!   from that call is handed to every waiter but never stored: errors are not answers.
//! - Freshness is judged on the tokio clock (so tests can pause time); moka's own per-entry
//!   expiry, set to the same TTL, only reclaims memory.
//! - A `Pending` answer (the agency will answer later, by ticket) is handed to every waiter of
//!   the call but never stored: it is not an answer. The inquiry's answer is put in later
//!   ([`AnswerCache::put`]) by whoever follows the ticket.
//! - A caller may demand a fresh answer: any entry fetched before it asked is replaced, but an
//!   answer fetched after it asked (by a concurrent fresh caller) is shared.
//! - The coalesced fetch runs on a task of its own, not inside the caller that happened to ask
//!   first: that caller may stop being polled (a batch waiting for a client that does not read
//!   its stream), and every other caller waiting on the same key would then wait for ever (up
//!   to its deadline). The task is cancelled when that caller is dropped, as the fetch was
//!   before (a waiter then takes the fetch over).
//! - Bounded by bytes as well as by entries: each entry weighs its approximate heap size
//!   ([`approx_bytes`]), but never less than `max_bytes / max_entries`, so the total stays under
//!   `max_bytes` and the count under `max_entries`. A sweep of any size therefore holds the
//!   hub's memory for answers flat; an answer evicted early only means asking the agency again.

use assethub_connectors::{ConnectorError, ErrorClass, QueryAnswer};
use assethub_proto::encoded::EncodedAsset;
use moka::future::Cache;
use moka::ops::compute::Op;
use moka::Expiry;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument;

/// Whose answer from which source. Shared text (`Arc<str>`): a search makes the debtor's
/// parts once and every source's key points at them, so a lookup copies no text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub source: Arc<str>,
    pub debtor_id: Arc<str>,
    pub name: Arc<str>,
}

/// An agency's answer as cached.
#[derive(Debug)]
pub struct CachedAnswer {
    pub answer: QueryAnswer,
    pub fetched_at: Instant,
    pub ttl: Duration,
    /// Agency calls it took to get this answer.
    pub attempts: u32,
    /// The found assets in the API's form, encoded, made by the first search that reports
    /// them ([`CachedAnswer::wire_assets`]); later answers share the bytes instead of
    /// converting, cloning and encoding again.
    wire: OnceLock<Vec<EncodedAsset>>,
}

impl CachedAnswer {
    pub fn new(answer: QueryAnswer, fetched_at: Instant, ttl: Duration, attempts: u32) -> Self {
        Self {
            answer,
            fetched_at,
            ttl,
            attempts,
            wire: OnceLock::new(),
        }
    }

    /// The found assets in the API's form, encoded: `convert` the first time, the same
    /// thereafter.
    pub fn wire_assets(&self, convert: impl FnOnce() -> Vec<EncodedAsset>) -> &[EncodedAsset] {
        self.wire.get_or_init(convert)
    }

    pub fn age(&self) -> Duration {
        self.fetched_at.elapsed()
    }

    fn is_fresh(&self) -> bool {
        self.age() < self.ttl
    }
}

/// What a lookup produced and whether it came from the cache (or from a concurrent identical
/// call) rather than from an agency call this lookup made.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub answer: Arc<CachedAnswer>,
    pub from_cache: bool,
}

struct TtlExpiry;

impl Expiry<CacheKey, Arc<CachedAnswer>> for TtlExpiry {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &Arc<CachedAnswer>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

#[derive(Clone)]
pub struct AnswerCache {
    inner: Cache<CacheKey, Arc<CachedAnswer>>,
}

impl AnswerCache {
    /// Forgets the answer for `key` (a control action changed what the agency would say).
    pub async fn invalidate(&self, key: &CacheKey) {
        self.inner.invalidate(key).await;
    }

    /// What the cache holds now: answers, and their weight against the byte bound (each at
    /// least `max_bytes / max_entries`, which is how the entry bound is kept).
    pub async fn size(&self) -> (u64, u64) {
        // moka counts lazily: apply what is pending so the figures are current.
        self.inner.run_pending_tasks().await;
        (self.inner.entry_count(), self.inner.weighted_size())
    }

    /// A cache of at most `max_entries` answers (with the default byte bound).
    pub fn new(max_entries: u64) -> Self {
        Self::bounded(max_entries, DEFAULT_MAX_BYTES)
    }

    /// A cache of at most `max_entries` answers weighing at most about `max_bytes` in all.
    pub fn bounded(max_entries: u64, max_bytes: u64) -> Self {
        let floor = (max_bytes / max_entries.max(1)).clamp(1, u64::from(u32::MAX)) as u32;
        Self {
            inner: Cache::builder()
                .name("assethub-answers")
                .max_capacity(max_bytes)
                .weigher(move |key: &CacheKey, value: &Arc<CachedAnswer>| {
                    let bytes = key.source.len() + key.debtor_id.len() + key.name.len();
                    // Twice the answer: the API's form of it is kept beside it once asked.
                    let bytes = bytes + ENTRY_OVERHEAD + 2 * approx_bytes(&value.answer);
                    u32::try_from(bytes).unwrap_or(u32::MAX).max(floor)
                })
                .expire_after(TtlExpiry)
                .build(),
        }
    }

    /// Runs the cache's pending evictions (tests: moka evicts in batches).
    #[cfg(test)]
    async fn settle(&self) {
        self.inner.run_pending_tasks().await;
    }

    /// Returns a fresh cached answer, or runs `fetch` (once for all concurrent identical
    /// lookups, on a task of its own) and caches its answer for `ttl`. `fetch` returns the
    /// answer and the number of agency calls it took.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        key: CacheKey,
        ttl: Duration,
        fresh: bool,
        fetch: F,
    ) -> Result<Lookup, Arc<ConnectorError>>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(QueryAnswer, u32), ConnectorError>> + Send + 'static,
    {
        let asked_at = Instant::now();
        let held = if fresh {
            self.inner.contains_key(&key)
        } else {
            match self.inner.get(&key).await {
                Some(hit) if hit.is_fresh() => {
                    return Ok(Lookup {
                        answer: hit,
                        from_cache: true,
                    })
                }
                held => held.is_some(),
            }
        };
        // Drop the entry we cannot use, atomically for this key, so a racing caller never
        // removes an answer fetched after it asked. With no entry there is nothing to drop
        // (one answer put meanwhile is met by `try_get_with` below either way), so the
        // per-key lock is not taken.
        if held {
            self.inner
                .entry(key.clone())
                .and_compute_with(|existing| async move {
                    match existing {
                        Some(e) if e.value().fetched_at > asked_at => Op::Nop,
                        Some(e) if !fresh && e.value().is_fresh() => Op::Nop,
                        Some(_) => Op::Remove,
                        None => Op::Nop,
                    }
                })
                .await;
        }
        let inner = self.inner.clone();
        let lookup = async move {
            let fetched_here = AtomicBool::new(false);
            let found = inner
                .try_get_with(key, async {
                    fetched_here.store(true, Ordering::Relaxed);
                    let (answer, attempts) = fetch().await.map_err(Uncached::Failed)?;
                    let answer = Arc::new(CachedAnswer::new(answer, Instant::now(), ttl, attempts));
                    if matches!(answer.answer, QueryAnswer::Pending { .. }) {
                        return Err(Uncached::Pending(answer));
                    }
                    Ok(answer)
                })
                .await;
            let from_cache = !fetched_here.load(Ordering::Relaxed);
            match found {
                Ok(answer) => Ok(Lookup { answer, from_cache }),
                Err(uncached) => match &*uncached {
                    Uncached::Pending(answer) => Ok(Lookup {
                        answer: answer.clone(),
                        from_cache,
                    }),
                    Uncached::Failed(error) => Err(Arc::new(error.clone())),
                },
            }
        };
        Driven(tokio::spawn(lookup.in_current_span())).await
    }
}

/// Default bound on the answers' total weight: 256 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// What an entry costs beyond its strings and assets: the key and `CachedAnswer` structs, the
/// `Arc`, and moka's own bookkeeping (its hash table, deques and timer wheel nodes).
const ENTRY_OVERHEAD: usize = 256;

/// The approximate heap size of `answer`: its assets' structs and every string they hold.
pub fn approx_bytes(answer: &QueryAnswer) -> usize {
    use assethub_connectors::domain::{AssetDetail, AttributeValue, Encumbrance};
    let encumbrances = |list: &[Encumbrance]| -> usize {
        list.iter()
            .map(|e| {
                std::mem::size_of::<Encumbrance>()
                    + e.holder.len()
                    + e.since.len()
                    + e.until.as_ref().map_or(0, String::len)
            })
            .sum()
    };
    match answer {
        QueryAnswer::Found(assets) => assets
            .iter()
            .map(|asset| {
                let strings = match &asset.detail {
                    AssetDetail::Deposit(d) => {
                        d.account_number.len() + d.currency.len() + d.branch.len()
                    }
                    AssetDetail::Property(p) => {
                        p.certificate_number.len()
                            + p.address.len()
                            + p.ownership_share.len()
                            + p.usage.len()
                            + encumbrances(&p.encumbrances)
                    }
                    AssetDetail::Vehicle(v) => {
                        v.plate.len()
                            + v.vin.len()
                            + v.brand.len()
                            + v.model.len()
                            + v.registration_status.len()
                            + encumbrances(&v.encumbrances)
                    }
                    AssetDetail::Payment(p) => p.account_id.len(),
                    AssetDetail::Other(g) => {
                        g.title.len()
                            + g.attributes
                                .iter()
                                .map(|a| {
                                    std::mem::size_of_val(a)
                                        + a.key.len()
                                        + a.label.len()
                                        + a.unit.len()
                                        + match &a.value {
                                            AttributeValue::Text(t) | AttributeValue::Date(t) => {
                                                t.len()
                                            }
                                            _ => 0,
                                        }
                                })
                                .sum::<usize>()
                    }
                };
                std::mem::size_of_val(asset)
                    + asset.asset_ref.source.as_str().len()
                    + asset.asset_ref.local.len()
                    + strings
            })
            .sum(),
        QueryAnswer::Pending { ticket, .. } => ticket.len(),
        QueryAnswer::NotFound | QueryAnswer::NameMismatch => 0,
    }
}

/// What a coalesced call hands its waiters without storing it.
enum Uncached {
    Failed(ConnectorError),
    Pending(Arc<CachedAnswer>),
}

impl AnswerCache {
    /// Stores `answer` for `key` as fetched `age` ago (an inquiry answered later, or read back
    /// from the inquiry store after a restart), replacing what was there. `Pending` is not
    /// stored.
    pub async fn put(&self, key: CacheKey, answer: QueryAnswer, ttl: Duration, age: Duration) {
        if matches!(answer, QueryAnswer::Pending { .. }) || age >= ttl {
            return;
        }
        let now = Instant::now();
        let fetched_at = now.checked_sub(age).unwrap_or(now);
        let entry = Arc::new(CachedAnswer::new(answer, fetched_at, ttl, 0));
        self.inner.insert(key, entry).await;
    }
}

/// A lookup running on its own task: awaited like the lookup itself, and cancelled with it
/// when the caller drops it (a timed-out search), so the task never outlives its caller.
struct Driven(JoinHandle<Result<Lookup, Arc<ConnectorError>>>);

impl Future for Driven {
    type Output = Result<Lookup, Arc<ConnectorError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(lookup) => lookup,
            // A fetch that panicked panics its caller, as it did when it ran inline.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            // Only the runtime shutting down cancels the task while its caller still waits.
            Err(_) => Err(Arc::new(ConnectorError::new(
                ErrorClass::Server,
                "the hub is shutting down",
            ))),
        })
    }
}

impl Drop for Driven {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    fn key() -> CacheKey {
        CacheKey {
            source: "bank-a".into(),
            debtor_id: "11010519491231002X".into(),
            name: "张伟".into(),
        }
    }

    async fn lookup(cache: &AnswerCache, calls: &Arc<AtomicU32>, fresh: bool) -> Lookup {
        let calls = calls.clone();
        cache
            .get_or_fetch(key(), Duration::from_secs(60), fresh, || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok((QueryAnswer::NotFound, 1))
            })
            .await
            .unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn serves_within_ttl_and_refetches_after() {
        let cache = AnswerCache::new(100);
        let calls = Arc::new(AtomicU32::new(0));
        assert!(!lookup(&cache, &calls, false).await.from_cache);
        tokio::time::advance(Duration::from_secs(59)).await;
        let hit = lookup(&cache, &calls, false).await;
        assert!(hit.from_cache);
        assert!(hit.answer.age() >= Duration::from_secs(59));
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!lookup(&cache, &calls, false).await.from_cache);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn coalesces_concurrent_identical_lookups() {
        let cache = AnswerCache::new(100);
        let calls = Arc::new(AtomicU32::new(0));
        let lookups =
            futures::future::join_all((0..100).map(|_| lookup(&cache, &calls, false))).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(lookups.iter().filter(|l| !l.from_cache).count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn fresh_bypasses_but_concurrent_fresh_lookups_share() {
        let cache = AnswerCache::new(100);
        let calls = Arc::new(AtomicU32::new(0));
        lookup(&cache, &calls, false).await;
        tokio::time::advance(Duration::from_secs(1)).await;
        futures::future::join_all((0..10).map(|_| lookup(&cache, &calls, true))).await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_ticket_is_handed_to_every_waiter_but_never_stored_and_put_answers_are() {
        let cache = AnswerCache::new(100);
        let calls = Arc::new(AtomicU32::new(0));
        let ticket = || {
            let calls = calls.clone();
            move || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok((
                    QueryAnswer::Pending {
                        ticket: "T1".into(),
                        expected_in: None,
                    },
                    1,
                ))
            }
        };
        let ttl = Duration::from_secs(60);
        let both = futures::future::join(
            cache.get_or_fetch(key(), ttl, false, ticket()),
            cache.get_or_fetch(key(), ttl, false, ticket()),
        )
        .await;
        for lookup in [both.0.unwrap(), both.1.unwrap()] {
            assert!(matches!(lookup.answer.answer, QueryAnswer::Pending { .. }));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "coalesced");
        // Not stored: the next lookup asks again.
        cache
            .get_or_fetch(key(), ttl, false, ticket())
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // The answer put in later is served, with its age, until its TTL.
        cache
            .put(key(), QueryAnswer::NotFound, ttl, Duration::from_secs(50))
            .await;
        let hit = lookup(&cache, &calls, false).await;
        assert!(hit.from_cache);
        assert!(hit.answer.age() >= Duration::from_secs(50));
        tokio::time::advance(Duration::from_secs(11)).await;
        assert!(!lookup(&cache, &calls, false).await.from_cache);
        // A ticket or an answer already past its TTL is not put.
        cache
            .put(key(), QueryAnswer::NotFound, ttl, Duration::from_secs(61))
            .await;
        cache.invalidate(&key()).await;
        cache
            .put(key(), QueryAnswer::NotFound, ttl, Duration::from_secs(61))
            .await;
        assert!(!lookup(&cache, &calls, false).await.from_cache);
    }

    #[tokio::test(start_paused = true)]
    async fn errors_are_shared_but_not_cached() {
        let cache = AnswerCache::new(100);
        let calls = Arc::new(AtomicU32::new(0));
        let failing = {
            let calls = calls.clone();
            || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(ConnectorError::new(ErrorClass::Server, "down"))
            }
        };
        assert!(cache
            .get_or_fetch(key(), Duration::from_secs(60), false, failing)
            .await
            .is_err());
        assert!(!lookup(&cache, &calls, false).await.from_cache);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    /// A batch whose client stops reading stops polling its items, among them a lookup that
    /// leads a fetch: another caller of the same key is answered all the same, when the fetch
    /// is done, not at its deadline.
    #[tokio::test(start_paused = true)]
    async fn a_stalled_first_caller_does_not_hold_up_the_others() {
        let cache = AnswerCache::new(100);
        let calls = Arc::new(AtomicU32::new(0));
        let mut stalled = Box::pin(lookup(&cache, &calls, false));
        while calls.load(Ordering::SeqCst) == 0 {
            assert!(futures::poll!(stalled.as_mut()).is_pending());
            tokio::task::yield_now().await;
        }
        // `stalled` leads the fetch and is never polled again.
        let started = Instant::now();
        let other = tokio::time::timeout(Duration::from_secs(5), lookup(&cache, &calls, false))
            .await
            .expect("answered while the first caller is stalled");
        assert!(other.from_cache, "it shares the fetch in flight");
        assert!(started.elapsed() <= Duration::from_millis(50));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        drop(stalled);
    }

    fn deposit_of(branch_len: usize) -> QueryAnswer {
        use assethub_connectors::domain::{
            AccountStatus, Asset, AssetDetail, AssetRef, DepositAccount, DepositType, Fen, SourceId,
        };
        QueryAnswer::Found(vec![Asset {
            asset_ref: AssetRef::new(&SourceId::new("bank-a").unwrap(), "6222"),
            detail: AssetDetail::Deposit(DepositAccount {
                account_number: "6222".into(),
                deposit_type: DepositType::Demand,
                currency: "CNY".into(),
                balance: Fen(1),
                frozen: Fen(0),
                status: AccountStatus::Normal,
                branch: "x".repeat(branch_len),
            }),
        }])
    }

    /// How many of the debtors `0..n` still have an answer in `cache`.
    async fn held(cache: &AnswerCache, n: usize) -> usize {
        cache.settle().await;
        let mut held = 0;
        for i in 0..n {
            let key = CacheKey {
                debtor_id: format!("D{i}").into(),
                ..key()
            };
            held += usize::from(cache.inner.get(&key).await.is_some());
        }
        held
    }

    /// A sweep of many debtors with large answers: what stays cached weighs no more than the
    /// byte bound (each answer holds a 10,000-byte string, so at most 1 MiB / 10,000 = 104 of
    /// them fit), however many are put; the cache still holds answers, not nothing.
    #[tokio::test]
    async fn answers_are_bounded_by_bytes_as_well_as_by_count() {
        let ttl = Duration::from_secs(600);
        let cache = AnswerCache::bounded(100_000, 1024 * 1024);
        for i in 0..1_000 {
            let key = CacheKey {
                debtor_id: format!("D{i}").into(),
                ..key()
            };
            cache
                .put(key, deposit_of(10_000), ttl, Duration::ZERO)
                .await;
        }
        let kept = held(&cache, 1_000).await;
        assert!(
            (50..=104).contains(&kept),
            "{kept} answers of 10,000 bytes held"
        );

        // Small answers are bounded by count: at most 10 of them, however small.
        let cache = AnswerCache::bounded(10, 1024 * 1024);
        for i in 0..100 {
            let key = CacheKey {
                debtor_id: format!("D{i}").into(),
                ..key()
            };
            cache
                .put(key, QueryAnswer::NotFound, ttl, Duration::ZERO)
                .await;
        }
        let kept = held(&cache, 100).await;
        assert!((1..=10).contains(&kept), "{kept} small answers held");
    }

    #[test]
    fn an_answer_weighs_at_least_its_strings() {
        assert!(approx_bytes(&deposit_of(10_000)) >= 10_000 + 4 + 3 + 4 + 6);
        assert!(approx_bytes(&deposit_of(10_000)) < 10_000 + 1_000);
        assert_eq!(approx_bytes(&QueryAnswer::NotFound), 0);
    }

    /// A caller that gives up (its deadline) cancels the fetch it leads; the next caller fetches.
    #[tokio::test(start_paused = true)]
    async fn a_dropped_first_caller_cancels_its_fetch() {
        let cache = AnswerCache::new(100);
        let calls = Arc::new(AtomicU32::new(0));
        let finished = Arc::new(AtomicU32::new(0));
        let slow = {
            let (calls, finished) = (calls.clone(), finished.clone());
            || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(10)).await;
                finished.fetch_add(1, Ordering::SeqCst);
                Ok((QueryAnswer::NotFound, 1))
            }
        };
        let gave_up = tokio::time::timeout(
            Duration::from_secs(1),
            cache.get_or_fetch(key(), Duration::from_secs(60), false, slow),
        )
        .await;
        assert!(gave_up.is_err());
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(
            finished.load(Ordering::SeqCst),
            0,
            "the fetch was cancelled"
        );
        assert!(!lookup(&cache, &calls, false).await.from_cache);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}

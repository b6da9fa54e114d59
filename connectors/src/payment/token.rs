//! The connector's access-token cache: one token per source, reused until shortly before it
//! expires, fetched by one caller at a time (concurrent queries wait for that one fetch rather
//! than each asking the platform), and replaced when the platform refuses it.
//!
//! Times are `tokio::time::Instant`, so tests with paused time can expire tokens.

use crate::error::ConnectorError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Most of a token's lifetime kept in reserve before refreshing it.
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A bearer access token. Its text never appears in debug output.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AccessToken(Arc<str>);

impl AccessToken {
    pub fn new(text: &str) -> Self {
        Self(Arc::from(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// The cached token of one source.
#[derive(Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<Cached>>,
}

/// How long a token of `lifetime` is used: all of it but a margin of a fifth, at most a minute,
/// for clock skew and requests in flight.
pub(crate) fn usable_for(lifetime: Duration) -> Duration {
    lifetime.saturating_sub((lifetime / 5).min(MAX_REFRESH_MARGIN))
}

impl TokenCache {
    /// The cached token, or a new one from `fetch` (which answers a token and its lifetime)
    /// when there is none, it is due for refresh, or it is `refused`: the token the platform
    /// just rejected. A token fetched meanwhile by another caller is reused, not replaced.
    pub async fn get<F, Fut>(
        &self,
        refused: Option<&AccessToken>,
        fetch: F,
    ) -> Result<AccessToken, ConnectorError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(AccessToken, Duration), ConnectorError>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref() {
            let was_refused = refused.is_some_and(|r| *r == cached.token);
            if !was_refused && Instant::now() < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        *slot = None;
        // Lifetime counted from before the request, so the platform's clock is never behind.
        let requested = Instant::now();
        let (token, lifetime) = fetch().await?;
        *slot = Some(Cached {
            token: token.clone(),
            refresh_at: requested + usable_for(lifetime),
        });
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorClass;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Issuer {
        issued: AtomicU32,
        lifetime: Duration,
    }

    impl Issuer {
        fn new(lifetime_secs: u64) -> Self {
            Self {
                issued: AtomicU32::new(0),
                lifetime: Duration::from_secs(lifetime_secs),
            }
        }

        async fn fetch(&self) -> Result<(AccessToken, Duration), ConnectorError> {
            let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
            Ok((AccessToken::new(&format!("t{n}")), self.lifetime))
        }

        fn issued(&self) -> u32 {
            self.issued.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn keeps_a_margin_before_expiry() {
        assert_eq!(
            usable_for(Duration::from_secs(300)),
            Duration::from_secs(240)
        );
        assert_eq!(
            usable_for(Duration::from_secs(7200)),
            Duration::from_secs(7140)
        );
        assert_eq!(usable_for(Duration::from_secs(10)), Duration::from_secs(8));
        assert_eq!(usable_for(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn reuses_until_shortly_before_expiry_then_refreshes() {
        let cache = TokenCache::default();
        let issuer = Issuer::new(300);
        let first = cache.get(None, || issuer.fetch()).await.unwrap();
        tokio::time::advance(Duration::from_secs(239)).await;
        assert_eq!(cache.get(None, || issuer.fetch()).await.unwrap(), first);
        assert_eq!(issuer.issued(), 1);
        tokio::time::advance(Duration::from_secs(1)).await;
        let second = cache.get(None, || issuer.fetch()).await.unwrap();
        assert_ne!(second, first);
        assert_eq!(issuer.issued(), 2);
    }

    #[tokio::test]
    async fn replaces_a_refused_token_once_for_all_who_saw_it_refused() {
        let cache = TokenCache::default();
        let issuer = Issuer::new(300);
        let first = cache.get(None, || issuer.fetch()).await.unwrap();
        let second = cache.get(Some(&first), || issuer.fetch()).await.unwrap();
        assert_ne!(first, second);
        // A second caller that also saw `first` refused gets `second`, not a third token.
        assert_eq!(
            cache.get(Some(&first), || issuer.fetch()).await.unwrap(),
            second
        );
        assert_eq!(issuer.issued(), 2);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let issuer = Arc::new(Issuer::new(300));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (cache, issuer) = (cache.clone(), issuer.clone());
                tokio::spawn(async move {
                    cache
                        .get(None, || async {
                            tokio::task::yield_now().await;
                            issuer.fetch().await
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().as_str(), "t1");
        }
        assert_eq!(issuer.issued(), 1);
    }

    #[tokio::test]
    async fn a_failed_fetch_leaves_nothing_cached() {
        let cache = TokenCache::default();
        let failed = cache
            .get(None, || async {
                Err(ConnectorError::new(ErrorClass::Auth, "invalid_client"))
            })
            .await;
        assert_eq!(failed.unwrap_err().class, ErrorClass::Auth);
        let issuer = Issuer::new(300);
        cache.get(None, || issuer.fetch()).await.unwrap();
        assert_eq!(issuer.issued(), 1);
        assert_eq!(
            format!("{:?}", AccessToken::new("secret")),
            "AccessToken(<redacted>)"
        );
    }
}

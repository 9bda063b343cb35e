//! SSM parameters read through a process-wide cache with a time to live, as AWS Lambda
//! Powertools' Parameters utility does: a warm Lambda (or the in-process executor running
//! a Map of many steps) asks SSM once per parameter per TTL instead of once per call,
//! which keeps activities fast and clear of SSM's `GetParameter` throughput limit.
//!
//! Values are [`SecretString`]s: `SecureString` parameters are decrypted
//! (`WithDecryption`), and neither `Debug` nor any error message ever shows a value.
//! Concurrent reads of the same name wait for one fetch instead of each calling SSM.
//! Failed fetches are not cached.
//!
//! This module must not log, print or put a parameter's value into an error, and must not
//! retry: a throttled or transient failure is reported by its name (through
//! [`crate::aws::errors`]) for the state machine to retry.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use secrecy::{ExposeSecret, SecretString};
use stepwise_contract::errors;
use tokio::time::Instant;

use crate::ActivityError;
use crate::aws::Aws;
use crate::aws::errors::classify;

/// How long a fetched value is served from the cache unless configured otherwise
/// (Powertools' default too).
pub const DEFAULT_TTL: Duration = Duration::from_secs(5 * 60);

/// A future returned by a [`ParameterSource`].
pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<SecretString, ActivityError>> + Send + 'a>>;

/// Where a [`ParameterCache`] fetches values from on a miss. [`Ssm`] in production; tests
/// of the caching itself inject their own.
pub trait ParameterSource: fmt::Debug + Send + Sync {
    /// Fetches the current value of `name`. Fails with the standard error names
    /// (`NotFound` when there is no such parameter), with the name in the cause and never
    /// the value.
    fn fetch<'a>(&'a self, aws: &'a Aws, name: &'a str) -> FetchFuture<'a>;
}

/// Reads parameters with SSM `GetParameter`, `WithDecryption = true`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ssm;

impl ParameterSource for Ssm {
    fn fetch<'a>(&'a self, aws: &'a Aws, name: &'a str) -> FetchFuture<'a> {
        Box::pin(async move {
            let response = aws
                .ssm()
                .await
                .get_parameter()
                .name(name)
                .with_decryption(true)
                .send()
                .await
                .map_err(|err| {
                    let err = classify("SSM", "GetParameter", &err);
                    if err.name == errors::NOT_FOUND {
                        ActivityError::not_found(format!(
                            "SSM parameter {name} does not exist; {}",
                            err.cause
                        ))
                    } else {
                        ActivityError::new(
                            err.name,
                            format!("reading SSM parameter {name}: {}", err.cause),
                        )
                    }
                })?;
            let value = response.parameter.and_then(|p| p.value).ok_or_else(|| {
                ActivityError::transient(format!(
                    "reading SSM parameter {name}: SSM GetParameter returned no value"
                ))
            })?;
            Ok(SecretString::from(value))
        })
    }
}

/// A fetched value and when it was fetched.
struct Cached {
    value: SecretString,
    fetched_at: Instant,
}

/// One parameter's slot: locked while it is being fetched, so concurrent readers of the
/// same name wait for that fetch.
type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// Parameter values cached for a time to live. One per process, in
/// [`crate::Services::params`]; reach it with [`crate::Context::params`].
pub struct ParameterCache {
    ttl: Duration,
    source: Arc<dyn ParameterSource>,
    slots: Mutex<HashMap<String, Slot>>,
}

impl fmt::Debug for ParameterCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParameterCache")
            .field("ttl", &self.ttl)
            .field("source", &self.source)
            .field("names", &self.lock_slots().len())
            .finish()
    }
}

impl Default for ParameterCache {
    /// Reads SSM, values kept for [`DEFAULT_TTL`].
    fn default() -> Self {
        Self::new()
    }
}

impl ParameterCache {
    /// Reads SSM, values kept for [`DEFAULT_TTL`].
    pub fn new() -> Self {
        Self::with_ttl(DEFAULT_TTL)
    }

    /// Reads SSM, values kept for `ttl` (zero: every `get` fetches).
    pub fn with_ttl(ttl: Duration) -> Self {
        Self::with_source(ttl, Ssm)
    }

    /// Reads `source`, values kept for `ttl`.
    pub fn with_source(ttl: Duration, source: impl ParameterSource + 'static) -> Self {
        ParameterCache {
            ttl,
            source: Arc::new(source),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// How long a value is served from the cache.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The value of parameter `name` (a `SecureString` decrypted): from the cache when it
    /// was fetched less than the TTL ago, else fetched again.
    pub async fn get(&self, aws: &Aws, name: &str) -> Result<SecretString, ActivityError> {
        let slot = self.slot(name);
        let mut cached = slot.lock().await;
        if let Some(entry) = cached.as_ref()
            && entry.fetched_at.elapsed() < self.ttl
        {
            return Ok(entry.value.clone());
        }
        let value = self.source.fetch(aws, name).await?;
        *cached = Some(Cached {
            value: value.clone(),
            fetched_at: Instant::now(),
        });
        Ok(value)
    }

    /// Forgets `name`: the next `get` fetches it.
    pub async fn invalidate(&self, name: &str) {
        let slot = self.lock_slots().get(name).cloned();
        if let Some(slot) = slot {
            *slot.lock().await = None;
        }
    }

    /// Forgets every value.
    pub fn clear(&self) {
        self.lock_slots().clear();
    }

    fn slot(&self, name: &str) -> Slot {
        self.lock_slots()
            .entry(name.to_string())
            .or_default()
            .clone()
    }

    /// The slot map. Its lock is never held across an await, and a panic while holding it
    /// cannot leave it inconsistent, so a poisoned lock is used as is.
    fn lock_slots(&self) -> std::sync::MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Serves `"<name>#<fetch number>"` (or `NotFound` for names starting with
    /// `/missing`) and counts fetches.
    #[derive(Debug, Default)]
    struct Counting {
        fetches: Arc<AtomicUsize>,
    }

    impl ParameterSource for Counting {
        fn fetch<'a>(&'a self, _aws: &'a Aws, name: &'a str) -> FetchFuture<'a> {
            Box::pin(async move {
                let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                // Long enough for concurrent readers to pile up behind this fetch.
                tokio::time::sleep(Duration::from_millis(5)).await;
                if name.starts_with("/missing") {
                    return Err(ActivityError::not_found(format!(
                        "SSM parameter {name} does not exist"
                    )));
                }
                Ok(SecretString::from(format!("{name}#{n}")))
            })
        }
    }

    fn cache(ttl: Duration) -> (ParameterCache, Arc<AtomicUsize>) {
        let source = Counting::default();
        let fetches = source.fetches.clone();
        (ParameterCache::with_source(ttl, source), fetches)
    }

    async fn get(cache: &ParameterCache, aws: &Aws, name: &str) -> String {
        cache
            .get(aws, name)
            .await
            .unwrap()
            .expose_secret()
            .to_string()
    }

    #[tokio::test]
    async fn values_are_served_from_the_cache_within_the_ttl() {
        let aws = Aws::from_env();
        let (cache, fetches) = cache(Duration::from_secs(3600));
        assert_eq!(get(&cache, &aws, "/a").await, "/a#1");
        assert_eq!(get(&cache, &aws, "/a").await, "/a#1");
        assert_eq!(get(&cache, &aws, "/b").await, "/b#2");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn expired_values_are_fetched_again() {
        let aws = Aws::from_env();
        let (cache, fetches) = cache(Duration::from_millis(20));
        assert_eq!(get(&cache, &aws, "/a").await, "/a#1");
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(get(&cache, &aws, "/a").await, "/a#2");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_zero_ttl_fetches_every_time() {
        let aws = Aws::from_env();
        let (cache, fetches) = cache(Duration::ZERO);
        get(&cache, &aws, "/a").await;
        get(&cache, &aws, "/a").await;
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn concurrent_readers_of_one_name_share_a_fetch() {
        let aws = Aws::from_env();
        let (cache, fetches) = cache(Duration::from_secs(3600));
        let reads = (0..8).map(|_| get(&cache, &aws, "/a"));
        let values = futures::future::join_all(reads).await;
        assert!(values.iter().all(|v| v == "/a#1"), "{values:?}");
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failures_are_not_cached() {
        let aws = Aws::from_env();
        let (cache, fetches) = cache(Duration::from_secs(3600));
        let err = cache.get(&aws, "/missing/x").await.unwrap_err();
        assert_eq!(err.name, errors::NOT_FOUND);
        cache.get(&aws, "/missing/x").await.unwrap_err();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_and_clear_forget_values() {
        let aws = Aws::from_env();
        let (cache, _) = cache(Duration::from_secs(3600));
        assert_eq!(get(&cache, &aws, "/a").await, "/a#1");
        cache.invalidate("/a").await;
        assert_eq!(get(&cache, &aws, "/a").await, "/a#2");
        cache.clear();
        assert_eq!(get(&cache, &aws, "/a").await, "/a#3");
        cache.invalidate("/never-read").await;
    }

    #[tokio::test]
    async fn debug_never_shows_values() {
        let aws = Aws::from_env();
        let (cache, _) = cache(Duration::from_secs(3600));
        let value = cache.get(&aws, "/a").await.unwrap();
        let shown = format!("{cache:?} {value:?}");
        assert!(!shown.contains("/a#1"), "{shown}");
        assert_eq!(cache.ttl(), Duration::from_secs(3600));
    }

    #[test]
    fn the_default_ttl_is_five_minutes() {
        assert_eq!(ParameterCache::default().ttl(), Duration::from_secs(300));
    }
}

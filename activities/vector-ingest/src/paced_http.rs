//! Holding each `PutVectors` request until its pacing slot *after* the SDK has built it:
//! the pacing point is the moment the request leaves, not the moment it is asked for.
//!
//! [`crate::pace`] spaces one object's requests so that no window holds more than its
//! share; the index counts a request when it *arrives*. Between asking the SDK for a
//! request and its bytes leaving, the SDK serialises it (a 312-vector batch of 1024-d
//! vectors is several megabytes of JSON) and signs it (SigV4 hashes the whole body), and
//! the task waits for a CPU: tens of milliseconds that vary with the machine's load. Two
//! requests asked for one interval apart could leave — and arrive — closer than that, and
//! a window of arrivals hold more than the share (the index answers 429).
//!
//! [`PacedHttpClient`] wraps the HTTP client of one `IngestVectors` call's S3 Vectors
//! client. Its connector holds each request at a [`Gate`] until the gate's [`Pacer`]
//! allows it, then hands it to the real connector: serialisation and signing happen
//! before the wait, so what remains between the paced moment and the arrival is the
//! transfer itself. The call asks for each request a little ahead of its slot
//! ([`LEAD`]), so the building overlaps the wait without piling up built requests.
//!
//! Once a request of the call has failed the gate is closed: requests still waiting are
//! not sent (they fail at once with a connector error the call ignores, having failed
//! already), so a throttled object stops writing at once.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::{ConnectorBuilder, tls};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::pace::{Pacer, Pacing};

/// How far ahead of its slot a request is asked for (at most one interval): time for the
/// SDK to serialise and sign it, so that it is ready when the gate opens.
pub const LEAD: Duration = Duration::from_millis(250);

/// The pacing point of one call's requests: each passes at its pacer's next start.
#[derive(Debug)]
pub struct Gate {
    state: Mutex<GateState>,
    /// Set once a request failed: the ones still waiting are not sent.
    closed: watch::Sender<bool>,
}

#[derive(Debug)]
struct GateState {
    /// None: no rate share, requests pass at once.
    pacer: Option<Pacer>,
    /// Time requests spent held, summed.
    held: Duration,
    /// When the first request passed.
    first: Option<std::time::Instant>,
    /// Requests passed (sent).
    passed: u64,
}

impl Gate {
    /// A gate for a call that began at `began` (see [`Pacer::new`]); without `pacing`
    /// it only counts and closes.
    pub fn new(pacing: Option<Pacing>, began: Instant) -> Arc<Gate> {
        Arc::new(Gate {
            state: Mutex::new(GateState {
                pacer: pacing.map(|p| Pacer::new(p, began)),
                held: Duration::ZERO,
                first: None,
                passed: 0,
            }),
            closed: watch::Sender::new(false),
        })
    }

    fn state(&self) -> MutexGuard<'_, GateState> {
        // A panic while holding the lock leaves plain counters: still usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for the next slot; false, at once, when the gate is or gets closed (the
    /// request must not be sent).
    pub async fn pass(&self) -> bool {
        let mut closed = self.closed.subscribe();
        if *closed.borrow_and_update() {
            return false;
        }
        let due = {
            let mut state = self.state();
            let now = Instant::now();
            let due = state.pacer.as_mut().map_or(now, |p| p.next_start(now));
            state.held += due - now;
            due
        };
        tokio::select! {
            _ = tokio::time::sleep_until(due) => {}
            _ = closed.wait_for(|closed| *closed) => return false,
        }
        if *self.closed.borrow() {
            return false;
        }
        let mut state = self.state();
        state.first.get_or_insert_with(std::time::Instant::now);
        state.passed += 1;
        true
    }

    /// No request waiting or asked for later is sent.
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Time requests spent held at the gate, summed.
    pub fn held(&self) -> Duration {
        self.state().held
    }

    /// When the first request passed.
    pub fn first_passed(&self) -> Option<std::time::Instant> {
        self.state().first
    }

    /// How many requests passed (were sent).
    pub fn passed(&self) -> u64 {
        self.state().passed
    }
}

/// An HTTP client whose requests pass a [`Gate`] before they are sent.
#[derive(Debug, Clone)]
pub struct PacedHttpClient {
    inner: SharedHttpClient,
    gate: Arc<Gate>,
}

impl PacedHttpClient {
    /// Sends through `inner` (the client's own HTTP client, or [`default_http_client`]).
    pub fn new(inner: SharedHttpClient, gate: Arc<Gate>) -> PacedHttpClient {
        PacedHttpClient { inner, gate }
    }
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            gate: self.gate.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    gate: Arc<Gate>,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, gate) = (self.inner.clone(), self.gate.clone());
        HttpConnectorFuture::new(async move {
            if !gate.pass().await {
                return Err(ConnectorError::other(
                    "not sent: an earlier request of this object failed".into(),
                    None,
                ));
            }
            inner.call(request).await
        })
    }
}

/// The SDK's default HTTPS client, as its clients build it when none is configured
/// (hyper 1 with rustls on aws-lc, the connector settings and sleep of the client, the
/// proxy from the environment).
pub fn default_http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        let mut builder = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        builder.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pacing with a short interval (2,500/s in batches of 100: 25 per 1.1 s, 44 ms).
    fn quick() -> Pacing {
        Pacing::new(2_500, 100)
    }

    #[tokio::test]
    async fn requests_pass_one_interval_apart_after_the_first_hold() {
        let pacing = quick();
        let began = Instant::now();
        let gate = Gate::new(Some(pacing), began);
        // The k-th request passes no earlier than k intervals after the call began (the
        // slots are exact; a wake-up may come a moment after its slot, so two wake-ups
        // can be a little closer than one interval).
        for k in 1..=3u32 {
            assert!(gate.pass().await);
            let at = Instant::now() - began;
            assert!(
                at >= k * pacing.interval,
                "request {k} passed after {at:?}, its slot is {:?}",
                k * pacing.interval
            );
        }
        assert!(gate.held() >= 2 * pacing.interval, "{:?}", gate.held());
        assert!(gate.first_passed().is_some());
        assert_eq!(gate.passed(), 3);
    }

    #[tokio::test]
    async fn closing_releases_the_waiting_requests_unsent_and_refuses_later_ones() {
        // One batch per 1.1 s: the waiting request's slot is far off.
        let gate = Gate::new(Some(Pacing::new(1, 1)), Instant::now());
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.pass().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let closed_at = Instant::now();
        gate.close();
        assert!(!waiting.await.expect("the waiting request"));
        assert!(
            closed_at.elapsed() < Duration::from_millis(500),
            "released {:?} after the close, not at its slot",
            closed_at.elapsed()
        );
        assert!(!gate.pass().await);
        assert!(gate.first_passed().is_none());
        assert_eq!(gate.passed(), 0);
    }

    #[tokio::test]
    async fn without_a_share_requests_pass_at_once() {
        let gate = Gate::new(None, Instant::now());
        assert!(gate.pass().await);
        assert!(gate.pass().await);
        assert_eq!(gate.held(), Duration::ZERO);
    }
}

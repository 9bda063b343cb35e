//! The HTTP metadata the optimized integrations add to their results
//! (`SdkHttpMetadata`, `SdkResponseMetadata`), read from the real response by an
//! interceptor on the one call.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::{Map, Value, json};

/// The status and headers of one response.
#[derive(Debug, Clone, Default)]
struct Seen {
    status: u16,
    headers: Vec<(String, String)>,
}

/// Records the status and headers of the response of the call it is attached to.
#[derive(Debug, Clone, Default)]
pub struct HttpMetadata(Arc<Mutex<Option<Seen>>>);

impl HttpMetadata {
    /// A recorder for one call.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `SdkHttpMetadata` and `SdkResponseMetadata` to `result` (an object), as the
    /// optimized integrations return them. Nothing is added when no response was seen.
    pub fn add_to(&self, result: &mut Map<String, Value>) {
        let seen = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let Some(seen) = seen else {
            return;
        };
        let mut all: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut single: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in &seen.headers {
            all.entry(name.clone()).or_default().push(value.clone());
            single.insert(name.clone(), value.clone());
        }
        let request_id = seen
            .headers
            .iter()
            .find(|(n, _)| {
                n.eq_ignore_ascii_case("x-amzn-requestid")
                    || n.eq_ignore_ascii_case("x-amz-request-id")
            })
            .map(|(_, v)| v.clone());
        result.insert(
            "SdkHttpMetadata".into(),
            json!({"AllHttpHeaders": all, "HttpHeaders": single, "HttpStatusCode": seen.status}),
        );
        result.insert(
            "SdkResponseMetadata".into(),
            json!({"RequestId": request_id}),
        );
    }
}

impl Intercept for HttpMetadata {
    fn name(&self) -> &'static str {
        "sfn-local HttpMetadata"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        let seen = Seen {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
        };
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(seen);
        Ok(())
    }
}

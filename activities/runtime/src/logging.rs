//! Logging for every runtime: one `tracing` subscriber set-up and the `invocation` span.
//!
//! [`init`] installs the process-wide subscriber: in Lambda (`AWS_LAMBDA_FUNCTION_NAME`
//! set) JSON lines on stdout, one object per event, with the event's fields flattened and
//! the current span's fields under `"span"`; elsewhere a compact human format on stderr.
//! The level comes from `RUST_LOG` (default `info`); the chatty transport crates (the
//! AWS SDK's `aws_smithy_*`, `aws_config`, `hyper`, `h2`, `rustls`, …) stay at `warn`
//! unless `RUST_LOG` names them.
//!
//! [`logged`] runs one invocation inside a span named `invocation` (fields `request_id`,
//! `activity`, and `execution` / `state` when the caller passed them) and logs one line
//! when it starts and one when it ends (`outcome`: `ok` or the error name,
//! `duration_ms`).
//!
//! This module must not log a payload, an activity's output or an error's cause: inputs
//! can carry data we must not leak (and a decode error's cause can quote the input), and
//! the cause already goes back to the caller (Step Functions' execution history). The
//! Lambda runtime's own TRACE events echo raw payloads, so they are dropped whatever
//! `RUST_LOG` says.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Instant;

use tracing::field::Empty;
use tracing::{Instrument, Level, Metadata, Span, Subscriber, info, info_span};
use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{Layer, Registry};

use crate::{ActivityError, Context};

/// The level when `RUST_LOG` is not set.
pub const DEFAULT_LEVEL: &str = "info";

/// Crates that log every request at `info`/`debug`: kept at `warn` unless `RUST_LOG`
/// names them.
pub const NOISY_CRATES: &[&str] = &[
    "aws_config",
    "aws_runtime",
    "aws_sigv4",
    "aws_smithy_async",
    "aws_smithy_checksums",
    "aws_smithy_eventstream",
    "aws_smithy_http",
    "aws_smithy_http_client",
    "aws_smithy_json",
    "aws_smithy_observability",
    "aws_smithy_query",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "aws_smithy_types",
    "aws_smithy_xml",
    "h2",
    "hyper",
    "hyper_util",
    "rustls",
    "tower",
];

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line: the event's fields flattened, the current span's fields
    /// under `"span"` (what CloudWatch Logs Insights queries).
    Json,
    /// A compact human-readable line (local runs).
    Compact,
}

/// Whether this process runs as a Lambda function (`AWS_LAMBDA_FUNCTION_NAME` is set).
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
}

/// Installs the process-wide subscriber: JSON lines on stdout in Lambda, compact lines on
/// stderr elsewhere, filtered by [`filter_from_env`]. Does nothing when a subscriber is
/// already installed (a test harness, a second call).
pub fn init() {
    let filter = filter_from_env();
    // An error only means a global subscriber is already installed: keep it.
    let _ = if in_lambda() {
        build(Format::Json, filter, std::io::stdout, false).try_init()
    } else {
        let ansi = std::io::stderr().is_terminal();
        build(Format::Compact, filter, std::io::stderr, ansi).try_init()
    };
}

/// The filter from `RUST_LOG` (see [`filter`]).
pub fn filter_from_env() -> EnvFilter {
    filter(std::env::var("RUST_LOG").ok().as_deref())
}

/// The filter for `directives` (`RUST_LOG` syntax; [`DEFAULT_LEVEL`] when `None` or
/// blank), with every [`NOISY_CRATES`] entry the directives do not name at `warn`.
/// Directives that do not parse are ignored.
pub fn filter(directives: Option<&str>) -> EnvFilter {
    let all = match directives.map(str::trim) {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => DEFAULT_LEVEL.to_string(),
    };
    let named: Vec<&str> = all
        .split(',')
        .filter_map(|d| d.split(['=', '[']).next())
        .map(|target| target.split("::").next().unwrap_or(target).trim())
        .collect();
    let quiet: String = NOISY_CRATES
        .iter()
        .filter(|name| !named.contains(name))
        .map(|name| format!(",{name}=warn"))
        .collect();
    EnvFilter::builder().parse_lossy(all + &quiet)
}

/// A subscriber writing `format` lines through `writer`, filtered by `filter` (plus the
/// rule that drops the Lambda runtime's payload-echoing TRACE events). Install it with
/// `tracing::subscriber::set_default` in tests, or `set_global_default`.
pub fn subscriber<W>(format: Format, filter: EnvFilter, writer: W) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    build(format, filter, writer, false)
}

fn build<W>(
    format: Format,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let layer = match format {
        Format::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
        Format::Compact => tracing_subscriber::fmt::layer()
            .compact()
            .with_ansi(ansi)
            .with_writer(writer)
            .boxed(),
    };
    Registry::default().with(layer.with_filter(filter.and(filter_fn(no_payload_echo))))
}

/// False for the events that would write a raw payload: `lambda_runtime` logs every
/// received event body at TRACE.
fn no_payload_echo(meta: &Metadata<'_>) -> bool {
    !(*meta.level() == Level::TRACE && meta.target().starts_with("lambda_runtime"))
}

/// The `invocation` span of one call of `activity`: `request_id`, `activity`, and
/// `execution` / `state` when `ctx` has them.
pub fn invocation_span(activity: &str, ctx: &Context) -> Span {
    let span = info_span!(
        "invocation",
        request_id = Empty,
        activity,
        execution = Empty,
        state = Empty
    );
    if let Some(id) = &ctx.request_id {
        span.record("request_id", id.as_str());
    }
    if let Some(execution) = &ctx.execution {
        span.record("execution", execution.as_str());
    }
    if let Some(state) = &ctx.state {
        span.record("state", state.as_str());
    }
    span
}

/// Runs `invocation` (one call of `activity`) inside its [`invocation_span`], logging
/// `invocation started` and `invocation finished` (`outcome` = `ok` or the error name,
/// `duration_ms`). Neither the input, the output nor an error's cause is logged.
pub async fn logged<T, F>(activity: &str, ctx: &Context, invocation: F) -> Result<T, ActivityError>
where
    F: Future<Output = Result<T, ActivityError>>,
{
    async move {
        info!("invocation started");
        let started = Instant::now();
        let result = invocation.await;
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.name.as_str(),
        };
        info!(outcome, duration_ms, "invocation finished");
        result
    }
    .instrument(invocation_span(activity, ctx))
    .await
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex, MutexGuard};

    use serde_json::Value;

    use super::*;
    use crate::Services;

    /// A `MakeWriter` collecting everything written into one buffer.
    #[derive(Clone, Default)]
    pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Captured {
        fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
            self.0.lock().unwrap_or_else(|e| e.into_inner())
        }

        /// Everything written so far.
        pub(crate) fn text(&self) -> String {
            String::from_utf8_lossy(&self.lock()).into_owned()
        }

        /// Every line, parsed as JSON.
        pub(crate) fn json_lines(&self) -> Vec<Value> {
            self.text()
                .lines()
                .map(|l| serde_json::from_str(l).expect("a JSON log line"))
                .collect()
        }
    }

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.lock().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn noisy_crates_stay_at_warn_unless_named() {
        let default = filter(None).to_string();
        assert!(default.contains("aws_smithy_runtime=warn"), "{default}");
        assert!(default.contains("hyper=warn"), "{default}");
        let named = filter(Some("debug,hyper::client=trace")).to_string();
        assert!(named.contains("hyper::client=trace"), "{named}");
        assert!(!named.contains("hyper=warn"), "{named}");
        assert!(named.contains("hyper_util=warn"), "{named}");
        assert!(named.contains("rustls=warn"), "{named}");
    }

    #[tokio::test]
    async fn an_invocation_logs_start_and_end_with_its_span_fields() {
        let out = Captured::default();
        let _guard = tracing::subscriber::set_default(subscriber(
            Format::Json,
            EnvFilter::new("info"),
            out.clone(),
        ));
        let mut ctx = Context::new(Services::from_env());
        ctx.request_id = Some("req-1".into());
        ctx.execution = Some("exec-1".into());
        let result: Result<u32, _> = logged("Thing", &ctx, async {
            Err(ActivityError::throttled("slow down"))
        })
        .await;
        assert!(result.is_err());
        let lines = out.json_lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0]["message"], "invocation started");
        assert_eq!(lines[1]["message"], "invocation finished");
        assert_eq!(lines[1]["outcome"], "Throttled");
        assert!(lines[1]["duration_ms"].is_f64(), "{}", lines[1]);
        for line in &lines {
            let span = &line["span"];
            assert_eq!(span["name"], "invocation");
            assert_eq!(span["request_id"], "req-1");
            assert_eq!(span["activity"], "Thing");
            assert_eq!(span["execution"], "exec-1");
            assert!(span.get("state").is_none(), "{span}");
        }
        assert!(!out.text().contains("slow down"), "the cause is not logged");
    }

    #[test]
    fn the_lambda_runtime_payload_echo_is_dropped_even_at_trace() {
        let out = Captured::default();
        tracing::subscriber::with_default(
            subscriber(Format::Json, EnvFilter::new("trace"), out.clone()),
            || {
                tracing::trace!(
                    target: "lambda_runtime::layers::api_response",
                    body = "{\"password\":\"p4ss-LEAK\"}",
                    "raw JSON event received from Lambda"
                );
                tracing::debug!(target: "lambda_runtime::layers::api_response", "kept");
            },
        );
        let text = out.text();
        assert!(!text.contains("p4ss-LEAK"), "{text}");
        assert!(text.contains("kept"), "{text}");
    }
}

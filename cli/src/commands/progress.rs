//! `stepwise progress vector-ingest`: a vector-ingest job's progress — objects and
//! vectors done of the totals, the rate over the last minute and the ETA from the job's
//! DynamoDB progress item, and the distributed Map Run's item counts
//! (`DescribeMapRun`) — as a live bar on stderr until the execution ends, then the last
//! snapshot as JSON on stdout (`--once`: one snapshot, no bar).
//!
//! The job is named by the execution (its input's `progress.table` and `progress.job`,
//! read with `DescribeExecution` from the Step Functions endpoint of the standard
//! environment: AWS, or `stepwise serve`), or directly with `--table` and `--job` (for
//! runs that no Step Functions endpoint knows, such as `stepwise run`).

use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use stepwise_runtime::Services;
use stepwise_vector_ingest::progress::store::{ProgressLocation, ProgressSnapshot, read_snapshot};

use super::CliError;
use crate::output;

/// The one workflow that reports progress.
pub const WORKFLOW: &str = "vector-ingest";

/// The flags of `stepwise progress`.
#[derive(Debug, clap::Args)]
pub struct ProgressFlags {
    /// The workflow (`vector-ingest`).
    #[arg(value_name = "WORKFLOW")]
    pub workflow: String,
    /// The execution's ARN.
    #[arg(value_name = "EXECUTION")]
    pub execution: Option<String>,
    /// The progress table (instead of an execution; with --job).
    #[arg(
        long,
        value_name = "TABLE",
        requires = "job",
        conflicts_with = "execution"
    )]
    pub table: Option<String>,
    /// The job (instead of an execution; with --table).
    #[arg(long, value_name = "JOB", requires = "table")]
    pub job: Option<String>,
    /// Print one snapshot as JSON and exit.
    #[arg(long)]
    pub once: bool,
    /// Seconds between refreshes of the live bar.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub interval: f64,
}

/// Shows the job's progress.
pub fn run(flags: ProgressFlags) -> Result<ExitCode, CliError> {
    if flags.workflow != WORKFLOW {
        return Err(CliError::Usage(format!(
            "only the {WORKFLOW} workflow reports progress, not \"{}\"",
            flags.workflow
        )));
    }
    if !(flags.interval.is_finite() && flags.interval >= 0.1) {
        return Err(CliError::Usage(
            "--interval must be at least 0.1 seconds".into(),
        ));
    }
    if flags.execution.is_none() && flags.table.is_none() {
        return Err(CliError::Usage(
            "name the execution (its ARN), or the job with --table and --job".into(),
        ));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(watch(flags))
}

async fn watch(flags: ProgressFlags) -> Result<ExitCode, CliError> {
    let services = Services::shared();
    let sfn = aws_sdk_sfn::Client::new(services.aws.config().await);
    let location = match (&flags.execution, flags.table, flags.job) {
        (Some(execution), _, _) => location_of(&sfn, execution).await?,
        (None, Some(table), Some(job)) => ProgressLocation { table, job },
        _ => {
            return Err(CliError::Usage("--table and --job go together".into()));
        }
    };
    let dynamodb = services.aws.dynamodb().await;
    let bar = (!flags.once).then(|| {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} vectors {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    });
    loop {
        let snapshot = read_snapshot(dynamodb, &location)
            .await
            .map_err(|e| CliError::Message(format!("reading the progress: {e}")))?;
        let (status, map_run) = match &flags.execution {
            Some(execution) => (
                Some(execution_status(&sfn, execution).await?),
                map_run_counts(&sfn, execution).await?,
            ),
            None => (None, None),
        };
        let finished = match (&status, &snapshot) {
            (Some(status), _) => status != "RUNNING",
            (None, Some(s)) => {
                s.objects_total > 0 && s.objects_done + s.objects_failed >= s.objects_total
            }
            (None, None) => false,
        };
        if let (Some(bar), Some(s)) = (&bar, &snapshot) {
            bar.set_length(s.vectors_total);
            bar.set_position(s.vectors_done);
            bar.set_message(summary_line(s, map_run.as_ref()));
        }
        if flags.once || finished {
            if let Some(bar) = &bar {
                bar.finish();
            }
            let Some(snapshot) = snapshot else {
                return Err(CliError::Message(format!(
                    "no progress recorded for job \"{}\" in table {} (PlanIngest writes it when the run starts)",
                    location.job, location.table
                )));
            };
            let report = json!({
                "progress": snapshot,
                "line": summary_line(&snapshot, map_run.as_ref()),
                "execution_status": status,
                "map_run": map_run,
            });
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::Message(format!("encoding the snapshot: {e}")))?;
            output::outln(&text)?;
            return Ok(ExitCode::SUCCESS);
        }
        tokio::time::sleep(Duration::from_secs_f64(flags.interval)).await;
    }
}

/// `3/8 objects (1 failed) · 812 vectors/s · ETA 4s · map run: 2 running`.
pub fn summary_line(s: &ProgressSnapshot, map_run: Option<&Value>) -> String {
    let mut line = format!("{}/{} objects", s.objects_done, s.objects_total);
    if s.objects_failed > 0 {
        line.push_str(&format!(" ({} failed)", s.objects_failed));
    }
    line.push_str(&format!(" · {:.0} vectors/s", s.vectors_per_second));
    match s.eta_seconds {
        Some(eta) => line.push_str(&format!(" · ETA {}", duration(eta))),
        None => line.push_str(" · ETA unknown"),
    }
    if let Some(run) = map_run {
        line.push_str(&format!(
            " · map run: {} running, {} succeeded, {} failed",
            run["running"], run["succeeded"], run["failed"]
        ));
    }
    line
}

/// `1h02m`, `4m05s`, `9s`.
fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}h{m:02}m")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// The execution's input's progress location.
async fn location_of(
    sfn: &aws_sdk_sfn::Client,
    execution: &str,
) -> Result<ProgressLocation, CliError> {
    let described = sfn
        .describe_execution()
        .execution_arn(execution)
        .send()
        .await
        .map_err(|e| {
            CliError::Message(format!(
                "DescribeExecution {execution}: {}",
                sdk_message(&e)
            ))
        })?;
    let input: Value = described
        .input()
        .and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or(Value::Null);
    serde_json::from_value(input["progress"].clone()).map_err(|_| {
        CliError::Message(format!(
            "execution {execution}: its input has no \"progress\" {{\"table\", \"job\"}}: is it a {WORKFLOW} execution?"
        ))
    })
}

/// The execution's status (`RUNNING`, `SUCCEEDED`, ...).
async fn execution_status(sfn: &aws_sdk_sfn::Client, execution: &str) -> Result<String, CliError> {
    let described = sfn
        .describe_execution()
        .execution_arn(execution)
        .send()
        .await
        .map_err(|e| {
            CliError::Message(format!(
                "DescribeExecution {execution}: {}",
                sdk_message(&e)
            ))
        })?;
    Ok(described.status().as_str().to_string())
}

/// The item counts of the execution's (first) Map Run, when it has one.
async fn map_run_counts(
    sfn: &aws_sdk_sfn::Client,
    execution: &str,
) -> Result<Option<Value>, CliError> {
    let runs = sfn
        .list_map_runs()
        .execution_arn(execution)
        .send()
        .await
        .map_err(|e| CliError::Message(format!("ListMapRuns {execution}: {}", sdk_message(&e))))?;
    let Some(run) = runs.map_runs().first() else {
        return Ok(None);
    };
    let described = sfn
        .describe_map_run()
        .map_run_arn(run.map_run_arn())
        .send()
        .await
        .map_err(|e| CliError::Message(format!("DescribeMapRun: {}", sdk_message(&e))))?;
    Ok(described.item_counts().map(|c| {
        json!({
            "status": described.status().as_str(),
            "total": c.total(),
            "pending": c.pending(),
            "running": c.running(),
            "succeeded": c.succeeded(),
            "failed": c.failed(),
            "timed_out": c.timed_out(),
            "aborted": c.aborted(),
        })
    }))
}

/// An SDK error's message (the service's, or the error chain).
fn sdk_message<E: std::error::Error + 'static>(err: &E) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(&format!(": {next}"));
        source = next.source();
    }
    text
}

//! `stepwise dlq replay`: replays the events of a dead-letter queue once their cause is
//! fixed — re-put to the EventBridge bus (default), or run through the workflow locally
//! (`--local`, sfn-local with the real activities against the standard environment's
//! endpoints). A message is deleted only after its replay succeeded; a failed one stays
//! in the queue and becomes visible again after its visibility timeout.
//!
//! Two message shapes are read: the workflow's own dead letters
//! (`{"event", "error", "cause", "execution", ...}`) and EventBridge's (the event itself,
//! what a rule target's DLQ receives when StartExecution kept failing). A Carousel sale
//! without a `saleId` is re-put with the id derived from its original event id, so the
//! replay is the same sale to the claim, not a new one.
//!
//! Output: one JSON line per message on stdout (`{"message_id", "outcome": "replayed" |
//! "failed" | "skipped", "detail"}`), a summary on stderr; exit 0 when every message was
//! replayed, 1 otherwise.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_eventbridge::primitives::DateTime as AwsDateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_sqs::types::Message;
use clap::Args;
use serde_json::{Value, json};
use sfn_local::{Options, Status};
use stepwise_product_sold_sync::event::derived_sale_id;

use super::CliError;
use crate::output;

/// How long a received message stays invisible to other readers while it is replayed.
pub const VISIBILITY_SECONDS: i32 = 300;

/// `stepwise dlq replay` flags.
#[derive(Debug, Args)]
pub struct ReplayFlags {
    /// The dead-letter queue's URL.
    #[arg(long, value_name = "URL")]
    pub queue_url: String,
    /// The event bus to re-put the events to.
    #[arg(long, value_name = "NAME", default_value = "default")]
    pub bus: String,
    /// Run each event through the workflow in-process instead of re-putting it.
    #[arg(long)]
    pub local: bool,
    /// With --local: the workflow to run.
    #[arg(long, value_name = "NAME", default_value = "product-sold-sync")]
    pub workflow: String,
    /// With --local: a definition substitution, `${NAME}` becomes VALUE (e.g.
    /// SalesHistoryTableName=stepwise-local-sales-history, as `stepwise provision`
    /// prints). Repeatable.
    #[arg(long = "substitute", value_name = "NAME=VALUE")]
    pub substitutions: Vec<String>,
    /// Replay at most this many messages.
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
}

/// The event a dead letter carries.
///
/// # Errors
/// A message naming what is missing.
pub fn event_of(body: &str) -> Result<Value, String> {
    let doc: Value =
        serde_json::from_str(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let event = match doc.get("event") {
        Some(event) => event.clone(),
        None if doc.get("detail-type").is_some() => doc,
        None => return Err("the body has neither \"event\" nor an EventBridge event".into()),
    };
    for field in ["source", "detail-type", "detail"] {
        if event.get(field).is_none() {
            return Err(format!("the event has no \"{field}\""));
        }
    }
    Ok(event)
}

/// The event as it is re-put: a Carousel sale without `saleId` gets the one derived from
/// its original event id (the re-put event gets a new id).
pub fn with_stable_sale_id(mut event: Value) -> Value {
    let id = event.get("id").and_then(Value::as_str).map(str::to_string);
    if let (Some(id), Some(detail)) = (id, event.get_mut("detail").and_then(Value::as_object_mut))
        && !detail.contains_key("saleId")
        && detail.contains_key("tenantId")
    {
        detail.insert("saleId".into(), json!(derived_sale_id(&id)));
    }
    event
}

/// Parses `--substitute NAME=VALUE` pairs (NAME: letters, digits, `_`).
fn substitutions(pairs: &[String]) -> Result<BTreeMap<String, String>, CliError> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((name, value))
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                Ok((name.to_string(), value.to_string()))
            }
            _ => Err(CliError::Usage(format!(
                "--substitute \"{p}\": expected NAME=VALUE, NAME the text inside ${{...}} (e.g. SalesHistoryTableName=stepwise-local-sales-history)"
            ))),
        })
        .collect()
}

/// How one message went.
struct Replayed {
    outcome: &'static str,
    detail: String,
}

/// Replays one event.
enum Replayer {
    Bus {
        client: aws_sdk_eventbridge::Client,
        bus: String,
    },
    Local {
        machine: Box<codegen::asl::StateMachine>,
        substitutions: BTreeMap<String, String>,
        name: String,
        express: bool,
        tasks: Arc<dyn sfn_local::TaskRunner>,
    },
}

impl Replayer {
    async fn replay(&self, event: Value) -> Result<String, String> {
        match self {
            Replayer::Bus { client, bus } => {
                let detail = event.get("detail").cloned().unwrap_or(Value::Null);
                let mut entry = PutEventsRequestEntry::builder()
                    .event_bus_name(bus)
                    .source(event["source"].as_str().unwrap_or_default())
                    .detail_type(event["detail-type"].as_str().unwrap_or_default())
                    .detail(detail.to_string());
                if let Some(time) = event.get("time").and_then(Value::as_str)
                    && let Ok(t) = AwsDateTime::from_str(
                        time,
                        aws_sdk_eventbridge::primitives::DateTimeFormat::DateTime,
                    )
                {
                    entry = entry.time(t);
                }
                let out = client
                    .put_events()
                    .entries(entry.build())
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "PutEvents: {}",
                            aws_sdk_eventbridge::error::DisplayErrorContext(e)
                        )
                    })?;
                if out.failed_entry_count() > 0 {
                    let why = out
                        .entries()
                        .first()
                        .map(|e| {
                            format!(
                                "{}: {}",
                                e.error_code().unwrap_or("?"),
                                e.error_message().unwrap_or("")
                            )
                        })
                        .unwrap_or_default();
                    return Err(format!("PutEvents refused the entry: {why}"));
                }
                let id = out
                    .entries()
                    .first()
                    .and_then(|e| e.event_id())
                    .unwrap_or("?");
                Ok(format!("re-put to bus {bus} as event {id}"))
            }
            Replayer::Local {
                machine,
                substitutions,
                name,
                express,
                tasks,
            } => {
                let options = Options {
                    state_machine_name: name.clone(),
                    substitutions: substitutions.clone(),
                    max_duration: if *express {
                        sfn_local::clock::EXPRESS_MAX_DURATION
                    } else {
                        sfn_local::clock::STANDARD_MAX_DURATION
                    },
                    ..Options::default()
                };
                let outcome = sfn_local::execute(machine, event, tasks.clone(), options)
                    .await
                    .map_err(|e| format!("the execution did not start: {e}"))?;
                match outcome.status {
                    Status::Succeeded => {
                        let last = outcome.states_entered().last().cloned().unwrap_or_default();
                        Ok(format!("{} succeeded ({last})", outcome.execution_arn))
                    }
                    _ => {
                        let f = outcome.failure.unwrap_or_else(|| {
                            sfn_local::Failure::new("States.Runtime", "no failure recorded")
                        });
                        Err(format!(
                            "{} ended {:?}: {}: {}",
                            outcome.execution_arn, outcome.status, f.error, f.cause
                        ))
                    }
                }
            }
        }
    }
}

async fn handle(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    replayer: &Replayer,
    message: &Message,
) -> Replayed {
    let body = message.body().unwrap_or_default();
    let event = match event_of(body) {
        Ok(e) => with_stable_sale_id(e),
        Err(why) => {
            return Replayed {
                outcome: "skipped",
                detail: format!("left in the queue: {why}"),
            };
        }
    };
    match replayer.replay(event).await {
        Ok(done) => {
            let deleted = match message.receipt_handle() {
                Some(handle) => sqs
                    .delete_message()
                    .queue_url(queue)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| format!("{}", aws_sdk_sqs::error::DisplayErrorContext(e))),
                None => Err("the message has no receipt handle".into()),
            };
            match deleted {
                Ok(()) => Replayed {
                    outcome: "replayed",
                    detail: done,
                },
                Err(why) => Replayed {
                    outcome: "failed",
                    detail: format!(
                        "{done}, but deleting the message failed (it will be replayed again): {why}"
                    ),
                },
            }
        }
        Err(why) => Replayed {
            outcome: "failed",
            detail: format!("left in the queue: {why}"),
        },
    }
}

/// Runs `stepwise dlq replay`.
pub fn replay(flags: ReplayFlags) -> Result<ExitCode, CliError> {
    if flags.max == Some(0) {
        return Err(CliError::Usage("--max must be at least 1".into()));
    }
    if !flags.local && (!flags.substitutions.is_empty() || flags.workflow != "product-sold-sync") {
        return Err(CliError::Usage(
            "--substitute and --workflow need --local".into(),
        ));
    }
    let pairs = substitutions(&flags.substitutions)?;
    let services = stepwise_runtime::Services::shared();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(super::execution::WORKER_STACK_BYTES)
        .build()
        .map_err(|e| CliError::Message(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let config = services.aws.config().await;
        let replayer = if flags.local {
            let workflow = statemachines::find(&flags.workflow).ok_or_else(|| {
                CliError::Usage(format!(
                    "no workflow named \"{}\" (workflows: {})",
                    flags.workflow,
                    statemachines::names().join(", ")
                ))
            })?;
            let built = workflow
                .build()
                .map_err(|e| CliError::Message(e.to_string()))?;
            Replayer::Local {
                machine: Box::new(built.machine),
                substitutions: pairs.clone(),
                name: built.name,
                express: built.express,
                tasks: stepwise_serve::runner::real_tasks(stepwise_lambda::all(), services.clone()),
            }
        } else {
            Replayer::Bus {
                client: aws_sdk_eventbridge::Client::new(config),
                bus: flags.bus.clone(),
            }
        };
        let sqs = aws_sdk_sqs::Client::new(config);
        let (mut replayed, mut failed) = (0usize, 0usize);
        let limit = flags.max.unwrap_or(usize::MAX);
        'outer: while replayed + failed < limit {
            let wanted = (limit - replayed - failed).min(10) as i32;
            let got = sqs
                .receive_message()
                .queue_url(&flags.queue_url)
                .max_number_of_messages(wanted)
                .visibility_timeout(VISIBILITY_SECONDS)
                .wait_time_seconds(1)
                .send()
                .await
                .map_err(|e| {
                    CliError::Message(format!(
                        "ReceiveMessage on {}: {}",
                        flags.queue_url,
                        aws_sdk_sqs::error::DisplayErrorContext(e)
                    ))
                })?;
            if got.messages().is_empty() {
                break;
            }
            for message in got.messages() {
                let r = handle(&sqs, &flags.queue_url, &replayer, message).await;
                if r.outcome == "replayed" {
                    replayed += 1;
                } else {
                    failed += 1;
                }
                let line = json!({
                    "message_id": message.message_id().unwrap_or_default(),
                    "outcome": r.outcome,
                    "detail": r.detail,
                });
                output::outln(&line.to_string())?;
                if replayed + failed >= limit {
                    break 'outer;
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        output::errln(&format!("{replayed} replayed, {failed} not replayed"))?;
        Ok(if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_message_shapes_give_the_event() {
        let event =
            json!({"id": "e1", "source": "s", "detail-type": "t", "detail": {"tenantId": "a"}});
        let ours = json!({"event": event, "error": "X", "cause": "y"}).to_string();
        assert_eq!(event_of(&ours).unwrap(), event);
        assert_eq!(event_of(&event.to_string()).unwrap(), event);
        assert!(event_of("{\"error\": 1}").unwrap_err().contains("neither"));
        assert!(event_of("nope").is_err());
    }

    #[test]
    fn a_replayed_sale_keeps_its_derived_sale_id() {
        let event =
            json!({"id": "e1", "source": "s", "detail-type": "t", "detail": {"tenantId": "a"}});
        let out = with_stable_sale_id(event);
        assert_eq!(out["detail"]["saleId"], json!(derived_sale_id("e1")));
        let given = json!({"id": "e1", "detail": {"tenantId": "a", "saleId": "S-1"}});
        assert_eq!(with_stable_sale_id(given.clone()), given);
    }

    #[test]
    fn set_pairs_are_checked() {
        assert_eq!(
            substitutions(&["A_1=b=c".into()]).unwrap(),
            BTreeMap::from([("A_1".to_string(), "b=c".to_string())])
        );
        assert!(matches!(
            substitutions(&["${A}=x".into()]),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            substitutions(&["nope".into()]),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            substitutions(&["=x".into()]),
            Err(CliError::Usage(_))
        ));
    }
}

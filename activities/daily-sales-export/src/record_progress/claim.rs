//! Who may run a day: the STARTED writes. A run first claims the day's *claim item* —
//! the pseudo-tenant [`ALL_TENANTS`] for a run of every tenant, the tenant's own item
//! for a run of one tenant — then starts each tenant's item under that claim.
//!
//! What the stored item decides ([`decide`]):
//!
//! | stored | decision |
//! | --- | --- |
//! | nothing | claim it |
//! | STARTED by this execution | a retried write: nothing to do |
//! | STARTED by another execution, started less than [`STALE_AFTER_HOURS`] ago | busy: that run is exporting the day; this one does nothing and says so |
//! | STARTED by another execution longer ago | its run died (the workflow times out after 6 h): claim it |
//! | COMPLETED | done: nothing to do and say so — unless the request asks for `rerun` |
//! | PARTIAL, FAILED (or COMPLETED with `rerun`) | a new attempt: claim it, keeping the old result under `previous` |
//!
//! A claim is a conditional `PutItem` on what was read (absent, or the same execution
//! and status), so of two runs that read the same item, exactly one writes; the other
//! re-reads and finds it busy.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, Utc};

use super::store::{Expression, expires_at, in_table, key, read, s, timestamp};
use super::{ALL_TENANTS, PROGRESS_CONFLICT, Plan, ProgressStatus, RecordProgressInput};
use stepwise_runtime::ActivityError;
use stepwise_runtime::aws::errors::classify;

/// A STARTED item older than this belongs to a run that died: the workflow's own
/// timeout is 6 hours, plus an hour's margin.
pub const STALE_AFTER_HOURS: i64 = 7;

/// How often a claim re-reads after losing a race before it gives up.
const CLAIM_ATTEMPTS: usize = 3;

/// What a stored item means for a run that wants to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Write STARTED (keeping what was stored as `previous`, if anything).
    Claim,
    /// This execution already holds it (a retry).
    Held,
    /// Another execution is running the day.
    Busy {
        execution: String,
        started_at: String,
    },
    /// The day was exported already.
    Done {
        execution: String,
        completed_at: String,
    },
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// The table above.
pub(crate) fn decide(
    stored: &HashMap<String, AttributeValue>,
    execution: &str,
    rerun: bool,
    now: DateTime<Utc>,
) -> Decision {
    if stored.is_empty() {
        return Decision::Claim;
    }
    let owner = text(stored, "execution").unwrap_or_default();
    match text(stored, "status") {
        Some("STARTED") if owner == execution => Decision::Held,
        Some("STARTED") => {
            let started_at = text(stored, "started_at").unwrap_or_default();
            let stale = DateTime::parse_from_rfc3339(started_at)
                .map(|t| now - t.with_timezone(&Utc) > Duration::hours(STALE_AFTER_HOURS))
                .unwrap_or(true);
            if stale {
                Decision::Claim
            } else {
                Decision::Busy {
                    execution: owner.to_string(),
                    started_at: started_at.to_string(),
                }
            }
        }
        Some("COMPLETED") if !rerun => Decision::Done {
            execution: owner.to_string(),
            completed_at: text(stored, "completed_at").unwrap_or_default().to_string(),
        },
        _ => Decision::Claim,
    }
}

/// How a claim ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Claimed {
    /// This execution holds the item now.
    Yes,
    /// It does not; why, for the output and the operator.
    No(String),
}

/// Claims `tenant`'s item for this execution (see the module docs); `rerun` lets it
/// claim a COMPLETED item.
pub(crate) async fn claim(
    dynamodb: &aws_sdk_dynamodb::Client,
    plan: &Plan,
    input: &RecordProgressInput,
    tenant: &str,
    rerun: bool,
    now: DateTime<Utc>,
) -> Result<Claimed, ActivityError> {
    for _ in 0..CLAIM_ATTEMPTS {
        let stored = read(dynamodb, plan, tenant).await?;
        let what = if tenant == ALL_TENANTS {
            format!("the export of {}", plan.export_date)
        } else {
            format!("the export of tenant {tenant} on {}", plan.export_date)
        };
        match decide(&stored, &input.execution, rerun, now) {
            Decision::Held => return Ok(Claimed::Yes),
            Decision::Busy {
                execution,
                started_at,
            } => {
                return Ok(Claimed::No(format!(
                    "{what} is running in execution {execution} (started {started_at}); this execution exports nothing"
                )));
            }
            Decision::Done {
                execution,
                completed_at,
            } => {
                return Ok(Claimed::No(format!(
                    "{what} was COMPLETED by execution {execution} at {completed_at}; start with \"rerun\": true to export it again"
                )));
            }
            Decision::Claim => {
                if put_started(dynamodb, plan, input, tenant, &stored, now).await? {
                    return Ok(Claimed::Yes);
                }
                // Another run wrote in between: read again and decide on what it wrote.
            }
        }
    }
    Err(ActivityError::new(
        PROGRESS_CONFLICT,
        format!(
            "progress of {tenant} on {} in table {}: the item kept changing while this execution tried to start",
            plan.export_date, plan.table
        ),
    ))
}

/// Writes a new STARTED item over `stored` (which becomes `previous`), on condition that
/// the item is still what was read. `false` when it changed meanwhile.
async fn put_started(
    dynamodb: &aws_sdk_dynamodb::Client,
    plan: &Plan,
    input: &RecordProgressInput,
    tenant: &str,
    stored: &HashMap<String, AttributeValue>,
    now: DateTime<Utc>,
) -> Result<bool, ActivityError> {
    let mut item = key(plan, tenant);
    item.insert("status".into(), s(ProgressStatus::Started.as_str()));
    item.insert("execution".into(), s(&input.execution));
    item.insert("started_at".into(), timestamp(now));
    item.insert("updated_at".into(), timestamp(now));
    item.insert("expires_at".into(), expires_at(now));
    if input.request.rerun {
        item.insert("rerun".into(), AttributeValue::Bool(true));
    }
    let mut expr = Expression::default();
    let condition = if stored.is_empty() {
        format!("attribute_not_exists({})", expr.name("tenant_id"))
    } else {
        // The old result is kept, one level deep (its own `previous` is dropped).
        let previous: HashMap<String, AttributeValue> = stored
            .iter()
            .filter(|(name, _)| !matches!(name.as_str(), "previous" | "tenant_id" | "export_date"))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        item.insert("previous".into(), AttributeValue::M(previous));
        let status = stored.get("status").cloned().unwrap_or(s(""));
        let execution = stored.get("execution").cloned().unwrap_or(s(""));
        format!(
            "{} = {} AND {} = {}",
            expr.name("status"),
            expr.value("old_status", status),
            expr.name("execution"),
            expr.value("old_execution", execution),
        )
    };
    let result = dynamodb
        .put_item()
        .table_name(&plan.table)
        .set_item(Some(item))
        .condition_expression(condition)
        .set_expression_attribute_names(Some(expr.names))
        .set_expression_attribute_values(if expr.values.is_empty() {
            None
        } else {
            Some(expr.values)
        })
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(err) => match err.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(_)) => Ok(false),
            _ => Err(in_table(plan, classify("DynamoDB", "PutItem", &err))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(status: &str, execution: &str, started_at: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("status".to_string(), s(status)),
            ("execution".to_string(), s(execution)),
            ("started_at".to_string(), s(started_at)),
            ("completed_at".to_string(), s("2026-03-10T03:20:00.000Z")),
        ])
    }

    #[test]
    fn the_stored_item_decides_who_runs() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T05:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let recent = "2026-03-10T03:00:00.000Z";
        let old = "2026-03-09T20:00:00.000Z";
        assert_eq!(decide(&HashMap::new(), "me", false, now), Decision::Claim);
        assert_eq!(
            decide(&item("STARTED", "me", recent), "me", false, now),
            Decision::Held
        );
        assert!(matches!(
            decide(&item("STARTED", "other", recent), "me", false, now),
            Decision::Busy { .. }
        ));
        assert!(matches!(
            decide(&item("STARTED", "other", recent), "me", true, now),
            Decision::Busy { .. }
        ));
        assert_eq!(
            decide(&item("STARTED", "other", old), "me", false, now),
            Decision::Claim
        );
        assert!(matches!(
            decide(&item("COMPLETED", "other", recent), "me", false, now),
            Decision::Done { .. }
        ));
        assert_eq!(
            decide(&item("COMPLETED", "other", recent), "me", true, now),
            Decision::Claim
        );
        assert_eq!(
            decide(&item("PARTIAL", "other", recent), "me", false, now),
            Decision::Claim
        );
        assert_eq!(
            decide(&item("FAILED", "other", recent), "me", false, now),
            Decision::Claim
        );
    }
}

//! The export request (what starts an execution) and the export window it selects.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use stepwise_runtime::ActivityError;

/// The execution input of daily-sales-export: EventBridge Scheduler passes
/// `scheduled_time`; an operator starting it from the console passes `date` (and maybe
/// `tenant_id`). Both carry the deployment's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// The SSM SecureString parameter holding the pipeline configuration.
    pub config_parameter: String,
    /// The DynamoDB table of export progress.
    pub progress_table: String,
    /// When the schedule fired (RFC 3339); the export covers the UTC day before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_time: Option<String>,
    /// The day to export (`YYYY-MM-DD`, UTC); overrides `scheduled_time`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Export only this tenant (default: every configured tenant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Export the day again although it was COMPLETED: a new attempt, recorded with the
    /// old result kept under `previous`. Without it, a run of a completed day does
    /// nothing and says so (the Scheduler may start the same day twice).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rerun: bool,
}

/// The UTC day an export covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportWindow {
    /// The exported day.
    pub export_date: NaiveDate,
    /// Its first instant (inclusive).
    pub start: DateTime<Utc>,
    /// The next day's first instant (exclusive).
    pub end: DateTime<Utc>,
}

/// The window of a request: `date` when given, else the UTC day before
/// `scheduled_time`. Neither, or an unparsable one, is `InvalidInput` naming the field.
pub fn export_window(request: &ExportRequest) -> Result<ExportWindow, ActivityError> {
    let export_date = match (&request.date, &request.scheduled_time) {
        (Some(date), _) => NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| {
            ActivityError::invalid_input(format!("date: \"{date}\" is not a YYYY-MM-DD date ({e})"))
        })?,
        (None, Some(ts)) => {
            let scheduled = DateTime::parse_from_rfc3339(ts).map_err(|e| {
                ActivityError::invalid_input(format!(
                    "scheduled_time: \"{ts}\" is not an RFC 3339 timestamp ({e})"
                ))
            })?;
            scheduled.with_timezone(&Utc).date_naive() - Duration::days(1)
        }
        (None, None) => {
            return Err(ActivityError::invalid_input(
                "scheduled_time or date: one is required (the Scheduler passes scheduled_time; pass date when starting by hand)",
            ));
        }
    };
    let start = export_date
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc())
        .ok_or_else(|| {
            ActivityError::invalid_input(format!("date: {export_date} has no midnight"))
        })?;
    Ok(ExportWindow {
        export_date,
        start,
        end: start + Duration::days(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(scheduled_time: Option<&str>, date: Option<&str>) -> ExportRequest {
        ExportRequest {
            config_parameter: "/p".into(),
            progress_table: "t".into(),
            scheduled_time: scheduled_time.map(Into::into),
            date: date.map(Into::into),
            tenant_id: None,
            rerun: false,
        }
    }

    #[test]
    fn the_day_before_the_schedule_in_utc() {
        let w = export_window(&request(Some("2026-11-24T03:00:00Z"), None)).unwrap();
        assert_eq!(w.export_date.to_string(), "2026-11-23");
        assert_eq!(w.start.to_rfc3339(), "2026-11-23T00:00:00+00:00");
        assert_eq!(w.end.to_rfc3339(), "2026-11-24T00:00:00+00:00");
        // 01:30 in Berlin is still the previous UTC day.
        let w = export_window(&request(Some("2026-11-24T01:30:00+02:00"), None)).unwrap();
        assert_eq!(w.export_date.to_string(), "2026-11-22");
    }

    #[test]
    fn an_explicit_date_wins() {
        let w = export_window(&request(Some("2026-11-24T03:00:00Z"), Some("2026-01-31"))).unwrap();
        assert_eq!(w.export_date.to_string(), "2026-01-31");
    }

    #[test]
    fn bad_or_missing_input_names_the_field() {
        assert!(
            export_window(&request(None, Some("31/01/2026")))
                .unwrap_err()
                .cause
                .starts_with("date:")
        );
        assert!(
            export_window(&request(Some("yesterday"), None))
                .unwrap_err()
                .cause
                .starts_with("scheduled_time:")
        );
        assert!(
            export_window(&request(None, None))
                .unwrap_err()
                .cause
                .contains("one is required")
        );
    }
}

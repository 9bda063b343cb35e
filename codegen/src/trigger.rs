//! Triggers: what starts a workflow's executions in a deployment, declared with the
//! workflow (next to the reason for it) and emitted into `manifest.json`'s `triggers`, so
//! the CDK app creates them from the manifest and names no workflow.
//!
//! Two kinds exist: [`Schedule`] (EventBridge Scheduler) and [`Trigger::EventRule`] (an
//! EventBridge rule on the default bus matching an event's source and detail-type). This
//! module checks a trigger at build time — the cron expression by AWS's rules, the input
//! template against the workflow's input schema, a rule's pattern, retry policy and
//! dead-letter queue — and must not know any deployment's actual names: those stay
//! `${Name}` placeholders ([`DeploymentName`], declared resources' placeholders) that the
//! deployment substitutes.

use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::asl::Problem;
use crate::placeholder::Substitutable;
use crate::resources::Resources;

/// What starts a workflow's executions; `kind` tags it in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Trigger {
    /// An EventBridge Scheduler schedule.
    Schedule(Schedule),
    /// An EventBridge rule on the account's default event bus whose target starts the
    /// workflow for every event with this `source` and `detail-type`. EventBridge starts
    /// an execution asynchronously: it retries (by `retry`) only a StartExecution that
    /// failed, then sends the event to `dead_letter_queue`.
    #[serde(rename_all = "camelCase")]
    EventRule {
        /// The events' `source`, e.g. `carousel.products`.
        source: &'static str,
        /// The events' `detail-type`, e.g. `carousel.product.sold`.
        detail_type: &'static str,
        /// What the execution gets: the whole event, or a template of it.
        input: RuleInput,
        /// The target's retry policy for a failed StartExecution.
        retry: RetryPolicy,
        /// A declared queue ([`QueueSpec`](stepwise_contract::deploy::QueueSpec)) that
        /// receives events whose StartExecution failed after the retries.
        dead_letter_queue: Option<&'static str>,
        /// Why the workflow runs on these events (the rule's description).
        reason: &'static str,
    },
}

/// The execution input an [`Trigger::EventRule`] passes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "template", rename_all = "camelCase")]
pub enum RuleInput {
    /// The event itself (`id`, `source`, `detail-type`, `time`, `detail`, …).
    WholeEvent,
    /// A JSON template (EventBridge's input transformer): a string `"<$.detail.x>"` is
    /// that field of the event (a JSONPath into it, `$.` then dot-separated names),
    /// `<aws.events.event>` is the whole event, and
    /// `${Name}` placeholders are the deployment's.
    Template(Value),
}

/// The retry policy of an EventBridge rule's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryPolicy {
    /// How many times a failed StartExecution is retried (EventBridge: 0 to 185).
    pub maximum_retry_attempts: u32,
    /// How long an event is retried, in seconds (EventBridge: 60 to 86,400).
    pub maximum_event_age_seconds: u32,
}

impl RetryPolicy {
    /// EventBridge's own default: 185 attempts over 24 hours.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        maximum_retry_attempts: 185,
        maximum_event_age_seconds: 86_400,
    };
}

/// The reserved variables of EventBridge's input transformer a template may use: the
/// whole event (the deployment renders it as the event path `$`).
pub const EVENTBRIDGE_VARIABLES: [&str; 1] = ["<aws.events.event>"];

/// A name the deployment gives a resource, written into an input template as its
/// `${Name}` placeholder and substituted by the deployment (the CDK stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentName {
    /// The SSM parameter holding the pipeline configuration: `${ConfigParameterName}`.
    ConfigParameter,
    /// The DynamoDB table of export progress: `${ProgressTableName}`.
    ProgressTable,
    /// The SSM parameter holding the group-images configuration:
    /// `${GroupImagesConfigParameterName}`.
    GroupImagesConfigParameter,
    /// The bucket of the analytics lake: `${LakeBucketName}`.
    LakeBucket,
    /// The ARN of the lake's S3 table bucket (its Iceberg tables):
    /// `${LakeTableBucketArn}`.
    LakeTableBucket,
    /// The namespace of the lake's Iceberg tables: `${LakeNamespaceName}`.
    LakeNamespace,
}

impl DeploymentName {
    /// Every name a deployment substitutes.
    pub const ALL: [DeploymentName; 6] = [
        DeploymentName::ConfigParameter,
        DeploymentName::ProgressTable,
        DeploymentName::GroupImagesConfigParameter,
        DeploymentName::LakeBucket,
        DeploymentName::LakeTableBucket,
        DeploymentName::LakeNamespace,
    ];

    /// The name inside the placeholder.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeploymentName::ConfigParameter => "ConfigParameterName",
            DeploymentName::ProgressTable => "ProgressTableName",
            DeploymentName::GroupImagesConfigParameter => "GroupImagesConfigParameterName",
            DeploymentName::LakeBucket => "LakeBucketName",
            DeploymentName::LakeTableBucket => "LakeTableBucketArn",
            DeploymentName::LakeNamespace => "LakeNamespaceName",
        }
    }

    /// The placeholder, `${Name}`, to write into an input template.
    pub const fn placeholder(self) -> &'static str {
        match self {
            DeploymentName::ConfigParameter => "${ConfigParameterName}",
            DeploymentName::ProgressTable => "${ProgressTableName}",
            DeploymentName::GroupImagesConfigParameter => "${GroupImagesConfigParameterName}",
            DeploymentName::LakeBucket => "${LakeBucketName}",
            DeploymentName::LakeTableBucket => "${LakeTableBucketArn}",
            DeploymentName::LakeNamespace => "${LakeNamespaceName}",
        }
    }

    /// What the build check fills the placeholder with: a value of the same form.
    pub const fn example(self) -> &'static str {
        match self {
            DeploymentName::ConfigParameter => "/stepwise/example/config",
            DeploymentName::ProgressTable => "stepwise-example-progress",
            DeploymentName::GroupImagesConfigParameter => "/stepwise/example/group-images/config",
            DeploymentName::LakeBucket => "stepwise-example-lake",
            DeploymentName::LakeTableBucket => {
                "arn:aws:s3tables:us-east-1:123456789012:bucket/stepwise-example-lake"
            }
            DeploymentName::LakeNamespace => "lake",
        }
    }
}

/// A value EventBridge Scheduler puts into a schedule's input when it fires (its
/// context attributes), written as Scheduler writes them, e.g.
/// `<aws.scheduler.scheduled-time>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedulerAttribute {
    /// When the schedule was meant to fire, RFC 3339 in UTC.
    ScheduledTime,
    /// The ID of this invocation.
    ExecutionId,
    /// The attempt number (1 on the first try).
    AttemptNumber,
    /// The schedule's ARN.
    ScheduleArn,
}

impl SchedulerAttribute {
    /// Every context attribute Scheduler substitutes.
    pub const ALL: [SchedulerAttribute; 4] = [
        SchedulerAttribute::ScheduledTime,
        SchedulerAttribute::ExecutionId,
        SchedulerAttribute::AttemptNumber,
        SchedulerAttribute::ScheduleArn,
    ];

    /// The attribute as written in the input.
    pub const fn as_str(self) -> &'static str {
        match self {
            SchedulerAttribute::ScheduledTime => "<aws.scheduler.scheduled-time>",
            SchedulerAttribute::ExecutionId => "<aws.scheduler.execution-id>",
            SchedulerAttribute::AttemptNumber => "<aws.scheduler.attempt-number>",
            SchedulerAttribute::ScheduleArn => "<aws.scheduler.schedule-arn>",
        }
    }

    /// A value of the form Scheduler delivers.
    const fn example(self) -> &'static str {
        match self {
            SchedulerAttribute::ScheduledTime => "2026-01-01T03:00:00Z",
            SchedulerAttribute::ExecutionId => "00000000-0000-4000-8000-000000000000",
            SchedulerAttribute::AttemptNumber => "1",
            SchedulerAttribute::ScheduleArn => {
                "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/example"
            }
        }
    }
}

/// The longest reason: it becomes the schedule's description (at most 512 characters)
/// after `"Starts <workflow>: "`.
pub const REASON_MAX: usize = 400;

/// An EventBridge Scheduler schedule that starts the workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    expression: String,
    timezone: String,
    input: Value,
    dead_letter_queue: bool,
    reason: String,
}

impl Schedule {
    /// A schedule on `expression`, a Scheduler cron expression with six fields,
    /// `cron(minutes hours day-of-month month day-of-week year)`, in UTC, passing `{}` as
    /// input, without a dead-letter queue. Checked by [`Workflow::build`](crate::workflow::Workflow::build).
    pub fn cron(expression: impl Into<String>) -> Self {
        Schedule {
            expression: expression.into(),
            timezone: "UTC".into(),
            input: Value::Object(Map::new()),
            dead_letter_queue: false,
            reason: String::new(),
        }
    }

    /// The time zone the expression is read in (an IANA name such as `Europe/Berlin`;
    /// default `UTC`).
    pub fn timezone(mut self, timezone: impl Into<String>) -> Self {
        self.timezone = timezone.into();
        self
    }

    /// The execution input the schedule passes: a template in which the deployment's
    /// names appear as [`DeploymentName::placeholder`]s and Scheduler's values as
    /// [`SchedulerAttribute::as_str`]. It must be a valid execution input once they are
    /// filled in (checked at build).
    pub fn input(mut self, template: Value) -> Self {
        self.input = template;
        self
    }

    /// Start requests Scheduler gives up on go to a dead-letter queue (the deployment
    /// creates it).
    pub fn dead_letter_queue(mut self) -> Self {
        self.dead_letter_queue = true;
        self
    }

    /// Why the workflow runs on this schedule (shown in the manifest and as the
    /// schedule's description).
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = reason.into();
        self
    }

    /// The cron expression.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The input template.
    pub fn input_template(&self) -> &Value {
        &self.input
    }

    /// The input as the build check sees it: every placeholder of the deployment's own
    /// names and every Scheduler attribute replaced by an example value of its form.
    pub fn example_input(&self) -> Value {
        fill(&self.input, &Substitutable::new(&Resources::default()))
    }
}

impl Trigger {
    /// The `${…}` names its input template uses.
    pub fn placeholders(&self) -> Vec<String> {
        let mut out = Vec::new();
        let template = match self {
            Trigger::Schedule(s) => Some(&s.input),
            Trigger::EventRule {
                input: RuleInput::Template(t),
                ..
            } => Some(t),
            Trigger::EventRule { .. } => None,
        };
        if let Some(template) = template {
            strings(template, &mut |text| {
                out.extend(
                    crate::placeholder::names_in(text)
                        .into_iter()
                        .map(String::from),
                );
            });
        }
        out
    }

    /// Every problem of this trigger, for a workflow whose execution input has
    /// `input_schema` and whose deployment substitutes `known`.
    pub(crate) fn problems(
        &self,
        input_schema: &Value,
        known: &Substitutable,
        resources: &Resources,
    ) -> Vec<Problem> {
        match self {
            Trigger::Schedule(s) => s.problems(input_schema, known),
            Trigger::EventRule {
                source,
                detail_type,
                input,
                retry,
                dead_letter_queue,
                reason,
            } => {
                let mut out = Vec::new();
                let mut push = |message: String| {
                    out.push(Problem::top(format!(
                        "event rule \"{source}\"/\"{detail_type}\": {message}"
                    )));
                };
                if source.trim().is_empty() || detail_type.trim().is_empty() {
                    push("the pattern needs a non-empty source and detail-type".into());
                }
                if retry.maximum_retry_attempts > 185 {
                    push(format!(
                        "maximum_retry_attempts {} is over EventBridge's 185",
                        retry.maximum_retry_attempts
                    ));
                }
                if !(60..=86_400).contains(&retry.maximum_event_age_seconds) {
                    push(format!(
                        "maximum_event_age_seconds {} is outside EventBridge's 60 to 86400",
                        retry.maximum_event_age_seconds
                    ));
                }
                if let Some(queue) = dead_letter_queue
                    && resources.queue(queue).is_none()
                {
                    push(format!(
                        "dead-letter queue \"{queue}\" is not a queue the workflow declares (add .queue(QueueSpec {{ name: \"{queue}\", .. }}))"
                    ));
                }
                if reason.trim().is_empty() {
                    push("reason is empty: say why the workflow runs on these events".into());
                } else if reason.chars().count() > REASON_MAX {
                    push(format!(
                        "reason is longer than {REASON_MAX} characters (it becomes the rule's description)"
                    ));
                }
                if let RuleInput::Template(template) = input {
                    let mut bad = Vec::new();
                    rule_markers(template, "", known, &mut bad);
                    for b in bad {
                        push(b);
                    }
                }
                out
            }
        }
    }
}

/// Reports unknown `${…}` placeholders and `<…>` markers that are neither an event path
/// (`<$.detail.x>`) nor an EventBridge variable in a rule's input template.
fn rule_markers(template: &Value, at: &str, known: &Substitutable, out: &mut Vec<String>) {
    match template {
        Value::String(s) => {
            for name in crate::placeholder::names_in(s) {
                if !known.contains(name) {
                    out.push(format!(
                        "input at {}: unknown placeholder \"${{{name}}}\" (the deployment substitutes: {})",
                        slash(at),
                        known.list()
                    ));
                }
            }
            let mut rest = s.as_str();
            while let Some(start) = rest.find('<') {
                let after = &rest[start..];
                let end = after.find('>').map_or(after.len(), |e| e + 1);
                let marker = &after[..end];
                let path_ok = marker
                    .strip_prefix("<$.")
                    .and_then(|p| p.strip_suffix('>'))
                    .is_some_and(|p| {
                        p.split('.').all(|seg| {
                            !seg.is_empty()
                                && seg
                                    .chars()
                                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
                        })
                    });
                if !path_ok && !EVENTBRIDGE_VARIABLES.contains(&marker) {
                    out.push(format!(
                        "input at {}: \"{marker}\" is neither an event path like <$.detail.id> nor an EventBridge variable ({})",
                        slash(at),
                        EVENTBRIDGE_VARIABLES.join(", ")
                    ));
                }
                rest = &after[end..];
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                rule_markers(item, &format!("{at}/{i}"), known, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                if k.contains("${") || k.contains('<') {
                    out.push(format!(
                        "input at {}: key \"{k}\": placeholders belong in string values only",
                        slash(at)
                    ));
                }
                rule_markers(v, &format!("{at}/{k}"), known, out);
            }
        }
        _ => {}
    }
}

impl Schedule {
    fn problems(&self, input_schema: &Value, known: &Substitutable) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |message: String| {
            out.push(Problem::top(format!(
                "schedule \"{}\": {message}",
                self.expression
            )));
        };
        if let Err(e) = check_cron(&self.expression) {
            push(e);
        }
        if !is_time_zone(&self.timezone) {
            push(format!(
                "time zone \"{}\" is not an IANA time zone name (e.g. UTC, Europe/Berlin)",
                self.timezone
            ));
        }
        if self.reason.trim().is_empty() {
            push("reason is empty: say why the workflow runs on this schedule".into());
        } else if self.reason.chars().count() > REASON_MAX {
            push(format!(
                "reason is longer than {REASON_MAX} characters (it becomes the schedule's description)"
            ));
        }
        let mut bad = Vec::new();
        unknown_markers(&self.input, "", known, &mut bad);
        let clean = bad.is_empty();
        for b in bad {
            push(b);
        }
        if clean {
            match jsonschema::validator_for(input_schema) {
                Ok(validator) => {
                    for e in validator.iter_errors(&fill(&self.input, known)) {
                        let at = e.instance_path().to_string();
                        let field = if at.is_empty() { "/".to_string() } else { at };
                        push(format!(
                            "input is not a valid execution input of the workflow: at {field}: {e}"
                        ));
                    }
                }
                Err(e) => push(format!("the workflow's input schema does not compile: {e}")),
            }
        }
        out
    }
}

/// Replaces each `${Name}` and `<aws.scheduler.…>` in string values by its example.
fn fill(template: &Value, known: &Substitutable) -> Value {
    match template {
        Value::String(s) => {
            let mut text = known.fill(s);
            for a in SchedulerAttribute::ALL {
                text = text.replace(a.as_str(), a.example());
            }
            Value::String(text)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| fill(i, known)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill(v, known)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Reports `${…}` placeholders and `<aws.scheduler.…>` attributes that nothing would
/// substitute, and placeholders in object keys.
fn unknown_markers(template: &Value, at: &str, known: &Substitutable, out: &mut Vec<String>) {
    match template {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                let after = &rest[start + 2..];
                let Some(end) = after.find('}') else {
                    out.push(format!(
                        "input at {}: \"{s}\" has an unclosed \"${{\"",
                        slash(at)
                    ));
                    break;
                };
                let name = &after[..end];
                if !known.contains(name) {
                    out.push(format!(
                        "input at {}: unknown placeholder \"${{{name}}}\" (the deployment substitutes: {})",
                        slash(at),
                        known.list()
                    ));
                }
                rest = &after[end + 1..];
            }
            let mut rest = s.as_str();
            while let Some(start) = rest.find("<aws.") {
                let after = &rest[start..];
                let end = after.find('>').map_or(after.len(), |e| e + 1);
                let attribute = &after[..end];
                if !SchedulerAttribute::ALL
                    .iter()
                    .any(|a| a.as_str() == attribute)
                {
                    out.push(format!(
                        "input at {}: \"{attribute}\" is not a Scheduler context attribute (known: {})",
                        slash(at),
                        SchedulerAttribute::ALL.map(|a| a.as_str()).join(", ")
                    ));
                }
                rest = &after[end..];
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                unknown_markers(item, &format!("{at}/{i}"), known, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                if k.contains("${") || k.contains("<aws.") {
                    out.push(format!(
                        "input at {}: key \"{k}\": placeholders belong in string values only",
                        slash(at)
                    ));
                }
                unknown_markers(v, &format!("{at}/{k}"), known, out);
            }
        }
        _ => {}
    }
}

/// Calls `f` for every string value in a template.
fn strings(template: &Value, f: &mut impl FnMut(&str)) {
    match template {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, f)),
        Value::Object(map) => map.values().for_each(|v| strings(v, f)),
        _ => {}
    }
}

fn slash(at: &str) -> &str {
    if at.is_empty() { "/" } else { at }
}

/// An IANA zone name in form: `UTC`, `Area/Location`, `Etc/GMT+5`; checked for shape
/// only (the deployment's Scheduler knows the database).
fn is_time_zone(tz: &str) -> bool {
    !tz.is_empty()
        && tz.len() <= 50
        && tz.split('/').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
}

/// One field of a cron expression: its name, range and the month/day names it accepts
/// (numbered from `min`).
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: &DAYS,
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
    },
];
const DAY_OF_MONTH: usize = 2;
const DAY_OF_WEEK: usize = 4;

/// A cron expression problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError(String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks an EventBridge Scheduler cron expression by AWS's rules: `cron(` six fields
/// `)` — minutes 0-59, hours 0-23, day-of-month 1-31 (also `?`, `L`, `LW`, `nW`), month
/// 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (also `?`, `L`, `nL`, `n#k`), year
/// 1970-2199 — each a `,` list of `*`, values, ranges `a-b` and steps `/n`; exactly one
/// of day-of-month and day-of-week is `?`.
pub fn check_cron(expression: &str) -> Result<(), String> {
    let Some(inner) = expression
        .strip_prefix("cron(")
        .and_then(|s| s.strip_suffix(')'))
    else {
        return Err(
            "is not a cron expression: expected cron(minutes hours day-of-month month day-of-week year)"
                .into(),
        );
    };
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != FIELDS.len() {
        return Err(format!(
            "has {} fields; EventBridge Scheduler needs 6: cron(minutes hours day-of-month month day-of-week year){}",
            fields.len(),
            if fields.len() == 5 {
                " — is the year missing?"
            } else {
                ""
            }
        ));
    }
    for (i, (text, field)) in fields.iter().zip(&FIELDS).enumerate() {
        check_field(text, field, i).map_err(|e| format!("{} \"{text}\": {e}", field.name))?;
    }
    match (fields[DAY_OF_MONTH] == "?", fields[DAY_OF_WEEK] == "?") {
        (true, false) | (false, true) => Ok(()),
        (false, false) => Err(format!(
            "day-of-month \"{}\" and day-of-week \"{}\" are both set: one of them must be ? (AWS cannot combine them; e.g. cron(0 3 * * ? *) for every day)",
            fields[DAY_OF_MONTH], fields[DAY_OF_WEEK]
        )),
        (true, true) => Err(
            "day-of-month and day-of-week are both ?: exactly one of them must be ? (use * in the other for every day)"
                .into(),
        ),
    }
}

fn check_field(text: &str, field: &Field, index: usize) -> Result<(), String> {
    if text == "?" {
        return if index == DAY_OF_MONTH || index == DAY_OF_WEEK {
            Ok(())
        } else {
            Err("? is allowed only in day-of-month and day-of-week".into())
        };
    }
    for item in text.split(',') {
        check_item(item, field, index)?;
    }
    Ok(())
}

fn check_item(item: &str, field: &Field, index: usize) -> Result<(), String> {
    if item.is_empty() {
        return Err("empty list item".into());
    }
    if index == DAY_OF_MONTH {
        if item == "L" || item == "LW" {
            return Ok(());
        }
        if let Some(day) = item.strip_suffix('W') {
            return value(day, field).map(drop);
        }
    }
    if index == DAY_OF_WEEK {
        if item == "L" {
            return Ok(());
        }
        if let Some(day) = item.strip_suffix('L') {
            return value(day, field).map(drop);
        }
        if let Some((day, nth)) = item.split_once('#') {
            value(day, field)?;
            return match nth.parse::<u32>() {
                Ok(1..=5) => Ok(()),
                _ => Err(format!("\"#{nth}\": the week of the month is 1 to 5")),
            };
        }
    }
    let (base, step) = match item.split_once('/') {
        Some((base, step)) => (base, Some(step)),
        None => (item, None),
    };
    if let Some(step) = step {
        match step.parse::<u32>() {
            Ok(n) if n >= 1 && n <= field.max => {}
            _ => {
                return Err(format!(
                    "\"/{step}\": a step is a whole number from 1 to {}",
                    field.max
                ));
            }
        }
    }
    if base == "*" {
        return Ok(());
    }
    match base.split_once('-') {
        Some((from, to)) => {
            value(from, field)?;
            value(to, field)?;
        }
        None => {
            value(base, field)?;
        }
    }
    Ok(())
}

fn value(text: &str, field: &Field) -> Result<u32, String> {
    let upper = text.to_ascii_uppercase();
    if let Some(i) = field.names.iter().position(|n| *n == upper) {
        return Ok(field.min + u32::try_from(i).unwrap_or(0));
    }
    let names = if field.names.is_empty() {
        String::new()
    } else {
        format!(
            " or {}-{}",
            field.names[0],
            field.names[field.names.len() - 1]
        )
    };
    match text.parse::<u32>() {
        Ok(v) if (field.min..=field.max).contains(&v) && !text.starts_with('+') => Ok(v),
        _ => Err(format!(
            "\"{text}\" is not a value from {} to {}{names}",
            field.min, field.max
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_aws_documented_expressions() {
        for e in [
            "cron(0 3 * * ? *)",
            "cron(0 10 * * ? *)",
            "cron(15 12 * * ? *)",
            "cron(0 18 ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0/15 * * * ? *)",
            "cron(0/10 * ? * MON-FRI *)",
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(0 9 ? * 2#1 *)",
            "cron(0 0 L * ? *)",
            "cron(0 0 3W * ? *)",
            "cron(0 0 ? * 6L 2026-2030)",
            "cron(30 2 1,15 jan,jul ? 2027)",
        ] {
            assert_eq!(check_cron(e), Ok(()), "{e}");
        }
    }

    #[test]
    fn rejects_what_aws_rejects_with_a_reason() {
        let cases = [
            ("rate(1 day)", "is not a cron expression"),
            (
                "cron(0 3 * * ?)",
                "has 5 fields; EventBridge Scheduler needs 6",
            ),
            ("cron(0 3 * * * *)", "both set: one of them must be ?"),
            ("cron(0 3 ? * ? *)", "both ?"),
            (
                "cron(60 3 * * ? *)",
                "minutes \"60\": \"60\" is not a value from 0 to 59",
            ),
            ("cron(0 24 * * ? *)", "hours \"24\""),
            ("cron(0 3 0 * ? *)", "day-of-month \"0\""),
            ("cron(0 3 * 13 ? *)", "month \"13\""),
            (
                "cron(0 3 ? * FUN *)",
                "day-of-week \"FUN\": \"FUN\" is not a value from 1 to 7 or SUN-SAT",
            ),
            ("cron(0 3 * * ? 1969)", "year \"1969\""),
            (
                "cron(? 3 * * ? *)",
                "? is allowed only in day-of-month and day-of-week",
            ),
            ("cron(0/0 3 * * ? *)", "a step is a whole number"),
            ("cron(0 3 ? * 2#6 *)", "week of the month is 1 to 5"),
            ("cron(0 3 1,,2 * ? *)", "empty list item"),
        ];
        for (e, expected) in cases {
            let err = check_cron(e).expect_err(e);
            assert!(err.contains(expected), "{e}: {err}");
        }
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["table", "when"],
            "properties": {
                "table": {"type": "string"},
                "when": {"type": "string"},
                "tries": {"type": "string"}
            }
        })
    }

    fn problems(s: Schedule) -> Vec<String> {
        Trigger::Schedule(s)
            .problems(
                &schema(),
                &Substitutable::new(&Resources::default()),
                &Resources::default(),
            )
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_template_that_fills_to_a_valid_input_is_clean() {
        let s = Schedule::cron("cron(0 3 * * ? *)")
            .input(json!({
                "table": DeploymentName::ProgressTable.placeholder(),
                "when": SchedulerAttribute::ScheduledTime.as_str(),
                "tries": SchedulerAttribute::AttemptNumber.as_str()
            }))
            .reason("nightly");
        assert_eq!(problems(s.clone()), Vec::<String>::new());
        assert_eq!(
            s.example_input(),
            json!({"table": "stepwise-example-progress", "when": "2026-01-01T03:00:00Z", "tries": "1"})
        );
    }

    #[test]
    fn an_input_the_workflow_rejects_is_a_build_error_naming_the_field() {
        let s = Schedule::cron("cron(0 3 * * ? *)")
            .input(json!({"table": "${ProgressTableName}", "when": 3}))
            .reason("nightly");
        let p = problems(s);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("input is not a valid execution input of the workflow: at /when:"),
            "{p:?}"
        );

        let missing = problems(
            Schedule::cron("cron(0 3 * * ? *)")
                .input(json!({"table": "${ProgressTableName}", "scheduled": "<aws.scheduler.scheduled-time>"}))
                .reason("nightly"),
        );
        assert!(
            missing
                .iter()
                .any(|m| m.contains("\"when\" is a required property")),
            "{missing:?}"
        );
        assert!(
            missing.iter().any(|m| m.contains("'scheduled'")),
            "{missing:?}"
        );
    }

    #[test]
    fn unknown_placeholders_and_attributes_are_named() {
        let s = Schedule::cron("cron(0 3 * * ? *)")
            .input(json!({"table": "${ProgressTable}", "when": "<aws.scheduler.scheduled_time>"}))
            .reason("nightly");
        let p = problems(s);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("input at /table: unknown placeholder \"${ProgressTable}\" (the deployment substitutes: ${ConfigParameterName}, ${ProgressTableName}, ${GroupImagesConfigParameterName}, ${LakeBucketName}, ${LakeTableBucketArn}, ${LakeNamespaceName})"), "{p:?}");
        assert!(p[1].contains("input at /when: \"<aws.scheduler.scheduled_time>\" is not a Scheduler context attribute"), "{p:?}");
    }

    #[test]
    fn bad_expression_time_zone_and_missing_reason_are_reported() {
        let s = Schedule::cron("cron(0 3 * * * *)")
            .timezone("Mars Base")
            .input(json!({"table": "t", "when": "w"}));
        let p = problems(s);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].starts_with("Top level: schedule \"cron(0 3 * * * *)\": day-of-month \"*\" and day-of-week \"*\" are both set"), "{p:?}");
        assert!(p[1].contains("time zone \"Mars Base\""), "{p:?}");
        assert!(p[2].contains("reason is empty"), "{p:?}");
    }

    fn rule(input: RuleInput, dlq: Option<&'static str>, retry: RetryPolicy) -> Trigger {
        Trigger::EventRule {
            source: "carousel.products",
            detail_type: "carousel.product.sold",
            input,
            retry,
            dead_letter_queue: dlq,
            reason: "one execution per sale",
        }
    }

    #[test]
    fn event_rules_check_retry_dead_letter_queue_and_template_markers() {
        let resources = Resources {
            queues: vec![stepwise_contract::deploy::QueueSpec {
                name: "dead-letters",
                retention_days: 14,
                reason: "r",
            }],
            ..Resources::default()
        };
        let known = Substitutable::new(&resources);
        let problems = |t: Trigger| -> Vec<String> {
            t.problems(&schema(), &known, &resources)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            problems(rule(
                RuleInput::WholeEvent,
                Some("dead-letters"),
                RetryPolicy::DEFAULT
            )),
            Vec::<String>::new()
        );
        let p = problems(rule(
            RuleInput::Template(json!({
                "tenant": "<$.detail.tenantId>",
                "event": "<aws.events.event>",
                "queue": "${DeadLettersQueueUrl}",
                "bad": "<detail.x>",
                "unknown": "${JobsQueueUrl}"
            })),
            Some("jobs"),
            RetryPolicy {
                maximum_retry_attempts: 200,
                maximum_event_age_seconds: 30,
            },
        ));
        let expected = [
            "maximum_retry_attempts 200 is over EventBridge's 185",
            "maximum_event_age_seconds 30 is outside EventBridge's 60 to 86400",
            "dead-letter queue \"jobs\" is not a queue the workflow declares",
            "input at /bad: \"<detail.x>\" is neither an event path",
            "input at /unknown: unknown placeholder \"${JobsQueueUrl}\"",
        ];
        for e in expected {
            assert!(p.iter().any(|m| m.contains(e)), "{e}\nin {p:#?}");
        }
        assert_eq!(p.len(), expected.len(), "{p:#?}");
        assert!(p[0].starts_with(
            "Top level: event rule \"carousel.products\"/\"carousel.product.sold\": "
        ));
    }

    #[test]
    fn an_event_rule_serialises_with_its_pattern_retry_and_queue() {
        let t = rule(
            RuleInput::WholeEvent,
            Some("dead-letters"),
            RetryPolicy::DEFAULT,
        );
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"kind": "eventRule", "source": "carousel.products", "detailType": "carousel.product.sold",
                   "input": {"kind": "wholeEvent"},
                   "retry": {"maximumRetryAttempts": 185, "maximumEventAgeSeconds": 86400},
                   "deadLetterQueue": "dead-letters", "reason": "one execution per sale"})
        );
        let t = rule(
            RuleInput::Template(json!({"id": "<$.id>"})),
            None,
            RetryPolicy::DEFAULT,
        );
        assert_eq!(
            serde_json::to_value(&t).unwrap()["input"],
            json!({"kind": "template", "template": {"id": "<$.id>"}})
        );
    }

    #[test]
    fn serialises_as_a_kind_tagged_trigger() {
        let t = Trigger::Schedule(
            Schedule::cron("cron(0 3 * * ? *)")
                .timezone("Europe/Berlin")
                .input(json!({"a": "${ConfigParameterName}"}))
                .dead_letter_queue()
                .reason("why"),
        );
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            json!({"kind": "schedule", "expression": "cron(0 3 * * ? *)", "timezone": "Europe/Berlin",
                   "input": {"a": "${ConfigParameterName}"}, "deadLetterQueue": true, "reason": "why"})
        );
    }
}

//! The conformance suite: differential testing of `sfn-local` against moto's ASL
//! interpreter.
//!
//! Every file in `tests/conformance/` is one case: a state machine, its input and, when
//! moto deviates from what AWS documents, an `aws` block with AWS's documented result, a
//! recording of moto's actual result and the reason. Each case runs on both engines:
//!
//! * **sfn-local** in-process, in virtual time, with [`Integrations`] standing in for the
//!   AWS SDK integrations moto serves (sfn-local runs activities, not AWS APIs);
//! * **moto** through the Step Functions API of one shared moto server
//!   (`CreateStateMachine`, `StartExecution`, `DescribeExecution` until it leaves
//!   `RUNNING`, `GetExecutionHistory`), with `execute_state_machine` switched on so moto
//!   runs the definition with its interpreter ([`MotoServer::enable_asl_execution`]).
//!
//! Both engines get the same state machine and execution names, so context-object fields
//! (`$$.Execution.Id`, `$$.StateMachine.Name`, …) are comparable. A case without an `aws`
//! block passes when both agree on the status, the output (as JSON values) or the error
//! name (and the cause when the case sets `compare_cause`), and the ordered list of
//! states entered (as a multiset when `unordered_states` says concurrency makes the
//! order arbitrary). A case with an `aws` block passes when sfn-local gives AWS's
//! documented result and moto gives exactly its recorded result, so the table stays
//! honest when moto changes.
//!
//! Cases run eight at a time; the test prints
//! `conformance: N cases, M agree with moto, K recorded moto deviations`.
//!
//! The suite talks to nothing but the moto server of its own test process, and only reads
//! the case files.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::ExecutionStatus;
use futures::stream::{self, StreamExt};
use serde_json::{Map, Value, json};
use sfn_local::{Catalog, Failure, Launcher, Options, Status, TaskFuture, TaskRequest, TaskRunner};
use stepwise_tests::{MotoServer, unique_id, workspace_root};

/// How many cases run at once.
const CONCURRENCY: usize = 8;
/// How long one moto execution may run before the case fails.
const EXECUTION_DEADLINE: Duration = Duration::from_secs(60);
/// The role every state machine is created with (moto does not check it).
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/x";
/// The account moto and the emulated integrations answer for.
const ACCOUNT: &str = "123456789012";

// ---------------------------------------------------------------------------------------
// Case files
// ---------------------------------------------------------------------------------------

/// One conformance case, as read from `tests/conformance/<file>.json`.
#[derive(Debug, Clone)]
struct Case {
    file: String,
    name: String,
    definition: Value,
    input: Value,
    unordered_states: bool,
    compare_cause: bool,
    deviation: Option<Deviation>,
    /// State machines the case's `states:startExecution` Tasks start, by name (created
    /// under that name on moto, known to sfn-local's catalog).
    children: Vec<(String, Value)>,
}

/// A recorded moto deviation: what AWS documents and what moto does instead.
#[derive(Debug, Clone)]
struct Deviation {
    aws: Expected,
    moto: Expected,
}

/// An expected result (AWS's documented one, or moto's recorded one).
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    status: String,
    /// The output as JSON (when it is JSON).
    output: Option<Value>,
    /// The output as raw text (for moto outputs that are not JSON).
    output_text: Option<String>,
    error: Option<String>,
    states: Vec<String>,
}

/// The directory of the case files.
fn cases_dir() -> PathBuf {
    workspace_root().join("tests/conformance")
}

fn load_cases() -> Vec<Case> {
    let dir = cases_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the case directory {}: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut problems = Vec::new();
    let mut cases = Vec::new();
    for path in &paths {
        match load_case(path) {
            Ok(case) => cases.push(case),
            Err(e) => problems.push(format!("{}: {e}", path.display())),
        }
    }
    let mut names = BTreeSet::new();
    for case in &cases {
        if !names.insert(case.name.clone()) {
            problems.push(format!(
                "{}: the name {:?} is used twice",
                case.file, case.name
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "invalid case files:\n{}",
        problems.join("\n")
    );
    cases
}

fn load_case(path: &Path) -> Result<Case, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let obj = doc.as_object().ok_or("a case is a JSON object")?;
    only_keys(
        obj,
        &[
            "name",
            "description",
            "definition",
            "input",
            "aws",
            "unordered_states",
            "compare_cause",
            "children",
        ],
        "the case",
    )?;
    let name = string_field(obj, "name")?;
    string_field(obj, "description")?;
    let definition = obj.get("definition").cloned().ok_or("no definition")?;
    // The definition must be valid ASL for sfn-local's model.
    codegen::asl::from_value(definition.clone()).map_err(|e| format!("definition: {e}"))?;
    let deviation = match obj.get("aws") {
        None => None,
        Some(aws) => Some(parse_deviation(aws)?),
    };
    let mut children = Vec::new();
    if let Some(given) = obj.get("children") {
        let given = given
            .as_object()
            .ok_or("children: expected an object of state machine definitions by name")?;
        for (name, child) in given {
            codegen::asl::from_value(child.clone()).map_err(|e| format!("children.{name}: {e}"))?;
            children.push((name.clone(), child.clone()));
        }
    }
    Ok(Case {
        file: path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        name,
        definition,
        input: obj.get("input").cloned().unwrap_or_else(|| json!({})),
        unordered_states: bool_field(obj, "unordered_states")?,
        compare_cause: bool_field(obj, "compare_cause")?,
        deviation,
        children,
    })
}

fn parse_deviation(aws: &Value) -> Result<Deviation, String> {
    let obj = aws.as_object().ok_or("aws: expected an object")?;
    only_keys(
        obj,
        &[
            "status",
            "output",
            "error",
            "states",
            "moto_deviation",
            "moto",
        ],
        "aws",
    )?;
    let why = string_field(obj, "moto_deviation")?;
    if !why.contains("https://docs.aws.amazon.com/") {
        return Err("aws.moto_deviation must cite the AWS documentation it follows".into());
    }
    let aws_result = parse_expected(obj, "aws")?;
    if aws_result.output_text.is_some() {
        return Err("aws: output_text is only for moto's recorded result".into());
    }
    let moto = obj
        .get("moto")
        .and_then(Value::as_object)
        .ok_or("aws.moto: moto's recorded result is required")?;
    only_keys(
        moto,
        &["status", "output", "output_text", "error", "states"],
        "aws.moto",
    )?;
    let moto_result = parse_expected(moto, "aws.moto")?;
    if moto_result == aws_result {
        return Err("aws.moto equals the AWS result: this is no deviation".into());
    }
    Ok(Deviation {
        aws: aws_result,
        moto: moto_result,
    })
}

fn parse_expected(obj: &Map<String, Value>, what: &str) -> Result<Expected, String> {
    let status = string_field(obj, "status").map_err(|e| format!("{what}: {e}"))?;
    if !["SUCCEEDED", "FAILED", "TIMED_OUT"].contains(&status.as_str()) {
        return Err(format!("{what}.status: unknown status {status:?}"));
    }
    let states = obj
        .get("states")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{what}.states: expected an array of state names"))?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| format!("{what}.states: expected state names"))?;
    let error = match obj.get("error") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(format!("{what}.error: expected a string")),
    };
    let output_text = match obj.get("output_text") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(format!("{what}.output_text: expected a string")),
    };
    let output = obj.get("output").cloned();
    match status.as_str() {
        "SUCCEEDED" if output.is_none() && output_text.is_none() => {
            Err(format!("{what}: a SUCCEEDED result needs an output"))
        }
        "FAILED" if error.is_none() => Err(format!("{what}: a FAILED result needs an error")),
        _ => Ok(Expected {
            status,
            output,
            output_text,
            error,
            states,
        }),
    }
}

fn only_keys(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("{what}: unknown field {k:?}")),
        None => Ok(()),
    }
}

fn string_field(obj: &Map<String, Value>, key: &str) -> Result<String, String> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{key}: expected a non-empty string"))
}

fn bool_field(obj: &Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.get(key) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{key}: expected a boolean")),
    }
}

// ---------------------------------------------------------------------------------------
// Results of one run
// ---------------------------------------------------------------------------------------

/// How an execution ended, on either engine.
#[derive(Debug, Clone)]
struct Observed {
    status: String,
    /// The output text exactly as the engine reported it.
    output_text: Option<String>,
    error: Option<String>,
    cause: Option<String>,
    states: Vec<String>,
}

impl Observed {
    /// The output parsed as JSON, if it is JSON.
    fn output(&self) -> Option<Value> {
        self.output_text
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
    }

    fn describe(&self) -> String {
        let mut text = format!("status {}", self.status);
        if let Some(o) = &self.output_text {
            let _ = write!(text, ", output {}", shorten(o));
        }
        if let Some(e) = &self.error {
            let _ = write!(text, ", error {e:?}");
        }
        if let Some(c) = &self.cause {
            let _ = write!(text, ", cause {:?}", shorten(c));
        }
        let _ = write!(text, ", states {:?}", self.states);
        text
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= 300 {
        text.to_string()
    } else {
        let mut short: String = text.chars().take(300).collect();
        short.push('…');
        short
    }
}

// ---------------------------------------------------------------------------------------
// sfn-local, with emulated integrations
// ---------------------------------------------------------------------------------------

/// Stands in for the AWS SDK integrations the cases call on moto. sfn-local runs
/// activities in-process and has no AWS service integrations, so each integration a case
/// uses answers here with the result AWS gives for that exact call: a missing table
/// fails with the service's error name, `sts:getCallerIdentity` answers moto's
/// identity. The cases then compare what the *state machine* does with that result
/// (Retry, Catch, ResultSelector, paths). Anything else fails with a clear error.
struct Integrations;

/// The resources [`Integrations`] answers.
const EMULATED: &[&str] = &[
    "arn:aws:states:::dynamodb:getItem",
    "arn:aws:states:::aws-sdk:dynamodb:getItem",
    "arn:aws:states:::aws-sdk:sts:getCallerIdentity",
];

/// Names of resources the cases use that do not exist in moto.
const MISSING_PREFIX: &str = "stepwise-conformance-missing";

impl TaskRunner for Integrations {
    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        if EMULATED.contains(&resource) {
            Ok(())
        } else {
            Err(format!(
                "State \"{state}\": the conformance suite cannot run resource \"{resource}\" on sfn-local; it emulates only {}",
                EMULATED.join(", ")
            ))
        }
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move { emulate(&request.resource, &request.input) })
    }
}

fn emulate(resource: &str, input: &Value) -> Result<Value, Failure> {
    let text = |key: &str| input.get(key).and_then(Value::as_str).unwrap_or_default();
    let missing = |name: &str| name.starts_with(MISSING_PREFIX);
    match resource {
        "arn:aws:states:::dynamodb:getItem" if missing(text("TableName")) => Err(Failure::new(
            "DynamoDB.ResourceNotFoundException",
            "Requested resource not found",
        )),
        "arn:aws:states:::aws-sdk:dynamodb:getItem" if missing(text("TableName")) => {
            Err(Failure::new(
                "DynamoDb.ResourceNotFoundException",
                "Requested resource not found",
            ))
        }
        "arn:aws:states:::aws-sdk:sts:getCallerIdentity" => Ok(json!({
            "UserId": "AKIAIOSFODNN7EXAMPLE",
            "Account": ACCOUNT,
            "Arn": format!("arn:aws:sts::{ACCOUNT}:user/moto"),
        })),
        _ => Err(Failure::new(
            "Conformance.NotEmulated",
            format!("the conformance suite has no emulation of {resource} with input {input}"),
        )),
    }
}

async fn run_local(case: &Case, machine_name: &str, execution_name: &str) -> Observed {
    let machine = match codegen::asl::from_value(case.definition.clone()) {
        Ok(m) => m,
        Err(e) => return start_failure(format!("definition: {e}")),
    };
    let mut catalog = Catalog::new();
    for (name, child) in &case.children {
        match codegen::asl::from_value(child.clone()) {
            Ok(m) => catalog = catalog.with(name, m, false),
            Err(e) => return start_failure(format!("children.{name}: {e}")),
        }
    }
    let launcher: Arc<dyn Launcher> = Arc::new(catalog);
    let options = Options {
        virtual_time: true,
        state_machine_name: machine_name.to_string(),
        execution_name: Some(execution_name.to_string()),
        seed: Some(1),
        launcher: Some(launcher),
        ..Options::default()
    };
    match sfn_local::execute(
        &machine,
        case.input.clone(),
        Arc::new(Integrations),
        options,
    )
    .await
    {
        Err(e) => start_failure(e.to_string()),
        Ok(outcome) => Observed {
            status: match outcome.status {
                Status::Succeeded => "SUCCEEDED",
                Status::Failed => "FAILED",
                Status::TimedOut => "TIMED_OUT",
            }
            .to_string(),
            output_text: outcome.output.as_ref().map(Value::to_string),
            error: outcome.failure.as_ref().map(|f| f.error.clone()),
            cause: outcome.failure.as_ref().map(|f| f.cause.clone()),
            states: outcome.states_entered(),
        },
    }
}

fn start_failure(message: String) -> Observed {
    Observed {
        status: "NOT_STARTED".into(),
        output_text: None,
        error: Some(message),
        cause: None,
        states: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------
// moto
// ---------------------------------------------------------------------------------------

/// Runs a one-state machine and checks moto really executed it (its default backend does
/// not run definitions and never produces this output).
async fn check_moto_executes(client: &aws_sdk_sfn::Client) {
    let case = Case {
        file: "(check)".into(),
        name: "check".into(),
        definition: json!({"StartAt": "Probe", "States": {"Probe": {
            "Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, 1)"}, "End": true}}}),
        input: json!({"a": 41}),
        unordered_states: false,
        compare_cause: false,
        deviation: None,
        children: Vec::new(),
    };
    let name = format!("conformance-check-{}", unique_id());
    let observed = run_moto(client, &case, &name, &name).await;
    assert!(
        observed.status == "SUCCEEDED" && observed.output() == Some(json!({"sum": 42})),
        "moto does not execute state machines although execute_state_machine was set; got {}",
        observed.describe()
    );
}

async fn run_moto(
    client: &aws_sdk_sfn::Client,
    case: &Case,
    machine_name: &str,
    execution_name: &str,
) -> Observed {
    match try_run_moto(client, case, machine_name, execution_name).await {
        Ok(observed) => observed,
        Err(message) => start_failure(message),
    }
}

async fn try_run_moto(
    client: &aws_sdk_sfn::Client,
    case: &Case,
    machine_name: &str,
    execution_name: &str,
) -> Result<Observed, String> {
    for (name, child) in &case.children {
        client
            .create_state_machine()
            .name(name)
            .definition(child.to_string())
            .role_arn(ROLE_ARN)
            .send()
            .await
            .map_err(|e| format!("CreateStateMachine {name}: {}", error_text(&e)))?;
    }
    let machine = client
        .create_state_machine()
        .name(machine_name)
        .definition(case.definition.to_string())
        .role_arn(ROLE_ARN)
        .send()
        .await
        .map_err(|e| format!("CreateStateMachine: {}", error_text(&e)))?;
    let execution = client
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .name(execution_name)
        .input(case.input.to_string())
        .send()
        .await
        .map_err(|e| format!("StartExecution: {}", error_text(&e)))?;
    let arn = execution.execution_arn();
    let deadline = Instant::now() + EXECUTION_DEADLINE;
    let described = loop {
        let described = client
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .map_err(|e| format!("DescribeExecution: {}", error_text(&e)))?;
        if *described.status() != ExecutionStatus::Running {
            break described;
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the execution still runs after {EXECUTION_DEADLINE:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut states = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_execution_history()
            .execution_arn(arn)
            .max_results(1000)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| format!("GetExecutionHistory: {}", error_text(&e)))?;
        for event in page.events() {
            if event.r#type().as_str().ends_with("StateEntered")
                && let Some(details) = event.state_entered_event_details()
            {
                states.push(details.name().to_string());
            }
        }
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(Observed {
        status: described.status().as_str().to_string(),
        output_text: described.output().map(str::to_string),
        error: described.error().map(str::to_string),
        cause: described.cause().map(str::to_string),
        states,
    })
}

fn error_text<E: std::error::Error>(error: &E) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let _ = write!(text, ": {s}");
        source = s.source();
    }
    text
}

// ---------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------

/// What a case came to.
enum Verdict {
    /// Both engines agree.
    Agrees,
    /// sfn-local matches AWS's documented result and moto its recorded deviation.
    RecordedDeviation,
    /// Something differs; the text says what.
    Mismatch(String),
}

fn states_match(a: &[String], b: &[String], unordered: bool) -> bool {
    if unordered {
        let mut a = a.to_vec();
        let mut b = b.to_vec();
        a.sort();
        b.sort();
        a == b
    } else {
        a == b
    }
}

/// Differences between two observed runs of a case without a deviation.
fn compare_engines(case: &Case, local: &Observed, moto: &Observed) -> Vec<String> {
    let mut diffs = Vec::new();
    if local.status != moto.status {
        diffs.push("status differs".to_string());
    } else {
        match local.status.as_str() {
            "SUCCEEDED" => {
                let same = match (local.output(), moto.output()) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                };
                if !same {
                    diffs.push("output differs".into());
                }
            }
            "FAILED" => {
                if local.error != moto.error {
                    diffs.push("error differs".into());
                }
                if case.compare_cause && local.cause != moto.cause {
                    diffs.push("cause differs".into());
                }
            }
            // TIMED_OUT: the status is the result (moto reports no error or cause).
            _ => {}
        }
    }
    if !states_match(&local.states, &moto.states, case.unordered_states) {
        diffs.push("states entered differ".into());
    }
    diffs
}

/// Differences between an observed run and an expected result.
fn compare_expected(observed: &Observed, expected: &Expected, unordered: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    if observed.status != expected.status {
        diffs.push(format!(
            "status {} (expected {})",
            observed.status, expected.status
        ));
    }
    if let Some(text) = &expected.output_text
        && observed.output_text.as_deref() != Some(text.as_str())
    {
        diffs.push(format!("output text (expected {text:?})"));
    }
    if let Some(output) = &expected.output
        && observed.output().as_ref() != Some(output)
    {
        diffs.push(format!("output (expected {output})"));
    }
    if let Some(error) = &expected.error
        && observed.error.as_deref() != Some(error.as_str())
    {
        diffs.push(format!("error (expected {error:?})"));
    }
    if !states_match(&observed.states, &expected.states, unordered) {
        diffs.push(format!("states entered (expected {:?})", expected.states));
    }
    diffs
}

fn judge(case: &Case, local: &Observed, moto: &Observed) -> Verdict {
    let report = |diffs: Vec<String>| {
        Verdict::Mismatch(format!(
            "{}:\n    {}\n    sfn-local: {}\n    moto:      {}",
            case.file,
            diffs.join("; "),
            local.describe(),
            moto.describe()
        ))
    };
    match &case.deviation {
        None => {
            let diffs = compare_engines(case, local, moto);
            if diffs.is_empty() {
                Verdict::Agrees
            } else {
                report(diffs)
            }
        }
        Some(deviation) => {
            let mut diffs: Vec<String> =
                compare_expected(local, &deviation.aws, case.unordered_states)
                    .into_iter()
                    .map(|d| format!("sfn-local is not AWS's documented result: {d}"))
                    .collect();
            diffs.extend(
                compare_expected(moto, &deviation.moto, case.unordered_states)
                    .into_iter()
                    .map(|d| format!("moto no longer gives its recorded result: {d}")),
            );
            if diffs.is_empty() {
                Verdict::RecordedDeviation
            } else {
                report(diffs)
            }
        }
    }
}

/// A name Step Functions accepts (letters, digits, `-`, `_`; at most 80 characters).
fn resource_name(case: &Case) -> String {
    let stem: String = case
        .file
        .trim_end_matches(".json")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(40)
        .collect();
    format!("cf-{stem}-{}", unique_id())
}

async fn run_case(client: &aws_sdk_sfn::Client, case: &Case) -> Verdict {
    let name = resource_name(case);
    let local = run_local(case, &name, &name).await;
    let moto = run_moto(client, case, &name, &name).await;
    judge(case, &local, &moto)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sfn_local_conforms_to_moto_and_the_aws_documentation() {
    let started = Instant::now();
    let cases = load_cases();
    assert!(
        cases.len() >= 60,
        "the suite needs at least 60 cases, found {}",
        cases.len()
    );
    let moto = MotoServer::shared();
    // The config endpoint does not echo the setting: `check_moto_executes` verifies it.
    moto.enable_asl_execution()
        .unwrap_or_else(|e| panic!("switching on moto's ASL interpreter: {e}"));
    let client = aws_sdk_sfn::Client::new(&moto.sdk_config());
    check_moto_executes(&client).await;

    let verdicts: Vec<Verdict> = stream::iter(cases.iter())
        .map(|case| run_case(&client, case))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;

    let agree = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Agrees))
        .count();
    let deviations = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::RecordedDeviation))
        .count();
    let mut failures: Vec<&str> = verdicts
        .iter()
        .filter_map(|v| match v {
            Verdict::Mismatch(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    failures.sort_unstable();
    println!(
        "conformance: {} cases, {agree} agree with moto, {deviations} recorded moto deviations ({:.1} s)",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn emulated_integrations_answer_only_what_they_know() {
    let missing = json!({"TableName": "stepwise-conformance-missing-table"});
    assert_eq!(
        emulate("arn:aws:states:::dynamodb:getItem", &missing).map_err(|f| f.error),
        Err("DynamoDB.ResourceNotFoundException".to_string())
    );
    let unknown = emulate("arn:aws:states:::dynamodb:putItem", &missing);
    assert_eq!(
        unknown.map_err(|f| f.error),
        Err("Conformance.NotEmulated".to_string())
    );
    assert!(
        Integrations
            .check("S", "arn:aws:states:::lambda:invoke")
            .is_err()
    );
}

#[test]
fn deviations_must_cite_the_docs_and_differ_from_moto() {
    let aws = json!({"status": "FAILED", "error": "A", "states": ["S"],
        "moto_deviation": "no citation", "moto": {"status": "FAILED", "error": "B", "states": ["S"]}});
    assert!(parse_deviation(&aws).is_err());
    let same = json!({"status": "FAILED", "error": "A", "states": ["S"],
        "moto_deviation": "see https://docs.aws.amazon.com/x", "moto": {"status": "FAILED", "error": "A", "states": ["S"]}});
    assert!(parse_deviation(&same).is_err());
    let ok = json!({"status": "FAILED", "error": "A", "states": ["S"],
        "moto_deviation": "see https://docs.aws.amazon.com/x", "moto": {"status": "FAILED", "error": "B", "states": ["S"]}});
    assert!(parse_deviation(&ok).is_ok());
}

/// moto 5.2.5's ASL parser kept its query-language scopes in state shared by every
/// parse: one JSONata definition it rejected left a JSONata scope behind, and from then
/// on it refused every JSONPath definition with `Parameters` — so this suite's moto
/// results depended on the order its tests ran in. The test servers' bootstrap
/// (tests/src/moto.rs) gives each parse its own scopes; this keeps it so.
#[tokio::test]
async fn a_definition_moto_rejects_does_not_change_how_it_parses_the_next() {
    let moto = MotoServer::start().expect("moto server");
    moto.enable_asl_execution()
        .unwrap_or_else(|e| panic!("switching on moto's ASL interpreter: {e}"));
    let client = aws_sdk_sfn::Client::new(&moto.sdk_config());
    let create = |definition: Value| {
        let client = client.clone();
        async move {
            client
                .create_state_machine()
                .name(format!("scopes-{}", unique_id()))
                .definition(definition.to_string())
                .role_arn(ROLE_ARN)
                .send()
                .await
        }
    };
    let jsonpath = json!({"StartAt": "A", "States": {"A": {
        "Type": "Pass", "Parameters": {"a.$": "$.x"}, "End": true}}});
    create(jsonpath.clone())
        .await
        .expect("a JSONPath definition");
    // JSONPath's Parameters inside a JSONata state machine: rejected.
    let refused = create(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {
        "Type": "Pass", "Parameters": {"a": 1}, "End": true}}}),
    )
    .await;
    assert!(
        refused.is_err(),
        "moto accepted Parameters in a JSONata state"
    );
    create(jsonpath)
        .await
        .expect("a JSONPath definition after a rejected JSONata one");
}

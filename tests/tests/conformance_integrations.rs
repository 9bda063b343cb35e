//! The integrations' conformance suite: each case in `tests/conformance/integrations/`
//! runs one family of AWS service integrations on sfn-local (its [`ServiceTasks`] over
//! the SDK clients, pointed at moto server) and on moto server's own interpreter (which
//! calls its service backends in-process), against the same moto server, each engine on
//! fresh resources of its own.
//!
//! A case file is like the ones of `tests/conformance/` (name, description, definition,
//! input, an optional `aws` block recording a moto deviation with the AWS page it follows)
//! plus `setup`: the resources to create for each engine — `tables` (a string hash key
//! `pk`), `queues`, `topics`, `buckets`, `parameters` (name → value), `state_machines` (a
//! one-Pass machine), `vector_buckets` (with an index `products` of 3 float32 dimensions) —
//! each named by a placeholder that `${Name}` in the definition is
//! replaced with (a table's or bucket's name, a queue's URL, a topic's or state machine's
//! ARN, a parameter's name). Results that differ on every call (message ids, request ids)
//! are reduced by the case's ResultSelector or Pass states to what is comparable.
//!
//! The test prints `integrations conformance: N cases, M agree with moto, K recorded moto
//! deviations`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_sfn::types::ExecutionStatus;
use serde::Deserialize;
use serde_json::{Value, json};
use sfn_local::{Options, RegistryTasks, ServiceTasks, Status, TaskRunner};
use stepwise_runtime::Services;
use stepwise_runtime::aws::Aws;
use stepwise_tests::{MotoServer, unique_id, workspace_root};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/x";
const EXECUTION_DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    description: String,
    setup: Setup,
    definition: Value,
    #[serde(default = "empty_object")]
    input: Value,
    aws: Option<Deviation>,
}

fn empty_object() -> Value {
    json!({})
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    #[serde(default)]
    tables: Vec<String>,
    #[serde(default)]
    queues: Vec<String>,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    buckets: Vec<String>,
    #[serde(default)]
    parameters: BTreeMap<String, String>,
    #[serde(default)]
    state_machines: Vec<String>,
    #[serde(default)]
    vector_buckets: Vec<String>,
}

/// What AWS documents, what moto does instead, and why sfn-local follows AWS.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Deviation {
    #[serde(flatten)]
    aws: Expected,
    moto_deviation: String,
    moto: Expected,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    status: String,
    output: Option<Value>,
    error: Option<String>,
    states: Vec<String>,
}

/// How a run ended, on either engine (the cause is shown, not compared: it quotes request
/// ids).
#[derive(Debug, Clone)]
struct Observed {
    status: String,
    output: Option<Value>,
    error: Option<String>,
    cause: Option<String>,
    states: Vec<String>,
}

impl Observed {
    fn describe(&self) -> String {
        format!(
            "status {}, output {:?}, error {:?}, cause {:?}, states {:?}",
            self.status, self.output, self.error, self.cause, self.states
        )
    }

    fn same(&self, other: &Observed) -> bool {
        self.status == other.status
            && self.output == other.output
            && self.error == other.error
            && self.states == other.states
    }

    fn matches(&self, expected: &Expected) -> bool {
        self.status == expected.status
            && (expected.output.is_none() || self.output == expected.output)
            && self.error == expected.error
            && self.states == expected.states
    }
}

fn cases() -> Vec<(PathBuf, Case)> {
    let dir = workspace_root().join("tests/conformance/integrations");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("readable case");
            let case: Case =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                !case.name.trim().is_empty() && !case.description.trim().is_empty(),
                "{}: a case has a name and a description",
                path.display()
            );
            if let Some(d) = &case.aws {
                assert!(
                    d.moto_deviation.contains("https://docs.aws.amazon.com/"),
                    "{}: a deviation cites the AWS documentation",
                    path.display()
                );
                assert_ne!(d.aws, d.moto, "{}: no deviation", path.display());
            }
            (path, case)
        })
        .collect()
}

/// Creates the case's resources for one engine; returns placeholder → value.
async fn setup(config: &aws_config::SdkConfig, setup: &Setup) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    for table in &setup.tables {
        let name = format!("cf-{}", unique_id());
        dynamodb
            .create_table()
            .table_name(&name)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("pk")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .expect("attribute"),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("pk")
                    .key_type(KeyType::Hash)
                    .build()
                    .expect("key"),
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("create table");
        names.insert(table.clone(), name);
    }
    let sqs = aws_sdk_sqs::Client::new(config);
    for queue in &setup.queues {
        let created = sqs
            .create_queue()
            .queue_name(format!("cf-{}", unique_id()))
            .send()
            .await
            .expect("create queue");
        names.insert(queue.clone(), created.queue_url().expect("url").to_string());
    }
    let sns = aws_sdk_sns::Client::new(config);
    for topic in &setup.topics {
        let created = sns
            .create_topic()
            .name(format!("cf-{}", unique_id()))
            .send()
            .await
            .expect("create topic");
        names.insert(topic.clone(), created.topic_arn().expect("arn").to_string());
    }
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    );
    for bucket in &setup.buckets {
        let name = format!("cf-{}", unique_id());
        s3.create_bucket()
            .bucket(&name)
            .send()
            .await
            .expect("create bucket");
        names.insert(bucket.clone(), name);
    }
    let ssm = aws_sdk_ssm::Client::new(config);
    for (parameter, value) in &setup.parameters {
        let name = format!("/cf/{}", unique_id());
        ssm.put_parameter()
            .name(&name)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::String)
            .send()
            .await
            .expect("put parameter");
        names.insert(parameter.clone(), name);
    }
    let sfn = aws_sdk_sfn::Client::new(config);
    for machine in &setup.state_machines {
        let created = sfn
            .create_state_machine()
            .name(format!("cf-{}", unique_id()))
            .definition(
                json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string(),
            )
            .role_arn(ROLE_ARN)
            .send()
            .await
            .expect("create state machine");
        names.insert(machine.clone(), created.state_machine_arn().to_string());
    }
    let vectors = aws_sdk_s3vectors::Client::new(config);
    for bucket in &setup.vector_buckets {
        let name = format!("cf-{}", unique_id());
        vectors
            .create_vector_bucket()
            .vector_bucket_name(&name)
            .send()
            .await
            .expect("create vector bucket");
        vectors
            .create_index()
            .vector_bucket_name(&name)
            .index_name("products")
            .data_type(aws_sdk_s3vectors::types::DataType::Float32)
            .dimension(3)
            .distance_metric(aws_sdk_s3vectors::types::DistanceMetric::Euclidean)
            .send()
            .await
            .expect("create index");
        names.insert(bucket.clone(), name);
    }
    names
}

fn substitute(definition: &Value, names: &BTreeMap<String, String>) -> Value {
    let mut text = definition.to_string();
    for (placeholder, value) in names {
        text = text.replace(&format!("${{{placeholder}}}"), value);
    }
    serde_json::from_str(&text).expect("the substituted definition is JSON")
}

async fn run_local(services: &Arc<Services>, definition: Value, input: Value) -> Observed {
    let machine = codegen::asl::from_value(definition).expect("valid ASL");
    let registry = Arc::new(RegistryTasks::new(stepwise_lambda::all(), services.clone()));
    let tasks: Arc<dyn TaskRunner> = Arc::new(ServiceTasks::new(registry, services.clone()));
    let options = Options {
        virtual_time: true,
        ..Options::default()
    };
    match sfn_local::execute(&machine, input, tasks, options).await {
        Err(e) => Observed {
            status: "NOT_STARTED".into(),
            output: None,
            error: Some(e.to_string()),
            cause: None,
            states: Vec::new(),
        },
        Ok(outcome) => Observed {
            status: match outcome.status {
                Status::Succeeded => "SUCCEEDED",
                Status::Failed => "FAILED",
                Status::TimedOut => "TIMED_OUT",
            }
            .into(),
            states: outcome.states_entered(),
            output: outcome.output,
            error: outcome.failure.as_ref().map(|f| f.error.clone()),
            cause: outcome.failure.map(|f| f.cause),
        },
    }
}

async fn run_moto(sfn: &aws_sdk_sfn::Client, definition: Value, input: Value) -> Observed {
    let machine = sfn
        .create_state_machine()
        .name(format!("cf-{}", unique_id()))
        .definition(definition.to_string())
        .role_arn(ROLE_ARN)
        .send()
        .await
        .expect("create state machine");
    let execution = sfn
        .start_execution()
        .state_machine_arn(machine.state_machine_arn())
        .input(input.to_string())
        .send()
        .await
        .expect("start execution");
    let deadline = Instant::now() + EXECUTION_DEADLINE;
    let described = loop {
        let described = sfn
            .describe_execution()
            .execution_arn(execution.execution_arn())
            .send()
            .await
            .expect("describe execution");
        if *described.status() != ExecutionStatus::Running {
            break described;
        }
        assert!(Instant::now() < deadline, "moto's execution still runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let history = sfn
        .get_execution_history()
        .execution_arn(execution.execution_arn())
        .max_results(1000)
        .send()
        .await
        .expect("history");
    let states = history
        .events()
        .iter()
        .filter(|e| e.r#type().as_str().ends_with("StateEntered"))
        .filter_map(|e| {
            e.state_entered_event_details()
                .map(|d| d.name().to_string())
        })
        .collect();
    Observed {
        status: described.status().as_str().to_string(),
        output: described
            .output()
            .and_then(|o| serde_json::from_str(o).ok()),
        error: described.error().map(str::to_string),
        cause: described.cause().map(str::to_string),
        states,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrations_conform_to_moto_and_the_aws_documentation() {
    let cases = cases();
    assert!(
        cases.len() >= 6,
        "a case per integration family, found {}",
        cases.len()
    );
    let moto = MotoServer::shared();
    moto.enable_asl_execution().expect("moto's interpreter");
    let config = moto.sdk_config();
    let services = Services::with_aws(Aws::with_config(config.clone()));
    let sfn = aws_sdk_sfn::Client::new(&config);
    let (mut agree, mut deviations, mut failures) = (0, 0, Vec::new());
    for (path, case) in &cases {
        let local_names = setup(&config, &case.setup).await;
        let local = run_local(
            &services,
            substitute(&case.definition, &local_names),
            case.input.clone(),
        )
        .await;
        let moto_names = setup(&config, &case.setup).await;
        let remote = run_moto(
            &sfn,
            substitute(&case.definition, &moto_names),
            case.input.clone(),
        )
        .await;
        let ok = match &case.aws {
            None => {
                let same = local.same(&remote);
                agree += usize::from(same);
                same
            }
            Some(d) => {
                let same = local.matches(&d.aws) && remote.matches(&d.moto);
                deviations += usize::from(same);
                same
            }
        };
        if !ok {
            failures.push(format!(
                "{} ({}):\n    sfn-local: {}\n    moto:      {}",
                path.display(),
                case.name,
                local.describe(),
                remote.describe()
            ));
        }
    }
    println!(
        "integrations conformance: {} cases, {agree} agree with moto, {deviations} recorded moto deviations",
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

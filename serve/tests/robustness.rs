//! No request can break the server: arbitrary targets and bodies (bytes, JSON of any
//! shape, the right field names with values of any type) get a 200 or an AWS error
//! (HTTP 400, `__type` and `message`), and the server answers a good request after.

use proptest::prelude::*;
use serde_json::{Value, json};
use stepwise_serve::config::Config;
use stepwise_serve::{App, Server};

const ACTIONS: &[&str] = &[
    "CreateStateMachine",
    "DescribeStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "ListStateMachines",
    "ValidateStateMachineDefinition",
    "DescribeStateMachineForExecution",
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "RedriveExecution",
    "DescribeExecution",
    "ListExecutions",
    "GetExecutionHistory",
    "ListMapRuns",
    "CreateActivity",
    "DescribeActivity",
    "DeleteActivity",
    "ListActivities",
    "GetActivityTask",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "TestState",
];

const FIELDS: &[&str] = &[
    "name",
    "definition",
    "roleArn",
    "type",
    "stateMachineArn",
    "executionArn",
    "input",
    "maxResults",
    "nextToken",
    "statusFilter",
    "reverseOrder",
    "includeExecutionData",
    "activityArn",
    "workerName",
    "taskToken",
    "output",
    "error",
    "cause",
    "inspectionLevel",
    "mock",
    "stateName",
    "variables",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(json!(
            "arn:aws:states:us-east-1:123456789012:stateMachine:m"
        )),
        Just(json!("arn:aws:states:us-east-1:123456789012:execution:m:e")),
        Just(json!(
            r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#
        )),
        Just(json!("{}")),
        Just(json!(-1)),
        Just(json!(1_000_000)),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        prop::collection::btree_map(prop::sample::select(FIELDS), json_value(), 0..6).prop_map(
            |m| {
                let obj: serde_json::Map<String, Value> =
                    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                Value::Object(obj).to_string().into_bytes()
            }
        ),
    ]
}

fn target() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        prop::sample::select(ACTIONS).prop_map(|a| Some(format!("AWSStepFunctions.{a}"))),
        "[ -~]{0,40}".prop_map(Some),
        Just(None),
    ]
}

#[test]
fn arbitrary_requests_get_aws_errors_and_never_break_the_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let endpoint = runtime.block_on(async {
        let config = Config {
            port: 0,
            virtual_time: true,
            // GetActivityTask polls end quickly when no task comes.
            activity_poll_wait: std::time::Duration::from_millis(20),
            ..Config::default()
        };
        let server = Server::bind(App::new(config, stepwise_lambda::all()).unwrap())
            .await
            .unwrap();
        let endpoint = server.endpoint();
        tokio::spawn(server.run());
        endpoint
    });
    let http = reqwest::Client::new();
    let send = |target: Option<String>, body: Vec<u8>| {
        runtime.block_on(async {
            let mut request = http
                .post(format!("{endpoint}/"))
                .header("content-type", "application/x-amz-json-1.0")
                .body(body);
            if let Some(t) = target {
                request = request.header("x-amz-target", t);
            }
            let response = request.send().await.expect("the server answers");
            let status = response.status().as_u16();
            let text = response.text().await.expect("a body");
            (status, text)
        })
    };
    let config = ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(t in target(), b in body())| {
        let (status, text) = send(t, b);
        let value: Value = serde_json::from_str(&text).expect("a JSON answer");
        match status {
            200 => prop_assert!(value.is_object()),
            400 => {
                prop_assert!(value["__type"].is_string(), "{text}");
                prop_assert!(value["message"].is_string(), "{text}");
            }
            other => prop_assert!(false, "status {other}: {text}"),
        }
    });
    let (status, text) = send(
        Some("AWSStepFunctions.ListStateMachines".into()),
        b"{}".to_vec(),
    );
    assert_eq!(status, 200, "{text}");
}

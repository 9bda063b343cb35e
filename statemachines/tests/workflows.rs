//! Every workflow builds, its example input satisfies its input schema, and the committed
//! generated files match what the descriptions produce.

use std::path::Path;

use codegen::emit::all_files;

#[test]
fn every_workflow_builds() {
    for workflow in statemachines::all() {
        if let Err(e) = workflow.build() {
            panic!("{e}");
        }
    }
}

#[test]
fn example_inputs_satisfy_their_schemas() {
    for workflow in statemachines::all() {
        let built = workflow.build().unwrap();
        let validator = jsonschema::validator_for(&built.input_schema).unwrap();
        let errors: Vec<_> = validator
            .iter_errors(&built.example_input)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", built.name);
    }
}

#[test]
fn input_schemas_reject_misspelled_fields() {
    for workflow in statemachines::all() {
        let built = workflow.build().unwrap();
        let validator = jsonschema::validator_for(&built.input_schema).unwrap();
        let mut wrong = built.example_input.clone();
        wrong
            .as_object_mut()
            .unwrap()
            .insert("ordre".into(), serde_json::json!({}));
        assert!(
            !validator.is_valid(&wrong),
            "{} accepts an unknown field",
            built.name
        );
    }
}

#[test]
fn mock_configs_return_values_that_satisfy_each_activity_output_schema() {
    for workflow in statemachines::all() {
        let built = workflow.build().unwrap();
        let mock = codegen::emit::mock_config(&built);
        let case = &mock["StateMachines"][&built.name]["TestCases"]["HappyPath"];
        for (state, activity) in &built.task_activities {
            let response = case[state].as_str().unwrap();
            let ret = &mock["MockedResponses"][response]["0"]["Return"];
            let schema = &built.activities[activity].output_schema;
            let validator = jsonschema::validator_for(schema).unwrap();
            assert!(validator.is_valid(ret), "{state}: {ret}");
        }
    }
}

#[test]
fn generated_files_are_committed_and_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated");
    let built: Vec<_> = statemachines::all()
        .iter()
        .map(|w| w.build().unwrap())
        .collect();
    for file in all_files(&built).expect("no workflows declare a resource differently") {
        let path = dir.join(&file.name);
        let on_disk = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run `stepwise generate`)", path.display()));
        assert!(
            on_disk == file.content,
            "{} is stale (run `stepwise generate`)",
            path.display()
        );
    }
}

#[test]
fn every_function_fits_lambda_limits_and_names_real_actions() {
    for workflow in statemachines::all() {
        let built = workflow.build().unwrap();
        for (name, info) in &built.activities {
            let d = info.deployment;
            assert!(
                (128..=10_240).contains(&d.memory_mb),
                "{name}: memory {} MB is outside Lambda's 128..=10240",
                d.memory_mb
            );
            assert!(
                (1..=900).contains(&d.timeout_seconds),
                "{name}: timeout {} s is outside Lambda's 1..=900",
                d.timeout_seconds
            );
            for p in d.permissions.iter().chain(&built.permissions) {
                assert!(
                    !p.actions.is_empty() && !p.reason.is_empty(),
                    "{name}: {p:?}"
                );
                for a in p.actions {
                    assert!(is_action(a), "{name}: {a:?} is not service:Action");
                }
            }
        }
    }
}

/// `service:Action`, no wildcard: every grant names the exact call.
fn is_action(a: &str) -> bool {
    matches!(a.split_once(':'), Some((service, call))
        if !service.is_empty()
            && service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && call.starts_with(|c: char| c.is_ascii_uppercase())
            && call.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[test]
fn the_export_role_may_run_its_distributed_map_and_the_orders_role_nothing_more() {
    use stepwise_contract::deploy::Resource;
    let export = statemachines::find("daily-sales-export")
        .unwrap()
        .build()
        .unwrap();
    let own: Vec<_> = export
        .permissions
        .iter()
        .filter(|p| {
            matches!(
                p.resource,
                Resource::OwnStateMachine | Resource::OwnMapRunExecutions
            )
        })
        .flat_map(|p| p.actions.iter().copied())
        .collect();
    assert_eq!(
        own,
        [
            "states:StartExecution",
            "states:DescribeExecution",
            "states:StopExecution"
        ]
    );
    let orders = statemachines::find("example-orders")
        .unwrap()
        .build()
        .unwrap();
    assert!(orders.permissions.is_empty(), "{:?}", orders.permissions);
}

#[test]
fn the_export_is_scheduled_daily_with_an_input_its_schema_accepts() {
    use codegen::trigger::Trigger;
    let export = statemachines::find("daily-sales-export")
        .unwrap()
        .build()
        .unwrap();
    let [Trigger::Schedule(schedule)] = export.triggers.as_slice() else {
        panic!("one schedule: {:?}", export.triggers);
    };
    assert_eq!(schedule.expression(), "cron(0 3 * * ? *)");
    let validator = jsonschema::validator_for(&export.input_schema).unwrap();
    assert!(validator.is_valid(&schedule.example_input()));
    let orders = statemachines::find("example-orders")
        .unwrap()
        .build()
        .unwrap();
    assert!(orders.triggers.is_empty());
}

#[test]
fn a_schedule_whose_input_the_workflow_rejects_does_not_build() {
    use codegen::trigger::{DeploymentName, Schedule};
    let wrong = statemachines::daily_sales_export::workflow().schedule(
        Schedule::cron("cron(0 4 * * ? *)")
            .input(serde_json::json!({
                "config_parameter": DeploymentName::ConfigParameter.placeholder(),
                "progress_tabel": DeploymentName::ProgressTable.placeholder(),
            }))
            .reason("a typo"),
    );
    let message = wrong.build().unwrap_err().to_string();
    assert!(
        message.contains("schedule \"cron(0 4 * * ? *)\": input is not a valid execution input")
            && message.contains("\"progress_table\" is a required property")
            && message.contains("'progress_tabel' was unexpected"),
        "{message}"
    );
}

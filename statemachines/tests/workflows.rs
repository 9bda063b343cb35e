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
    for file in all_files(&built) {
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

//! Workflow descriptions: a named definition with its typed execution input.
//!
//! [`Workflow::build`] compiles the definition, validates it, and runs the typed data-flow
//! check from the input schema through every state; every problem is reported with the
//! workflow's name, the state and the path. It also checks what the deployment needs:
//! declared resources ([`crate::resources`]), that permissions name only declared ones,
//! that every `${Placeholder}` is known ([`crate::placeholder`]) and that every
//! service-integration Task's IAM actions are declared workflow permissions.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;

use stepwise_contract::deploy::{Permission, QueueSpec, Resource, TableSpec, VectorIndexSpec};
use stepwise_contract::{ActivityInfo, schema_of};

use crate::asl::{Problem, QueryLanguage, State, StateMachine, States};
use crate::builder::{Chain, compile_in, whole_seconds};
use crate::placeholder::{Substitutable, unknown_in_definition, used_in};
use crate::resources::Resources;
use crate::trigger::{Schedule, Trigger};

/// A workflow description.
#[derive(Debug, Clone)]
pub struct Workflow {
    name: String,
    comment: Option<String>,
    timeout: Option<Duration>,
    express: bool,
    input_schema: Value,
    example_input: Value,
    permissions: Vec<Permission>,
    triggers: Vec<Trigger>,
    resources: Resources,
    definition: Chain,
    query_language: Option<QueryLanguage>,
}

/// A built workflow: the ASL plus what the emitters and runtimes need to know.
#[derive(Debug, Clone)]
pub struct Built {
    /// The workflow's name (file names, state machine name).
    pub name: String,
    /// The state machine.
    pub machine: StateMachine,
    /// Whether it deploys as an Express state machine.
    pub express: bool,
    /// The JSON Schema of the execution input.
    pub input_schema: Value,
    /// A valid example execution input.
    pub example_input: Value,
    /// The activities it runs, by name.
    pub activities: BTreeMap<String, ActivityInfo>,
    /// For each Task state that runs an activity (at any depth): the activity's name.
    pub task_activities: BTreeMap<String, String>,
    /// What the state machine's own role needs besides invoking its activities: the
    /// workflow's declared permissions, then those its definition implies (a distributed
    /// Map starts and watches child executions of its own state machine).
    pub permissions: Vec<Permission>,
    /// What starts its executions in a deployment (schedules, event rules), in
    /// declaration order.
    pub triggers: Vec<Trigger>,
    /// The tables, queues and vector indexes it declares.
    pub resources: Resources,
    /// The deployment placeholders (names inside `${…}`, not activities) its definition
    /// and trigger inputs use: what a deployment, or `stepwise provision` locally, must
    /// substitute.
    pub placeholders: BTreeSet<String>,
}

/// A workflow that does not build.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct BuildError {
    /// The workflow's name.
    pub workflow: String,
    /// What is wrong.
    pub problems: Vec<Problem>,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "workflow \"{}\": {p}", self.workflow)?;
        }
        Ok(())
    }
}

impl Workflow {
    /// A workflow named `name` (lower-case letters, digits and `-`; it names the generated
    /// files and the state machine) running `definition`.
    pub fn new(name: impl Into<String>, definition: impl Into<Chain>) -> Self {
        Workflow {
            name: name.into(),
            comment: None,
            timeout: None,
            express: false,
            input_schema: serde_json::json!({"type": "object"}),
            example_input: serde_json::json!({}),
            permissions: Vec::new(),
            triggers: Vec::new(),
            resources: Resources::default(),
            definition: definition.into(),
            query_language: None,
        }
    }

    /// Every state runs in JSONata mode unless it says otherwise (the machine's
    /// `"QueryLanguage": "JSONata"`). The build parses every `{% %}` expression; the
    /// data-flow check takes JSONata states' outputs as "anything".
    pub fn jsonata(mut self) -> Self {
        self.query_language = Some(QueryLanguage::Jsonata);
        self
    }

    /// The workflow's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A description (the ASL `Comment`).
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// The execution fails with `States.Timeout` after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Deploy as an Express state machine.
    pub fn express(mut self) -> Self {
        self.express = true;
        self
    }

    /// The execution input type, with an example operators can start it with. The schema
    /// is emitted for the console and is where the data-flow check starts.
    pub fn input<I: JsonSchema + Serialize>(mut self, example: &I) -> Self {
        self.input_schema = schema_of::<I>();
        self.example_input = serde_json::to_value(example)
            .expect("example inputs are plain data and always serialise to JSON");
        self
    }

    /// A permission the state machine's role needs for what its states do directly, e.g.
    /// reading an ItemReader's object or writing a ResultWriter's files. (Activities
    /// declare their own; permissions a distributed Map implies are added by
    /// [`Workflow::build`].)
    pub fn permission(mut self, permission: Permission) -> Self {
        self.permissions.push(permission);
        self
    }

    /// An EventBridge Scheduler schedule that starts the workflow; the deployment creates
    /// it from the manifest. [`Workflow::build`] checks its cron expression and that its
    /// input, with the placeholders filled in, is a valid execution input.
    pub fn schedule(mut self, schedule: Schedule) -> Self {
        self.triggers.push(Trigger::Schedule(schedule));
        self
    }

    /// Any trigger, e.g. a [`Trigger::EventRule`]; [`Workflow::build`] checks it.
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.triggers.push(trigger);
        self
    }

    /// A DynamoDB table the deployment creates for the workflow (declaring an identical
    /// one twice keeps one). Its state machine's permissions and its activities'
    /// name it as [`Resource::Table`]; definitions and trigger inputs reach it through
    /// `${<PascalName>TableName}` and `${<PascalName>TableArn}`.
    pub fn table(mut self, spec: TableSpec) -> Self {
        self.resources.add_table(spec);
        self
    }

    /// An SQS queue the deployment creates for the workflow ([`Resource::Queue`];
    /// `${<PascalName>QueueUrl}`, `${<PascalName>QueueArn}`).
    pub fn queue(mut self, spec: QueueSpec) -> Self {
        self.resources.add_queue(spec);
        self
    }

    /// An S3 Vectors index the deployment creates for the workflow in its vector bucket
    /// ([`Resource::VectorIndex`]; `${<PascalName>VectorBucketName}`,
    /// `${<PascalName>IndexName}`, `${<PascalName>IndexArn}`).
    pub fn vector_index(mut self, spec: VectorIndexSpec) -> Self {
        self.resources.add_vector_index(spec);
        self
    }

    /// The resources declared so far.
    pub fn resources(&self) -> &Resources {
        &self.resources
    }

    /// Compiles, validates and type-checks the workflow.
    pub fn build(&self) -> Result<Built, BuildError> {
        let mut problems = Vec::new();
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            problems.push(Problem::top(format!(
                "workflow name \"{}\" must be lower-case letters, digits and '-'",
                self.name
            )));
        }
        let compiled = compile_in(self.definition.clone(), self.query_language);
        problems.extend(compiled.problems);
        let mut machine = compiled.machine;
        machine.comment = self.comment.clone();
        if let Some(t) = self.timeout {
            match whole_seconds("TimeoutSeconds", t) {
                Ok(s) => machine.timeout_seconds = Some(s),
                Err(e) => problems.push(Problem::top(e)),
            }
        }
        let known = Substitutable::new(&self.resources);
        // What the deployment needs, reported after the data flow so that one does not
        // hide the other.
        let mut deployment: Vec<Problem> = self
            .resources
            .problems()
            .into_iter()
            .map(Problem::top)
            .collect();
        for trigger in &self.triggers {
            problems.extend(trigger.problems(&self.input_schema, &known, &self.resources));
        }
        deployment.extend(
            self.resources
                .undeclared(&self.permissions, "workflow permission")
                .into_iter()
                .map(Problem::top),
        );
        for (name, info) in &compiled.activities {
            deployment.extend(
                self.resources
                    .undeclared(info.deployment.permissions, &format!("activity \"{name}\""))
                    .into_iter()
                    .map(Problem::top),
            );
        }
        deployment.extend(unknown_in_definition(
            &machine,
            &compiled.activities,
            &known,
        ));
        deployment.extend(undeclared_integration_actions(
            &machine.states,
            &self.permissions,
        ));
        if problems.is_empty() {
            problems.extend(crate::dataflow::check(
                &machine,
                &self.input_schema,
                &compiled.activities,
            ));
        }
        problems.extend(deployment);
        if !problems.is_empty() {
            return Err(BuildError {
                workflow: self.name.clone(),
                problems,
            });
        }
        Ok(Built {
            name: self.name.clone(),
            express: self.express,
            input_schema: self.input_schema.clone(),
            example_input: self.example_input.clone(),
            activities: compiled.activities,
            task_activities: compiled.task_activities,
            permissions: self
                .permissions
                .iter()
                .copied()
                .chain(implied_permissions(&machine.states))
                .collect(),
            triggers: self.triggers.clone(),
            resources: self.resources.clone(),
            placeholders: self
                .triggers
                .iter()
                .flat_map(Trigger::placeholders)
                .filter(|name| known.contains(name))
                .chain(used_in(&machine, &known))
                .collect(),
            machine,
        })
    }
}

/// A problem for each service-integration Task (at any depth) whose IAM actions no
/// declared workflow permission allows (for the services a permission can name:
/// [`crate::integration::iam::DECLARABLE`]).
fn undeclared_integration_actions(states: &States, declared: &[Permission]) -> Vec<Problem> {
    let mut out = Vec::new();
    for (name, state) in states {
        if let State::Task(task) = state
            && let Some(actions) = crate::integration::iam::declarable_actions(&task.resource)
        {
            for action in actions {
                let allowed = declared.iter().any(|p| {
                    p.actions
                        .iter()
                        .any(|a| crate::integration::iam::allows(a, &action))
                });
                if !allowed {
                    out.push(Problem::state(
                        name,
                        format!(
                            "the integration {} needs the IAM action {action}, which no workflow permission declares (add .permission(Permission {{ actions: &[\"{action}\"], .. }}))",
                            task.resource
                        ),
                    ));
                }
            }
        }
        for (_, branch) in state.children() {
            out.extend(undeclared_integration_actions(&branch.states, declared));
        }
    }
    out
}

/// Rights on its own state machine that a distributed Map needs to run child executions.
const DISTRIBUTED_MAP_PERMISSIONS: [Permission; 2] = [
    Permission {
        actions: &["states:StartExecution"],
        resource: Resource::OwnStateMachine,
        reason: "a distributed Map starts its child executions on the state machine itself",
    },
    Permission {
        actions: &["states:DescribeExecution", "states:StopExecution"],
        resource: Resource::OwnMapRunExecutions,
        reason: "a distributed Map watches its child executions and stops them when the run fails",
    },
];

/// The permissions the definition itself implies, found at any depth.
fn implied_permissions(states: &States) -> Vec<Permission> {
    fn distributed(states: &States) -> bool {
        states.values().any(|state| {
            let own = matches!(state, State::Map(m) if m.is_distributed());
            own || state.children().iter().any(|(_, b)| distributed(&b.states))
        })
    }
    if distributed(states) {
        DISTRIBUTED_MAP_PERMISSIONS.to_vec()
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{map, parallel, pass};
    use stepwise_contract::deploy::Area;

    fn permissions(definition: Chain) -> Vec<Permission> {
        Workflow::new("w", definition).build().unwrap().permissions
    }

    #[test]
    fn a_distributed_map_at_any_depth_implies_its_child_execution_rights() {
        let nested = parallel("Both")
            .branch(Chain::start(pass("A")))
            .branch(Chain::start(
                map("Items")
                    .items_path("$.items")
                    .distributed(true, None)
                    .processor(pass("Item")),
            ));
        assert_eq!(
            permissions(Chain::start(nested)),
            DISTRIBUTED_MAP_PERMISSIONS.to_vec()
        );
    }

    #[test]
    fn inline_maps_imply_nothing_and_declared_permissions_come_first() {
        let declared = Permission {
            actions: &["s3:GetObject"],
            resource: Resource::Objects {
                area: Area::Staging,
            },
            reason: "reads",
        };
        let inline = map("Items").items_path("$.items").processor(pass("Item"));
        let built = Workflow::new("w", Chain::start(inline))
            .permission(declared)
            .build()
            .unwrap();
        assert_eq!(built.permissions, vec![declared]);
    }

    use crate::builder::task_resource;
    use crate::trigger::Schedule;
    use serde_json::json;
    use stepwise_contract::deploy::{KeyAttr, QueueSpec, TableSpec};

    const SALES: TableSpec = TableSpec {
        name: "sales-history",
        partition_key: KeyAttr::string("PK"),
        sort_key: Some(KeyAttr::string("SK")),
        indexes: &[],
        ttl_attribute: Some("ttl"),
        reason: "per-product queries",
    };
    const PUT_SALE: Permission = Permission {
        actions: &["dynamodb:PutItem"],
        resource: Resource::Table {
            table: "sales-history",
        },
        reason: "writes the sale",
    };

    fn put(table: &str) -> Chain {
        Chain::start(
            task_resource("Write", "arn:aws:states:::dynamodb:putItem").parameters(json!({
                "TableName": table,
                "Item": {"PK": {"S": "p"}, "SK": {"S": "s"}}
            })),
        )
    }

    fn problems(workflow: Workflow) -> Vec<String> {
        workflow
            .build()
            .expect_err("must not build")
            .to_string()
            .lines()
            .map(String::from)
            .collect()
    }

    #[test]
    fn a_declared_table_reached_by_its_placeholder_builds_and_lists_the_placeholder() {
        let built = Workflow::new("w", put("${SalesHistoryTableName}"))
            .table(SALES)
            .permission(PUT_SALE)
            .build()
            .unwrap();
        assert_eq!(built.resources.tables, vec![SALES]);
        assert_eq!(
            built.placeholders.iter().collect::<Vec<_>>(),
            ["SalesHistoryTableName"]
        );
    }

    #[test]
    fn an_unknown_placeholder_in_the_definition_names_the_state() {
        let p = problems(
            Workflow::new("w", put("${SalesTableName}"))
                .table(SALES)
                .permission(PUT_SALE),
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("workflow \"w\": State \"Write\": unknown placeholder \"${SalesTableName}\": it is neither an activity of the workflow nor a deployment name (the deployment substitutes: ${ConfigParameterName}, ${ProgressTableName}, ${GroupImagesConfigParameterName}, ${LakeBucketName}, ${LakeTableBucketArn}, ${LakeNamespaceName}, ${SalesHistoryTableName}, ${SalesHistoryTableArn})"),
            "{p:?}"
        );
    }

    #[test]
    fn an_integration_without_its_iam_action_declared_names_the_state_and_action() {
        let p = problems(Workflow::new("w", put("${SalesHistoryTableName}")).table(SALES));
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("workflow \"w\": State \"Write\": the integration arn:aws:states:::dynamodb:putItem needs the IAM action dynamodb:PutItem, which no workflow permission declares"),
            "{p:?}"
        );
        let nested = parallel("Both").branch(Chain::start(
            task_resource("Send", "arn:aws:states:::sqs:sendMessage").parameters(json!({
                "QueueUrl": "${DeadLettersQueueUrl}", "MessageBody": "x"
            })),
        ));
        let dlq = QueueSpec {
            name: "dead-letters",
            retention_days: 14,
            reason: "failed events",
        };
        let p = problems(Workflow::new("w", Chain::start(nested)).queue(dlq));
        assert!(
            p.len() == 1 && p[0].contains("State \"Send\": the integration arn:aws:states:::sqs:sendMessage needs the IAM action sqs:SendMessage"),
            "{p:?}"
        );
    }

    #[test]
    fn a_permission_on_an_undeclared_table_is_a_build_error() {
        let p = problems(Workflow::new("w", put("t")).permission(PUT_SALE));
        assert_eq!(
            p,
            [
                "workflow \"w\": Top level: workflow permission: permission dynamodb:PutItem names table \"sales-history\", which the workflow does not declare (add .table(TableSpec { .. }))"
            ]
        );
    }

    #[test]
    fn a_bad_declaration_is_a_build_error() {
        let p = problems(
            Workflow::new("w", Chain::start(pass("P"))).table(TableSpec {
                name: "Sales",
                ..SALES
            }),
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("table \"Sales\": name must be lower-case kebab-case"),
            "{p:?}"
        );
    }

    #[test]
    fn schedule_inputs_may_use_declared_placeholders() {
        let schedule = Schedule::cron("cron(0 3 * * ? *)")
            .input(json!({"table": "${SalesHistoryTableName}", "queue": "${JobsQueueUrl}"}))
            .reason("nightly");
        let p = problems(
            Workflow::new("w", Chain::start(pass("P")))
                .table(SALES)
                .schedule(schedule.clone()),
        );
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("input at /queue: unknown placeholder \"${JobsQueueUrl}\""),
            "{p:?}"
        );
        let built = Workflow::new("w", Chain::start(pass("P")))
            .table(SALES)
            .queue(QueueSpec {
                name: "jobs",
                retention_days: 1,
                reason: "jobs",
            })
            .schedule(schedule)
            .build()
            .unwrap();
        assert_eq!(
            built.placeholders.iter().collect::<Vec<_>>(),
            ["JobsQueueUrl", "SalesHistoryTableName"]
        );
    }
}

//! Definition-substitution placeholders: the `${Name}` strings a definition or a trigger's
//! input template uses for names only the deployment knows.
//!
//! A declared resource ([`crate::resources`]) called `sales-history` is reached through
//! `${SalesHistoryTableName}` and `${SalesHistoryTableArn}`; a queue `dead-letters`
//! through `${DeadLettersQueueUrl}` and `${DeadLettersQueueArn}`; a vector index
//! `products` through `${ProductsVectorBucketName}`, `${ProductsIndexName}` and
//! `${ProductsIndexArn}`. The CDK stack substitutes them (`DefinitionSubstitutions`),
//! locally `stepwise provision` creates the resources and prints the same map for
//! `sfn-local`. The deployment's own names ([`DeploymentName`]) and the activities
//! (`${Activity}` as a Task resource) are placeholders too; anything else in `${…}` is a
//! build error ([`unknown_in_definition`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::asl::{Problem, StateMachine};
use crate::resources::Resources;
use crate::trigger::DeploymentName;

/// What a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlaceholderKind {
    /// A table's deployed name.
    TableName,
    /// A table's ARN.
    TableArn,
    /// A queue's URL (what `sqs:SendMessage` takes).
    QueueUrl,
    /// A queue's ARN.
    QueueArn,
    /// The name of the vector bucket holding an index.
    VectorBucketName,
    /// An index's deployed name.
    IndexName,
    /// An index's ARN.
    IndexArn,
}

impl PlaceholderKind {
    /// The placeholders of a table.
    pub const TABLE: [PlaceholderKind; 2] = [PlaceholderKind::TableName, PlaceholderKind::TableArn];
    /// The placeholders of a queue.
    pub const QUEUE: [PlaceholderKind; 2] = [PlaceholderKind::QueueUrl, PlaceholderKind::QueueArn];
    /// The placeholders of a vector index.
    pub const VECTOR_INDEX: [PlaceholderKind; 3] = [
        PlaceholderKind::VectorBucketName,
        PlaceholderKind::IndexName,
        PlaceholderKind::IndexArn,
    ];

    /// The suffix after the resource's PascalCase name.
    pub const fn suffix(self) -> &'static str {
        match self {
            PlaceholderKind::TableName => "TableName",
            PlaceholderKind::TableArn => "TableArn",
            PlaceholderKind::QueueUrl => "QueueUrl",
            PlaceholderKind::QueueArn => "QueueArn",
            PlaceholderKind::VectorBucketName => "VectorBucketName",
            PlaceholderKind::IndexName => "IndexName",
            PlaceholderKind::IndexArn => "IndexArn",
        }
    }

    /// The kind of resource it belongs to (`table`, `queue`, `vector index`).
    pub const fn resource_kind(self) -> &'static str {
        match self {
            PlaceholderKind::TableName | PlaceholderKind::TableArn => "table",
            PlaceholderKind::QueueUrl | PlaceholderKind::QueueArn => "queue",
            _ => "vector index",
        }
    }
}

/// One placeholder of a declared resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Placeholder {
    /// The resource's logical name (`sales-history`).
    pub resource: &'static str,
    /// What it stands for.
    pub kind: PlaceholderKind,
}

impl Placeholder {
    /// The placeholder of `kind` for the resource called `resource`.
    pub const fn new(resource: &'static str, kind: PlaceholderKind) -> Self {
        Placeholder { resource, kind }
    }

    /// The name inside `${…}`: `SalesHistoryTableName`.
    pub fn name(&self) -> String {
        format!("{}{}", pascal_name(self.resource), self.kind.suffix())
    }

    /// The placeholder as written: `${SalesHistoryTableName}`.
    pub fn placeholder(&self) -> String {
        format!("${{{}}}", self.name())
    }

    /// A value of the form the deployment substitutes (what build checks fill in).
    pub fn example(&self) -> String {
        let name = format!("stepwise-example-{}", self.resource);
        let region = "eu-west-1";
        let account = "123456789012";
        match self.kind {
            PlaceholderKind::TableName => name,
            PlaceholderKind::TableArn => {
                format!("arn:aws:dynamodb:{region}:{account}:table/{name}")
            }
            PlaceholderKind::QueueUrl => {
                format!("https://sqs.{region}.amazonaws.com/{account}/{name}")
            }
            PlaceholderKind::QueueArn => format!("arn:aws:sqs:{region}:{account}:{name}"),
            PlaceholderKind::VectorBucketName => "stepwise-example-vectors".into(),
            PlaceholderKind::IndexName => name,
            PlaceholderKind::IndexArn => format!(
                "arn:aws:s3vectors:{region}:{account}:bucket/stepwise-example-vectors/index/{name}"
            ),
        }
    }
}

/// `sales-history` → `SalesHistory`: each `-`-separated word capitalised.
pub fn pascal_name(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// The names a deployment substitutes for a workflow: its own ([`DeploymentName`]) and
/// its declared resources' placeholders, each with an example value of its form, in that
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct Substitutable {
    names: Vec<(String, String)>,
}

impl Substitutable {
    /// The deployment's own names and those of `resources`.
    pub fn new(resources: &Resources) -> Self {
        let mut names: Vec<(String, String)> = DeploymentName::ALL
            .iter()
            .map(|n| (n.as_str().to_string(), n.example().to_string()))
            .collect();
        names.extend(
            resources
                .placeholders()
                .iter()
                .map(|p| (p.name(), p.example())),
        );
        Substitutable { names }
    }

    /// Whether `${name}` is substituted.
    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|(n, _)| n == name)
    }

    /// The example value of `${name}`.
    pub fn example(&self, name: &str) -> Option<&str> {
        self.names
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, e)| e.as_str())
    }

    /// Every placeholder, as written, comma-separated (for messages).
    pub fn list(&self) -> String {
        self.names
            .iter()
            .map(|(n, _)| format!("${{{n}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `text` with every known `${Name}` replaced by its example.
    pub fn fill(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, example) in &self.names {
            out = out.replace(&format!("${{{name}}}"), example);
        }
        out
    }
}

/// The `${Name}` names in `text`, in order (an unclosed `${` ends the scan).
pub fn names_in(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

/// The placeholders `machine` uses that the deployment substitutes (not activities).
pub fn used_in(machine: &StateMachine, known: &Substitutable) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    strings(&machine.to_value(), None, &mut |_, s| {
        for name in names_in(s) {
            if known.contains(name) {
                out.insert(name.to_string());
            }
        }
    });
    out
}

/// A problem for each `${Name}` in `machine`'s strings that is neither an activity of
/// `activities` nor [`Substitutable`], naming the state it is in. A `StateMachineArn`
/// parameter is left alone: `${Workflow}` there names a generated workflow to start, which
/// `stepwise run`'s catalog resolves.
pub fn unknown_in_definition(
    machine: &StateMachine,
    activities: &BTreeMap<String, stepwise_contract::ActivityInfo>,
    known: &Substitutable,
) -> Vec<Problem> {
    let mut out = Vec::new();
    strings(&machine.to_value(), None, &mut |state, s| {
        if s.starts_with(STATE_MACHINE_MARK) {
            return;
        }
        for name in names_in(s) {
            if activities.contains_key(name) || known.contains(name) {
                continue;
            }
            let message = format!(
                "unknown placeholder \"${{{name}}}\": it is neither an activity of the workflow nor a deployment name (the deployment substitutes: {})",
                known.list()
            );
            out.push(match state {
                Some(state) => Problem::state(state, message),
                None => Problem::top(message),
            });
        }
    });
    out
}

/// What [`strings`] passes for the value of a `StateMachineArn` field (then the value).
const STATE_MACHINE_MARK: &str = "\u{0}StateMachineArn\u{0}";

/// Calls `f(state, string)` for every string value in a definition (or state) document,
/// with the name of the innermost state containing it; the value of a `StateMachineArn`
/// field comes prefixed with [`STATE_MACHINE_MARK`]. Nested `States` (Map processors,
/// Parallel branches) are entered state by state.
fn strings<'a>(value: &'a Value, state: Option<&'a str>, f: &mut impl FnMut(Option<&str>, &str)) {
    match value {
        Value::String(s) => f(state, s),
        Value::Array(items) => {
            for item in items {
                strings(item, state, f);
            }
        }
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("States", Value::Object(states)) => {
                        for (name, s) in states {
                            strings(s, Some(name), f);
                        }
                    }
                    ("StateMachineArn", Value::String(arn)) => {
                        f(state, &format!("{STATE_MACHINE_MARK}{arn}"));
                    }
                    _ => strings(v, state, f),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepwise_contract::deploy::{KeyAttr, QueueSpec, TableSpec};

    #[test]
    fn names_are_pascal_case_with_a_kind_suffix() {
        assert_eq!(pascal_name("sales-history"), "SalesHistory");
        assert_eq!(pascal_name("jobs"), "Jobs");
        assert_eq!(pascal_name("vector-progress-2"), "VectorProgress2");
        let p = Placeholder::new("dead-letters", PlaceholderKind::QueueUrl);
        assert_eq!(p.placeholder(), "${DeadLettersQueueUrl}");
        assert_eq!(
            Placeholder::new("products", PlaceholderKind::VectorBucketName).placeholder(),
            "${ProductsVectorBucketName}"
        );
        assert_eq!(
            Placeholder::new("products", PlaceholderKind::IndexArn).placeholder(),
            "${ProductsIndexArn}"
        );
    }

    #[test]
    fn substitutable_holds_the_deployment_names_then_the_declared_ones() {
        let resources = Resources {
            tables: vec![TableSpec {
                name: "sales-history",
                partition_key: KeyAttr::string("PK"),
                sort_key: None,
                indexes: &[],
                ttl_attribute: None,
                reason: "r",
            }],
            queues: vec![QueueSpec {
                name: "dead-letters",
                retention_days: 14,
                reason: "r",
            }],
            vector_indexes: vec![],
        };
        let known = Substitutable::new(&resources);
        assert_eq!(
            known.list(),
            "${ConfigParameterName}, ${ProgressTableName}, ${GroupImagesConfigParameterName}, ${LakeBucketName}, ${LakeTableBucketArn}, ${LakeNamespaceName}, ${SalesHistoryTableName}, ${SalesHistoryTableArn}, ${DeadLettersQueueUrl}, ${DeadLettersQueueArn}"
        );
        assert_eq!(
            known.fill("t=${SalesHistoryTableName} q=${DeadLettersQueueUrl} x=${Other}"),
            "t=stepwise-example-sales-history q=https://sqs.eu-west-1.amazonaws.com/123456789012/stepwise-example-dead-letters x=${Other}"
        );
    }

    #[test]
    fn names_in_finds_each_placeholder_and_stops_at_an_unclosed_one() {
        assert_eq!(names_in("a ${B} c ${D}${E} ${F"), vec!["B", "D", "E"]);
        assert!(names_in("no placeholders").is_empty());
    }
}

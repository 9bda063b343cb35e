//! Declared resources: the DynamoDB tables, SQS queues and S3 Vectors indexes a workflow
//! needs created for it ([`TableSpec`], [`QueueSpec`], [`VectorIndexSpec`]), checked at
//! build time and merged across workflows into the manifest's `resources` section.
//!
//! A resource has a logical kebab-case name (`sales-history`); permissions name it
//! ([`Resource::Table`] and friends) and definitions reach its deployed name through
//! placeholders ([`crate::placeholder`]). Two workflows may declare the same resource (a
//! shared dead-letter queue) only with identical specs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use stepwise_contract::deploy::{
    IndexSpec, KeyAttr, Permission, QueueSpec, Resource, TableSpec, VectorIndexSpec,
};

use crate::placeholder::{Placeholder, PlaceholderKind};
use crate::trigger::DeploymentName;

/// The longest logical name: the deployment prefixes it, and SQS queue names stop at 80
/// characters, S3 Vectors index names at 63.
pub const NAME_MAX: usize = 40;
/// SQS keeps a message at most 14 days.
pub const RETENTION_DAYS_MAX: u32 = 14;
/// S3 Vectors' largest dimension.
pub const DIMENSION_MAX: u32 = 4096;
/// S3 Vectors allows at most 10 non-filterable metadata keys per index.
pub const NON_FILTERABLE_KEYS_MAX: usize = 10;
/// DynamoDB allows at most 20 global secondary indexes per table.
pub const GSI_MAX: usize = 20;

/// The resources one workflow (or, merged, every workflow) declares, each once, in
/// declaration order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Resources {
    /// DynamoDB tables.
    pub tables: Vec<TableSpec>,
    /// SQS queues.
    pub queues: Vec<QueueSpec>,
    /// S3 Vectors indexes.
    pub vector_indexes: Vec<VectorIndexSpec>,
}

/// Two workflows declare one resource differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Conflict {
    /// `table`, `queue` or `vector index`.
    pub kind: &'static str,
    /// The logical name.
    pub name: String,
    /// The workflow that declared it first.
    pub first: String,
    /// The workflow that declared it differently.
    pub second: String,
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} \"{}\" is declared differently by workflows \"{}\" and \"{}\": a shared resource must be declared identically",
            self.kind, self.name, self.first, self.second
        )
    }
}

impl Resources {
    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.queues.is_empty() && self.vector_indexes.is_empty()
    }

    /// The declared table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The declared queue called `name`.
    pub fn queue(&self, name: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// The declared vector index called `name`.
    pub fn vector_index(&self, name: &str) -> Option<&VectorIndexSpec> {
        self.vector_indexes.iter().find(|v| v.name == name)
    }

    /// Every placeholder the deployment substitutes for these resources, by resource in
    /// declaration order (tables, queues, vector indexes).
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let mut out = Vec::new();
        for t in &self.tables {
            out.extend(PlaceholderKind::TABLE.map(|k| Placeholder::new(t.name, k)));
        }
        for q in &self.queues {
            out.extend(PlaceholderKind::QUEUE.map(|k| Placeholder::new(q.name, k)));
        }
        for v in &self.vector_indexes {
            out.extend(PlaceholderKind::VECTOR_INDEX.map(|k| Placeholder::new(v.name, k)));
        }
        out
    }

    /// Adds a table; an identical one declared before is kept once. A different table of
    /// the same name is reported by [`Resources::problems`].
    pub(crate) fn add_table(&mut self, spec: TableSpec) {
        if !self.tables.contains(&spec) {
            self.tables.push(spec);
        }
    }

    /// Adds a queue (as [`Resources::add_table`]).
    pub(crate) fn add_queue(&mut self, spec: QueueSpec) {
        if !self.queues.contains(&spec) {
            self.queues.push(spec);
        }
    }

    /// Adds a vector index (as [`Resources::add_table`]).
    pub(crate) fn add_vector_index(&mut self, spec: VectorIndexSpec) {
        if !self.vector_indexes.contains(&spec) {
            self.vector_indexes.push(spec);
        }
    }

    /// Every problem of these declarations, as messages: bad names and limits, one name
    /// declared twice differently, placeholders that collide with the deployment's own.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        twice("table", self.tables.iter().map(|t| t.name), &mut out);
        twice("queue", self.queues.iter().map(|q| q.name), &mut out);
        twice(
            "vector index",
            self.vector_indexes.iter().map(|v| v.name),
            &mut out,
        );
        for t in &self.tables {
            table_problems(t, &mut out);
        }
        for q in &self.queues {
            let mut push = |m: String| out.push(format!("queue \"{}\": {m}", q.name));
            name_problems(q.name, &mut push);
            if !(1..=RETENTION_DAYS_MAX).contains(&q.retention_days) {
                push(format!(
                    "retention_days {} is outside SQS's 1 to {RETENTION_DAYS_MAX} days",
                    q.retention_days
                ));
            }
            reason_problems(q.reason, &mut push);
        }
        for v in &self.vector_indexes {
            let mut push = |m: String| out.push(format!("vector index \"{}\": {m}", v.name));
            name_problems(v.name, &mut push);
            if !(1..=DIMENSION_MAX).contains(&v.dimension) {
                push(format!(
                    "dimension {} is outside S3 Vectors' 1 to {DIMENSION_MAX}",
                    v.dimension
                ));
            }
            if v.non_filterable_metadata_keys.len() > NON_FILTERABLE_KEYS_MAX {
                push(format!(
                    "{} non-filterable metadata keys; S3 Vectors allows at most {NON_FILTERABLE_KEYS_MAX}",
                    v.non_filterable_metadata_keys.len()
                ));
            }
            let mut seen = BTreeSet::new();
            for k in v.non_filterable_metadata_keys {
                if k.is_empty() || k.len() > 63 {
                    push(format!(
                        "non-filterable metadata key \"{k}\" must be 1 to 63 characters"
                    ));
                } else if !seen.insert(*k) {
                    push(format!(
                        "non-filterable metadata key \"{k}\" is listed twice"
                    ));
                }
            }
            reason_problems(v.reason, &mut push);
        }
        let reserved: Vec<&str> = DeploymentName::ALL.iter().map(|n| n.as_str()).collect();
        for p in self.placeholders() {
            if reserved.contains(&p.name().as_str()) {
                out.push(format!(
                    "{} \"{}\": its placeholder {} is the deployment's own; choose another name",
                    p.kind.resource_kind(),
                    p.resource,
                    p.placeholder()
                ));
            }
        }
        out
    }

    /// Problems of permissions that name a table, queue or vector index not declared
    /// here; `whose` says whose permissions they are (e.g. `activity "Claim"`).
    pub fn undeclared(&self, permissions: &[Permission], whose: &str) -> Vec<String> {
        let mut out = Vec::new();
        for p in permissions {
            let missing = match p.resource {
                Resource::Table { table } if self.table(table).is_none() => {
                    Some(("table", table, ".table(TableSpec { .. })"))
                }
                Resource::Queue { queue } if self.queue(queue).is_none() => {
                    Some(("queue", queue, ".queue(QueueSpec { .. })"))
                }
                Resource::VectorIndex { index } if self.vector_index(index).is_none() => Some((
                    "vector index",
                    index,
                    ".vector_index(VectorIndexSpec { .. })",
                )),
                _ => None,
            };
            if let Some((kind, name, how)) = missing {
                out.push(format!(
                    "{whose}: permission {} names {kind} \"{name}\", which the workflow does not declare (add {how})",
                    p.actions.join(", ")
                ));
            }
        }
        out
    }
}

/// The resources of every workflow, each once: `(workflow name, its resources)` in order.
/// The same name declared differently by two workflows is a [`Conflict`].
pub fn merge<'a>(
    declared: impl IntoIterator<Item = (&'a str, &'a Resources)>,
) -> Result<Resources, Vec<Conflict>> {
    let mut merged = Resources::default();
    let mut owners: BTreeMap<(&'static str, &'static str), &'a str> = BTreeMap::new();
    let mut conflicts = Vec::new();
    for (workflow, resources) in declared {
        let mut check = |kind: &'static str, name: &'static str, same: bool| -> bool {
            match owners.get(&(kind, name)) {
                Some(first) if !same => {
                    conflicts.push(Conflict {
                        kind,
                        name: name.to_string(),
                        first: (*first).to_string(),
                        second: workflow.to_string(),
                    });
                    false
                }
                Some(_) => false,
                None => {
                    owners.insert((kind, name), workflow);
                    true
                }
            }
        };
        for t in &resources.tables {
            let same = merged.table(t.name).is_none_or(|m| m == t);
            if check("table", t.name, same) {
                merged.tables.push(*t);
            }
        }
        for q in &resources.queues {
            let same = merged.queue(q.name).is_none_or(|m| m == q);
            if check("queue", q.name, same) {
                merged.queues.push(*q);
            }
        }
        for v in &resources.vector_indexes {
            let same = merged.vector_index(v.name).is_none_or(|m| m == v);
            if check("vector index", v.name, same) {
                merged.vector_indexes.push(*v);
            }
        }
    }
    if conflicts.is_empty() {
        Ok(merged)
    } else {
        Err(conflicts)
    }
}

fn twice<'a>(kind: &str, names: impl Iterator<Item = &'a str>, out: &mut Vec<String>) {
    let mut seen = BTreeSet::new();
    let mut reported = BTreeSet::new();
    for name in names {
        if !seen.insert(name) && reported.insert(name) {
            out.push(format!(
                "{kind} \"{name}\" is declared twice with different specs"
            ));
        }
    }
}

/// A logical name: lower-case kebab-case starting with a letter, at most [`NAME_MAX`].
pub fn is_logical_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn name_problems(name: &str, push: &mut impl FnMut(String)) {
    if !is_logical_name(name) {
        push(format!(
            "name must be lower-case kebab-case (a-z, 0-9, single '-'), start with a letter and have at most {NAME_MAX} characters"
        ));
    }
}

fn reason_problems(reason: &str, push: &mut impl FnMut(String)) {
    if reason.trim().is_empty() {
        push("reason is empty: say why the workflow needs it".into());
    }
}

fn table_problems(t: &TableSpec, out: &mut Vec<String>) {
    let mut push = |m: String| out.push(format!("table \"{}\": {m}", t.name));
    name_problems(t.name, &mut push);
    reason_problems(t.reason, &mut push);
    let mut types: BTreeMap<&str, KeyAttr> = BTreeMap::new();
    let mut key = |what: String, attr: KeyAttr, push: &mut dyn FnMut(String)| {
        if attr.name.is_empty() || attr.name.len() > 255 {
            push(format!("{what} name must be 1 to 255 characters"));
        }
        if let Some(other) = types.insert(attr.name, attr)
            && other.kind != attr.kind
        {
            push(format!(
                "{what} \"{}\" is {:?} here and {:?} elsewhere: an attribute has one type",
                attr.name, attr.kind, other.kind
            ));
        }
    };
    key("partition key".into(), t.partition_key, &mut push);
    if let Some(sort) = t.sort_key {
        if sort.name == t.partition_key.name {
            push(format!(
                "sort key \"{}\" is also the partition key",
                sort.name
            ));
        }
        key("sort key".into(), sort, &mut push);
    }
    if t.indexes.len() > GSI_MAX {
        push(format!(
            "{} global secondary indexes; DynamoDB allows at most {GSI_MAX}",
            t.indexes.len()
        ));
    }
    let mut names = BTreeSet::new();
    for IndexSpec {
        name,
        partition_key,
        sort_key,
    } in t.indexes
    {
        let ok = (3..=255).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !ok {
            push(format!(
                "index \"{name}\": DynamoDB index names are 3 to 255 of a-z, A-Z, 0-9, '_', '-', '.'"
            ));
        }
        if !names.insert(*name) {
            push(format!("index \"{name}\" is declared twice"));
        }
        key(
            format!("index \"{name}\" partition key"),
            *partition_key,
            &mut push,
        );
        if let Some(sort) = sort_key {
            key(format!("index \"{name}\" sort key"), *sort, &mut push);
        }
    }
    if let Some(ttl) = t.ttl_attribute
        && (ttl.is_empty() || ttl.len() > 255)
    {
        push("ttl_attribute must be 1 to 255 characters".into());
    }
}

#[cfg(test)]
mod tests;

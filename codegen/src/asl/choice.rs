//! Choice rules: the comparison operators, And/Or/Not, and JSONata `Condition`.
//!
//! A rule's operator is a field name (`"StringEquals": "x"`), so rules are (de)serialised
//! by hand: known keys are taken out, every remaining key must be a comparison operator.
//! A rule with two operators still parses (so the validator can name the problem).

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// One Choice rule (top level, when `next` is set) or a nested rule inside And/Or/Not.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChoiceRule {
    /// Human-readable description.
    pub comment: Option<String>,
    /// The path compared (JSONPath mode).
    pub variable: Option<String>,
    /// The comparison operators (exactly one in a valid data-test rule).
    pub comparisons: Vec<Comparison>,
    /// All of these must match.
    pub and: Option<Vec<ChoiceRule>>,
    /// Any of these must match.
    pub or: Option<Vec<ChoiceRule>>,
    /// This must not match.
    pub not: Option<Box<ChoiceRule>>,
    /// JSONata condition (`{% ... %}` or a boolean).
    pub condition: Option<Value>,
    /// Variables to assign when this rule matches.
    pub assign: Option<Value>,
    /// The output when this rule matches (JSONata).
    pub output: Option<Value>,
    /// Where to go when this rule matches (top-level rules only).
    pub next: Option<String>,
}

/// One comparison: an operator and its operand as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The operator.
    pub op: ComparisonOp,
    /// The operand: a literal, or a path for the `...Path` operators.
    pub operand: Value,
}

/// What an operator's operand must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandKind {
    /// A string literal.
    String,
    /// A string pattern with `*` wildcards.
    Pattern,
    /// A number literal.
    Number,
    /// A boolean literal.
    Boolean,
    /// An RFC 3339 timestamp literal.
    Timestamp,
    /// A path to the value compared against.
    Path,
    /// `true`/`false` for the type tests (IsNull, IsPresent, ...).
    TypeTest,
}

macro_rules! comparison_ops {
    ($($variant:ident => $name:literal, $kind:ident;)*) => {
        /// A Choice comparison operator.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ComparisonOp {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
        }

        impl ComparisonOp {
            /// Every operator, in the order the ASL specification lists them.
            pub const ALL: &'static [ComparisonOp] = &[$(ComparisonOp::$variant),*];

            /// The operator's field name.
            pub fn name(self) -> &'static str {
                match self { $(ComparisonOp::$variant => $name),* }
            }

            /// The operator named `name`, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($name => Some(ComparisonOp::$variant),)* _ => None }
            }

            /// What the operand must be.
            pub fn operand_kind(self) -> OperandKind {
                match self { $(ComparisonOp::$variant => OperandKind::$kind),* }
            }
        }
    };
}

comparison_ops! {
    StringEquals => "StringEquals", String;
    StringEqualsPath => "StringEqualsPath", Path;
    StringLessThan => "StringLessThan", String;
    StringLessThanPath => "StringLessThanPath", Path;
    StringGreaterThan => "StringGreaterThan", String;
    StringGreaterThanPath => "StringGreaterThanPath", Path;
    StringLessThanEquals => "StringLessThanEquals", String;
    StringLessThanEqualsPath => "StringLessThanEqualsPath", Path;
    StringGreaterThanEquals => "StringGreaterThanEquals", String;
    StringGreaterThanEqualsPath => "StringGreaterThanEqualsPath", Path;
    StringMatches => "StringMatches", Pattern;
    NumericEquals => "NumericEquals", Number;
    NumericEqualsPath => "NumericEqualsPath", Path;
    NumericLessThan => "NumericLessThan", Number;
    NumericLessThanPath => "NumericLessThanPath", Path;
    NumericGreaterThan => "NumericGreaterThan", Number;
    NumericGreaterThanPath => "NumericGreaterThanPath", Path;
    NumericLessThanEquals => "NumericLessThanEquals", Number;
    NumericLessThanEqualsPath => "NumericLessThanEqualsPath", Path;
    NumericGreaterThanEquals => "NumericGreaterThanEquals", Number;
    NumericGreaterThanEqualsPath => "NumericGreaterThanEqualsPath", Path;
    BooleanEquals => "BooleanEquals", Boolean;
    BooleanEqualsPath => "BooleanEqualsPath", Path;
    TimestampEquals => "TimestampEquals", Timestamp;
    TimestampEqualsPath => "TimestampEqualsPath", Path;
    TimestampLessThan => "TimestampLessThan", Timestamp;
    TimestampLessThanPath => "TimestampLessThanPath", Path;
    TimestampGreaterThan => "TimestampGreaterThan", Timestamp;
    TimestampGreaterThanPath => "TimestampGreaterThanPath", Path;
    TimestampLessThanEquals => "TimestampLessThanEquals", Timestamp;
    TimestampLessThanEqualsPath => "TimestampLessThanEqualsPath", Path;
    TimestampGreaterThanEquals => "TimestampGreaterThanEquals", Timestamp;
    TimestampGreaterThanEqualsPath => "TimestampGreaterThanEqualsPath", Path;
    IsNull => "IsNull", TypeTest;
    IsPresent => "IsPresent", TypeTest;
    IsNumeric => "IsNumeric", TypeTest;
    IsString => "IsString", TypeTest;
    IsBoolean => "IsBoolean", TypeTest;
    IsTimestamp => "IsTimestamp", TypeTest;
}

impl ChoiceRule {
    /// A data-test rule `variable op operand`.
    pub fn compare(variable: impl Into<String>, op: ComparisonOp, operand: Value) -> Self {
        ChoiceRule {
            variable: Some(variable.into()),
            comparisons: vec![Comparison { op, operand }],
            ..ChoiceRule::default()
        }
    }
}

const KNOWN: &[&str] = &[
    "Comment",
    "Variable",
    "And",
    "Or",
    "Not",
    "Condition",
    "Assign",
    "Output",
    "Next",
];

impl Serialize for ChoiceRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(c) = &self.comment {
            map.serialize_entry("Comment", c)?;
        }
        if let Some(v) = &self.variable {
            map.serialize_entry("Variable", v)?;
        }
        for c in &self.comparisons {
            map.serialize_entry(c.op.name(), &c.operand)?;
        }
        if let Some(v) = &self.and {
            map.serialize_entry("And", v)?;
        }
        if let Some(v) = &self.or {
            map.serialize_entry("Or", v)?;
        }
        if let Some(v) = &self.not {
            map.serialize_entry("Not", v)?;
        }
        if let Some(v) = &self.condition {
            map.serialize_entry("Condition", v)?;
        }
        if let Some(v) = &self.assign {
            map.serialize_entry("Assign", v)?;
        }
        if let Some(v) = &self.output {
            map.serialize_entry("Output", v)?;
        }
        if let Some(v) = &self.next {
            map.serialize_entry("Next", v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ChoiceRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        rule_from_map(map).map_err(D::Error::custom)
    }
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.remove(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "{key}: expected a string, found {}",
            kind_of(&other)
        )),
    }
}

fn take_rules(map: &mut Map<String, Value>, key: &str) -> Result<Option<Vec<ChoiceRule>>, String> {
    match map.remove(key) {
        None => Ok(None),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| rule_from_value(item).map_err(|e| format!("{key}[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(format!(
            "{key}: expected an array, found {}",
            kind_of(&other)
        )),
    }
}

fn rule_from_value(value: Value) -> Result<ChoiceRule, String> {
    match value {
        Value::Object(map) => rule_from_map(map),
        other => Err(format!("expected a rule object, found {}", kind_of(&other))),
    }
}

fn rule_from_map(mut map: Map<String, Value>) -> Result<ChoiceRule, String> {
    let mut rule = ChoiceRule {
        comment: take_string(&mut map, "Comment")?,
        variable: take_string(&mut map, "Variable")?,
        next: take_string(&mut map, "Next")?,
        and: take_rules(&mut map, "And")?,
        or: take_rules(&mut map, "Or")?,
        condition: map.remove("Condition"),
        assign: map.remove("Assign"),
        output: map.remove("Output"),
        ..ChoiceRule::default()
    };
    if let Some(not) = map.remove("Not") {
        rule.not = Some(Box::new(
            rule_from_value(not).map_err(|e| format!("Not: {e}"))?,
        ));
    }
    for (key, operand) in map {
        match ComparisonOp::from_name(&key) {
            Some(op) => rule.comparisons.push(Comparison { op, operand }),
            None if KNOWN.contains(&key.as_str()) => {}
            None => return Err(format!("unknown field `{key}`")),
        }
    }
    Ok(rule)
}

/// "a string", "an object", ... for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_operator_name_round_trips() {
        assert_eq!(ComparisonOp::ALL.len(), 39);
        for op in ComparisonOp::ALL {
            assert_eq!(ComparisonOp::from_name(op.name()), Some(*op));
        }
    }

    #[test]
    fn nested_rules_round_trip() {
        let doc = json!({
            "And": [
                {"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.b"},
                {"Not": {"Variable": "$.c", "IsNull": true}},
                {"Or": [{"Variable": "$.d", "StringMatches": "log-*.txt"}]}
            ],
            "Next": "X"
        });
        let rule: ChoiceRule = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(rule.and.as_ref().unwrap().len(), 3);
        assert_eq!(serde_json::to_value(&rule).unwrap(), doc);
    }

    #[test]
    fn unknown_key_is_rejected_with_its_name() {
        let err = serde_json::from_value::<ChoiceRule>(
            json!({"Variable": "$.a", "StringEqual": "x", "Next": "X"}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `StringEqual`"),
            "{err}"
        );
    }

    #[test]
    fn nested_error_names_its_position() {
        let err = serde_json::from_value::<ChoiceRule>(
            json!({"And": [{"Variable": "$.a", "Bogus": 1}], "Next": "X"}),
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("And[0]: unknown field `Bogus`"),
            "{err}"
        );
    }
}

//! Choice conditions: typed constructors for Choice rules.

use serde_json::{Value, json};

use crate::asl::{ChoiceRule, ComparisonOp};

/// A Choice condition (a rule without `Next`; the arm supplies it).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition(pub(crate) ChoiceRule);

impl Condition {
    /// `variable op operand` for any operator.
    pub fn compare(variable: impl Into<String>, op: ComparisonOp, operand: Value) -> Self {
        Condition(ChoiceRule::compare(variable, op, operand))
    }

    /// The string at `variable` equals `value`.
    pub fn string_equals(variable: impl Into<String>, value: impl Into<String>) -> Self {
        Self::compare(
            variable,
            ComparisonOp::StringEquals,
            Value::String(value.into()),
        )
    }

    /// The string at `variable` matches a `*` wildcard pattern.
    pub fn string_matches(variable: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::compare(
            variable,
            ComparisonOp::StringMatches,
            Value::String(pattern.into()),
        )
    }

    /// The number at `variable` equals `value`.
    pub fn numeric_equals(
        variable: impl Into<String>,
        value: impl Into<serde_json::Number>,
    ) -> Self {
        Self::compare(
            variable,
            ComparisonOp::NumericEquals,
            Value::Number(value.into()),
        )
    }

    /// The number at `variable` is greater than `value`.
    pub fn numeric_gt(variable: impl Into<String>, value: impl Into<serde_json::Number>) -> Self {
        Self::compare(
            variable,
            ComparisonOp::NumericGreaterThan,
            Value::Number(value.into()),
        )
    }

    /// The number at `variable` is less than `value`.
    pub fn numeric_lt(variable: impl Into<String>, value: impl Into<serde_json::Number>) -> Self {
        Self::compare(
            variable,
            ComparisonOp::NumericLessThan,
            Value::Number(value.into()),
        )
    }

    /// The number at `variable` is greater than the number at `other`.
    pub fn numeric_gt_path(variable: impl Into<String>, other: impl Into<String>) -> Self {
        Self::compare(
            variable,
            ComparisonOp::NumericGreaterThanPath,
            Value::String(other.into()),
        )
    }

    /// The boolean at `variable` equals `value`.
    pub fn boolean_equals(variable: impl Into<String>, value: bool) -> Self {
        Self::compare(variable, ComparisonOp::BooleanEquals, json!(value))
    }

    /// The timestamp at `variable` is before `timestamp`.
    pub fn timestamp_lt(variable: impl Into<String>, timestamp: impl Into<String>) -> Self {
        Self::compare(
            variable,
            ComparisonOp::TimestampLessThan,
            Value::String(timestamp.into()),
        )
    }

    /// A field exists at `variable`.
    pub fn is_present(variable: impl Into<String>) -> Self {
        Self::compare(variable, ComparisonOp::IsPresent, json!(true))
    }

    /// The value at `variable` is null.
    pub fn is_null(variable: impl Into<String>) -> Self {
        Self::compare(variable, ComparisonOp::IsNull, json!(true))
    }

    /// All of `conditions` hold.
    pub fn and(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Condition(ChoiceRule {
            and: Some(conditions.into_iter().map(|c| c.0).collect()),
            ..ChoiceRule::default()
        })
    }

    /// Any of `conditions` holds.
    pub fn or(conditions: impl IntoIterator<Item = Condition>) -> Self {
        Condition(ChoiceRule {
            or: Some(conditions.into_iter().map(|c| c.0).collect()),
            ..ChoiceRule::default()
        })
    }

    /// `condition` does not hold.
    #[allow(clippy::should_implement_trait)]
    pub fn not(condition: Condition) -> Self {
        Condition(ChoiceRule {
            not: Some(Box::new(condition.0)),
            ..ChoiceRule::default()
        })
    }

    pub(crate) fn into_rule(self, next: String) -> ChoiceRule {
        ChoiceRule {
            next: Some(next),
            ..self.0
        }
    }
}

//! Definition substitutions: what Step Functions does with a state machine's
//! `DefinitionSubstitutions` when it is created (CloudFormation, the CDK), done before a
//! local run — every `${Name}` whose name is in the map is replaced by its value, in
//! every string of the definition; placeholders not in the map stay as written (an
//! activity's `${Name}` Task resource, which the task runner serves).

use std::collections::BTreeMap;

use codegen::asl::{Problem, StateMachine, from_value};
use serde_json::Value;

use crate::executor::StartError;

/// `machine` with the substitutions applied to its strings (object keys are left alone).
/// A definition that no longer parses afterwards is [`StartError::Invalid`].
pub fn substitute(
    machine: &StateMachine,
    substitutions: &BTreeMap<String, String>,
) -> Result<StateMachine, StartError> {
    let mut document = machine.to_value();
    apply(&mut document, substitutions);
    from_value(document).map_err(|e| {
        StartError::Invalid(vec![Problem::top(format!(
            "the definition does not parse after its substitutions: {e}"
        ))])
    })
}

/// Replaces every `${Name}` of `substitutions` in the strings of `value`, in place.
pub fn apply(value: &mut Value, substitutions: &BTreeMap<String, String>) {
    match value {
        Value::String(s) if s.contains("${") => *s = replace(s, substitutions),
        Value::Array(items) => items.iter_mut().for_each(|i| apply(i, substitutions)),
        Value::Object(map) => map.values_mut().for_each(|v| apply(v, substitutions)),
        _ => {}
    }
}

/// `text` with each `${Name}` of `substitutions` replaced, scanning once (a value that
/// itself contains `${…}` is not substituted again).
fn replace(text: &str, substitutions: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match substitutions.get(name) {
                    Some(value) => out.push_str(value),
                    None => {
                        out.push_str("${");
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn replaces_known_names_in_every_string_and_leaves_the_rest() {
        let machine = from_value(json!({
            "StartAt": "Put",
            "States": {"Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": "${SalesHistoryTableName}",
                    "Item": {"pk": {"S": "${Prefix}-${Missing}-${Prefix}"}}
                },
                "Next": "Run"
            },
            "Run": {"Type": "Task", "Resource": "${Claim}", "End": true}}
        }))
        .unwrap();
        let subs = map(&[
            ("SalesHistoryTableName", "dev-sales"),
            ("Prefix", "${Prefix}x"),
        ]);
        let out = substitute(&machine, &subs).unwrap().to_value();
        assert_eq!(
            out["States"]["Put"]["Parameters"],
            json!({"TableName": "dev-sales", "Item": {"pk": {"S": "${Prefix}x-${Missing}-${Prefix}x"}}})
        );
        assert_eq!(out["States"]["Run"]["Resource"], "${Claim}");
    }

    #[test]
    fn an_unclosed_placeholder_is_kept_verbatim() {
        assert_eq!(replace("a ${B", &map(&[("B", "x")])), "a ${B");
    }
}

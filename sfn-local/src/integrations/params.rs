//! Decoding an integration's parameters into typed structs (PascalCase, unknown fields
//! denied): a misspelled field or a wrong type fails as Step Functions does —
//! `States.Runtime` naming the parameter — before anything is called.

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::resource::Integration;
use crate::failure::Failure;

/// The longest part of the parameters a cause quotes.
const QUOTE_LIMIT: usize = 512;

/// `input` as `T`, or `States.Runtime` naming the parameter at fault.
pub fn decode<T: DeserializeOwned>(
    integration: Integration,
    state: &str,
    input: &Value,
) -> Result<T, Failure> {
    serde_path_to_error::deserialize(input).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let detail = if path == "." || path.is_empty() {
            inner
        } else {
            format!("{path}: {inner}")
        };
        invalid(integration, state, input, &detail)
    })
}

/// `States.Runtime` for parameters `input` of `integration` in `state`, `detail` saying
/// which parameter and why.
pub fn invalid(integration: Integration, state: &str, input: &Value, detail: &str) -> Failure {
    let mut quoted = input.to_string();
    if quoted.len() > QUOTE_LIMIT {
        let mut cut = QUOTE_LIMIT;
        while !quoted.is_char_boundary(cut) {
            cut -= 1;
        }
        quoted.truncate(cut);
        quoted.push('…');
    }
    Failure::runtime(format!(
        "An error occurred while executing the state '{state}'. The Parameters '{quoted}' could not be used to start the Task {integration}: [{detail}]"
    ))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;
    use crate::integrations::resource::{Family, Service};

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct P {
        table_name: String,
        limit: Option<i32>,
    }

    const I: Integration = Integration {
        family: Family::Sdk,
        service: Service::DynamoDb,
        action: "query",
    };

    #[test]
    fn misspelled_and_mistyped_fields_name_the_parameter() {
        let err = decode::<P>(I, "Q", &json!({"TableNam": "t"})).unwrap_err();
        assert_eq!(err.error, "States.Runtime");
        assert!(
            err.cause.contains("unknown field `TableNam`"),
            "{}",
            err.cause
        );
        assert!(err.cause.contains("'Q'"), "{}", err.cause);
        let err = decode::<P>(I, "Q", &json!({"TableName": "t", "Limit": "3"})).unwrap_err();
        assert!(err.cause.contains("[Limit: invalid type"), "{}", err.cause);
        let err = decode::<P>(I, "Q", &json!({})).unwrap_err();
        assert!(
            err.cause.contains("missing field `TableName`"),
            "{}",
            err.cause
        );
        assert!(decode::<P>(I, "Q", &json!({"TableName": "t", "Limit": 3})).is_ok());
    }
}

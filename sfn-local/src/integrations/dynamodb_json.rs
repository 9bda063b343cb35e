//! DynamoDB JSON (`{"S": "x"}`, `{"N": "1"}`, `M`, `L`, `BOOL`, `NULL`, `SS`, `NS`, `BS`,
//! `B`) to the SDK's `AttributeValue` and back. Binary values are base64 text, as in
//! Step Functions' JSON.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value, json};

/// One attribute value as the parameters carry it (exactly one type key).
#[derive(Debug, Clone, PartialEq)]
pub struct Attr(pub AttributeValue);

/// The wire form of an attribute value, every type key optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
struct AttrRepr {
    S: Option<String>,
    N: Option<String>,
    B: Option<String>,
    SS: Option<Vec<String>>,
    NS: Option<Vec<String>>,
    BS: Option<Vec<String>>,
    M: Option<HashMap<String, Attr>>,
    L: Option<Vec<Attr>>,
    NULL: Option<bool>,
    BOOL: Option<bool>,
}

impl<'de> Deserialize<'de> for Attr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let r = AttrRepr::deserialize(deserializer)?;
        let blob = |text: &str| {
            STANDARD
                .decode(text)
                .map(Blob::new)
                .map_err(|e| D::Error::custom(format!("B is not base64: {e}")))
        };
        let mut values = Vec::new();
        if let Some(v) = r.S {
            values.push(AttributeValue::S(v));
        }
        if let Some(v) = r.N {
            values.push(AttributeValue::N(v));
        }
        if let Some(v) = r.B {
            values.push(AttributeValue::B(blob(&v)?));
        }
        if let Some(v) = r.SS {
            values.push(AttributeValue::Ss(v));
        }
        if let Some(v) = r.NS {
            values.push(AttributeValue::Ns(v));
        }
        if let Some(v) = r.BS {
            values.push(AttributeValue::Bs(
                v.iter().map(|b| blob(b)).collect::<Result<_, _>>()?,
            ));
        }
        if let Some(v) = r.M {
            values.push(AttributeValue::M(unwrap_map(v)));
        }
        if let Some(v) = r.L {
            values.push(AttributeValue::L(v.into_iter().map(|a| a.0).collect()));
        }
        if let Some(v) = r.NULL {
            values.push(AttributeValue::Null(v));
        }
        if let Some(v) = r.BOOL {
            values.push(AttributeValue::Bool(v));
        }
        if values.len() != 1 {
            return Err(D::Error::custom(format!(
                "an attribute value has exactly one of S, N, B, SS, NS, BS, M, L, NULL, BOOL (found {})",
                values.len()
            )));
        }
        Ok(Attr(values.remove(0)))
    }
}

/// A map of [`Attr`] as the SDK's map.
pub fn unwrap_map(map: HashMap<String, Attr>) -> HashMap<String, AttributeValue> {
    map.into_iter().map(|(k, v)| (k, v.0)).collect()
}

/// An attribute value as DynamoDB JSON.
pub fn to_json(value: &AttributeValue) -> Value {
    let b64 = |b: &Blob| Value::String(STANDARD.encode(b.as_ref()));
    match value {
        AttributeValue::S(s) => json!({"S": s}),
        AttributeValue::N(n) => json!({"N": n}),
        AttributeValue::B(b) => json!({"B": b64(b)}),
        AttributeValue::Ss(v) => json!({"SS": v}),
        AttributeValue::Ns(v) => json!({"NS": v}),
        AttributeValue::Bs(v) => json!({"BS": v.iter().map(b64).collect::<Vec<_>>()}),
        AttributeValue::M(m) => json!({"M": map_to_json(m)}),
        AttributeValue::L(l) => json!({"L": l.iter().map(to_json).collect::<Vec<_>>()}),
        AttributeValue::Null(b) => json!({"NULL": b}),
        AttributeValue::Bool(b) => json!({"BOOL": b}),
        // A type newer than this SDK: nothing faithful to print.
        _ => json!({}),
    }
}

/// An item (attribute name → value) as DynamoDB JSON, keys sorted for stable output.
pub fn map_to_json(map: &HashMap<String, AttributeValue>) -> Value {
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    let mut out = Map::new();
    for k in keys {
        out.insert(k.clone(), to_json(&map[k]));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips() {
        let item = json!({
            "s": {"S": "x"}, "n": {"N": "1.5"}, "b": {"B": "AAE="},
            "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AAE="]},
            "m": {"M": {"inner": {"L": [{"BOOL": true}, {"NULL": true}]}}}
        });
        let decoded: HashMap<String, Attr> = serde_json::from_value(item.clone()).unwrap();
        assert_eq!(decoded["b"].0, AttributeValue::B(Blob::new(vec![0u8, 1])));
        assert_eq!(map_to_json(&unwrap_map(decoded)), item);
    }

    #[test]
    fn a_value_needs_exactly_one_type() {
        let two: Result<Attr, _> = serde_json::from_value(json!({"S": "x", "N": "1"}));
        assert!(two.unwrap_err().to_string().contains("exactly one"));
        let unknown: Result<Attr, _> = serde_json::from_value(json!({"X": "x"}));
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("unknown field `X`")
        );
        let bad_b64: Result<Attr, _> = serde_json::from_value(json!({"B": "%%"}));
        assert!(bad_b64.unwrap_err().to_string().contains("base64"));
    }
}

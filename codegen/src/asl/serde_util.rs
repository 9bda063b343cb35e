//! Small serde helpers the ASL model shares: nullable paths and numbers that may be
//! JSONata expressions.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `Option<Option<T>>` where the outer `None` is "absent" and `Some(None)` is an explicit
/// JSON `null` — ASL gives `"ResultPath": null` its own meaning (discard the result).
pub(crate) mod nullable {
    use super::*;

    pub(crate) fn serialize<S: Serializer, T: Serialize>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// A numeric field: a JSON number, or (in JSONata mode) a `{% %}` expression string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Numeric {
    /// A literal number, kept exactly as written (`2` stays `2`, `2.0` stays `2.0`).
    Number(serde_json::Number),
    /// A JSONata expression.
    Expr(String),
}

impl Numeric {
    /// The value as an integer, when it is an integral literal.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Numeric::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            }),
            Numeric::Expr(_) => None,
        }
    }

    /// The value as a float, when it is a literal.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Numeric::Number(n) => n.as_f64(),
            Numeric::Expr(_) => None,
        }
    }
}

impl From<i64> for Numeric {
    fn from(value: i64) -> Self {
        Numeric::Number(value.into())
    }
}

impl From<u32> for Numeric {
    fn from(value: u32) -> Self {
        Numeric::Number(value.into())
    }
}

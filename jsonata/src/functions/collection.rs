//! Array and object functions: `$zip`, `$keys`, `$lookup`, `$append`, `$spread`, `$merge`,
//! `$reverse`, `$shuffle`, `$distinct`, `$type`, `$clone`, and `$error`/`$assert`.

use std::rc::Rc;

use rand::seq::SliceRandom;

use super::err;
use crate::error::Result;
use crate::eval::{Evaluator, append};
use crate::value::{Map, Value, deep_equal};

fn lookup(v: &Value, key: &str) -> Value {
    match v {
        Value::Array(a, _) => {
            let mut out = Vec::new();
            for x in a.iter() {
                match lookup(x, key) {
                    Value::Undefined => {}
                    Value::Array(y, _) => out.extend(y.iter().cloned()),
                    other => out.push(other),
                }
            }
            Value::seq(out)
        }
        Value::Object(o) => o.get(key).cloned().unwrap_or_default(),
        _ => Value::Undefined,
    }
}

/// The collection functions.
pub fn call(ev: &mut Evaluator, name: &str, args: &[Value], pos: usize) -> Result<Value> {
    let a0 = args.first().cloned().unwrap_or_default();
    Ok(match name {
        "zip" => {
            let arrays: Vec<Vec<Value>> = args.iter().map(|a| a.members()).collect();
            let n = arrays.iter().map(|a| a.len()).min().unwrap_or(0);
            Value::array(
                (0..n)
                    .map(|i| Value::array(arrays.iter().map(|a| a[i].clone()).collect()))
                    .collect(),
            )
        }
        "keys" => {
            let mut keys: Vec<String> = Vec::new();
            let mut add = |o: &Map| {
                for k in o.keys() {
                    if !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            };
            match &a0 {
                Value::Object(o) => add(o),
                Value::Array(a, _) => a.iter().for_each(|x| {
                    if let Value::Object(o) = x {
                        add(o)
                    }
                }),
                _ => {}
            }
            if keys.is_empty() {
                return Ok(Value::Undefined);
            }
            Value::seq(keys.into_iter().map(Value::str).collect())
        }
        "lookup" => match args.get(1) {
            Some(Value::String(k)) => lookup(&a0, k),
            _ => Value::Undefined,
        },
        "append" => append(a0, args.get(1).cloned().unwrap_or_default()),
        "spread" => match &a0 {
            Value::Object(o) => Value::seq(
                o.iter()
                    .map(|(k, v)| {
                        let mut m = Map::new();
                        m.insert(k.clone(), v.clone());
                        Value::Object(Rc::new(m))
                    })
                    .collect(),
            ),
            Value::Array(a, _) => {
                let mut out = Value::Undefined;
                for x in a.iter() {
                    let s = call(ev, "spread", std::slice::from_ref(x), pos)?;
                    out = append(out, s);
                }
                out
            }
            other => other.clone(),
        },
        "merge" => {
            if a0.is_undef() {
                return Ok(Value::Undefined);
            }
            let mut m = Map::new();
            for x in a0.members() {
                if let Value::Object(o) = x {
                    for (k, v) in o.iter() {
                        m.insert(k.clone(), v.clone());
                    }
                }
            }
            Value::Object(Rc::new(m))
        }
        "reverse" => {
            if a0.is_undef() {
                return Ok(Value::Undefined);
            }
            let mut v = a0.members();
            v.reverse();
            Value::array(v)
        }
        "shuffle" => {
            if a0.is_undef() {
                return Ok(Value::Undefined);
            }
            let mut v = a0.members();
            v.shuffle(&mut ev.rng);
            Value::array(v)
        }
        "distinct" => match &a0 {
            Value::Array(a, _) if a.len() > 1 => {
                let mut out: Vec<Value> = Vec::new();
                for x in a.iter() {
                    if !out.iter().any(|y| deep_equal(x, y)) {
                        out.push(x.clone());
                    }
                }
                Value::seq(out)
            }
            other => other.clone(),
        },
        "type" => match &a0 {
            Value::Undefined => Value::Undefined,
            Value::Null => Value::str("null"),
            Value::Bool(_) => Value::str("boolean"),
            Value::Number(_) => Value::str("number"),
            Value::String(_) => Value::str("string"),
            Value::Array(..) => Value::str("array"),
            Value::Object(_) => Value::str("object"),
            Value::Func(_) => Value::str("function"),
        },
        "clone" => match a0.to_json() {
            Some(j) => Value::from_json(&j),
            None => Value::Undefined,
        },
        "error" => {
            let msg = match &a0 {
                Value::String(s) => s.to_string(),
                _ => "$error() function evaluated".to_string(),
            };
            return Err(err("D3137", pos, msg));
        }
        "assert" => {
            if !matches!(a0, Value::Bool(true)) {
                let msg = match args.get(1) {
                    Some(Value::String(s)) => s.to_string(),
                    _ => "$assert() statement failed".to_string(),
                };
                return Err(err("D3141", pos, msg));
            }
            Value::Undefined
        }
        _ => Value::Undefined,
    })
}

//! Higher-order functions: `$map`, `$filter`, `$single`, `$reduce`, `$sift`, `$each` and
//! `$sort` (stable merge sort; a comparator returns true to swap).

use std::rc::Rc;

use super::err;
use crate::error::Result;
use crate::eval::{Evaluator, cmp_js_str, merge_sort, truthy};
use crate::value::{Map, Value};

fn hof_args(ev: &Evaluator, f: &Value, a: Value, b: Value, c: Value) -> Vec<Value> {
    let n = ev.arity(f);
    let mut args = vec![a];
    if n >= 2 {
        args.push(b);
    }
    if n >= 3 {
        args.push(c);
    }
    args
}

/// The higher-order functions.
pub fn call(
    ev: &mut Evaluator,
    name: &str,
    args: &[Value],
    input: &Value,
    pos: usize,
) -> Result<Value> {
    let a0 = args.first().cloned().unwrap_or_default();
    let f = args.get(1).cloned().unwrap_or_default();
    match name {
        "map" | "filter" | "single" => {
            if a0.is_undef() {
                return Ok(Value::Undefined);
            }
            let items = a0.members();
            let whole = Value::array(items.clone());
            let mut out = Vec::new();
            let mut found: Option<Value> = None;
            for (i, item) in items.into_iter().enumerate() {
                if name == "single" && f.is_undef() {
                    if found.is_some() {
                        return Err(err(
                            "D3138",
                            pos,
                            "The $single() function expected exactly 1 matching result.  Instead it matched more.",
                        ));
                    }
                    found = Some(item);
                    continue;
                }
                let call_args =
                    hof_args(ev, &f, item.clone(), Value::Number(i as f64), whole.clone());
                let r = ev.apply(&f, call_args, input, pos)?;
                match name {
                    "map" => {
                        if !r.is_undef() {
                            out.push(r);
                        }
                    }
                    "filter" => {
                        if truthy(&r).unwrap_or(false) {
                            out.push(item);
                        }
                    }
                    _ => {
                        if truthy(&r).unwrap_or(false) {
                            if found.is_some() {
                                return Err(err(
                                    "D3138",
                                    pos,
                                    "The $single() function expected exactly 1 matching result.  Instead it matched more.",
                                ));
                            }
                            found = Some(item);
                        }
                    }
                }
            }
            if name == "single" {
                return found.ok_or_else(|| err("D3139", pos, "The $single() function expected exactly 1 matching result.  Instead it matched 0."));
            }
            Ok(Value::seq(out))
        }
        "reduce" => {
            if a0.is_undef() {
                return Ok(Value::Undefined);
            }
            if ev.arity(&f) < 2 {
                return Err(err(
                    "D3050",
                    pos,
                    "The second argument of reduce function must be a function with at least two arguments",
                ));
            }
            let items = a0.members();
            let whole = Value::array(items.clone());
            let (mut acc, start) = match args.get(2) {
                Some(init) if !init.is_undef() => (init.clone(), 0),
                _ => (items.first().cloned().unwrap_or_default(), 1),
            };
            for (i, item) in items.into_iter().enumerate().skip(start) {
                let mut call_args = vec![acc, item];
                let n = ev.arity(&f);
                if n >= 3 {
                    call_args.push(Value::Number(i as f64));
                }
                if n >= 4 {
                    call_args.push(whole.clone());
                }
                acc = ev.apply(&f, call_args, input, pos)?;
            }
            Ok(acc)
        }
        "sift" | "each" => {
            let Value::Object(o) = &a0 else {
                return Ok(Value::Undefined);
            };
            let mut kept = Map::new();
            let mut out = Vec::new();
            for (k, v) in o.iter() {
                let call_args = hof_args(ev, &f, v.clone(), Value::str(k.as_str()), a0.clone());
                let r = ev.apply(&f, call_args, input, pos)?;
                if name == "sift" {
                    if truthy(&r).unwrap_or(false) {
                        kept.insert(k.clone(), v.clone());
                    }
                } else if !r.is_undef() {
                    out.push(r);
                }
            }
            if name == "each" {
                return Ok(Value::seq(out));
            }
            Ok(if kept.is_empty() {
                Value::Undefined
            } else {
                Value::Object(Rc::new(kept))
            })
        }
        "sort" => {
            if a0.is_undef() {
                return Ok(Value::Undefined);
            }
            let items = a0.members();
            if items.len() <= 1 {
                return Ok(Value::array(items));
            }
            let sorted = if f.is_undef() {
                if items.iter().all(|v| matches!(v, Value::Number(_))) {
                    merge_sort(items, &mut |a, b| Ok(a.as_f64() > b.as_f64()))?
                } else if items.iter().all(|v| matches!(v, Value::String(_))) {
                    merge_sort(items, &mut |a, b| match (a, b) {
                        (Value::String(x), Value::String(y)) => {
                            Ok(cmp_js_str(x, y) == std::cmp::Ordering::Greater)
                        }
                        _ => Ok(false),
                    })?
                } else {
                    return Err(err(
                        "D3070",
                        pos,
                        "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
                    ));
                }
            } else {
                merge_sort(items, &mut |a, b| {
                    let r = ev.apply(&f, vec![a.clone(), b.clone()], input, pos)?;
                    Ok(truthy(&r).unwrap_or(false))
                })?
            };
            Ok(Value::array(sorted))
        }
        _ => Ok(Value::Undefined),
    }
}

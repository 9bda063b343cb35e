//! Numeric functions and aggregation: `$number`, `$round` (half to even), `$power`,
//! `$sqrt`, `$sum`, `$max`, `$min`, `$average`, `$count`.

use super::err;
use crate::error::Result;
use crate::value::{Value, js_number};

fn nums(v: &Value) -> Vec<f64> {
    v.members().iter().filter_map(|x| x.as_f64()).collect()
}

/// The aggregation functions.
pub fn aggregate(name: &str, v: &Value) -> Result<Value> {
    if name == "count" {
        return Ok(Value::Number(v.members().len() as f64));
    }
    if v.is_undef() {
        return Ok(Value::Undefined);
    }
    let n = nums(v);
    Ok(match name {
        "sum" => Value::Number(n.iter().sum()),
        "max" if !n.is_empty() => {
            Value::Number(n.iter().cloned().fold(f64::NEG_INFINITY, f64::max))
        }
        "min" if !n.is_empty() => Value::Number(n.iter().cloned().fold(f64::INFINITY, f64::min)),
        "average" if !n.is_empty() => Value::Number(n.iter().sum::<f64>() / n.len() as f64),
        _ => Value::Undefined,
    })
}

/// Shifts a number's decimal point by `places` exactly (via its decimal representation).
fn shift(x: f64, places: i32) -> f64 {
    let s = js_number(x);
    let (m, e) = match s.split_once('e') {
        Some((m, e)) => (m.to_string(), e.parse::<i32>().unwrap_or(0)),
        None => (s, 0),
    };
    format!("{m}e{}", e + places).parse().unwrap_or(x)
}

/// `$round` with half-to-even rounding.
pub fn round(x: f64, precision: i32) -> f64 {
    let v = if precision != 0 {
        shift(x, precision)
    } else {
        x
    };
    let mut r = (v + 0.5).floor();
    if (r - v).abs() == 0.5 && r.rem_euclid(2.0) == 1.0 {
        r -= 1.0;
    }
    let r = if precision != 0 {
        shift(r, -precision)
    } else {
        r
    };
    if r == 0.0 { 0.0 } else { r }
}

/// Parses a string as `$number` does (JSON number syntax, or 0x/0o/0b prefixes).
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    let json_like = {
        let b = t.strip_prefix('-').unwrap_or(t);
        !b.is_empty()
            && b.chars().next().is_some_and(|c| c.is_ascii_digit())
            && !b.ends_with('.')
            && b.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    };
    if json_like {
        return t.parse::<f64>().ok().filter(|n| n.is_finite());
    }
    for (p, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(d) = t.strip_prefix(p) {
            return i64::from_str_radix(d, radix).ok().map(|n| n as f64);
        }
    }
    None
}

/// The numeric functions.
pub fn call(name: &str, args: &[Value], pos: usize) -> Result<Value> {
    let a0 = args.first().cloned().unwrap_or_default();
    if name == "number" {
        return Ok(match &a0 {
            Value::Undefined => Value::Undefined,
            Value::Number(n) => Value::Number(*n),
            Value::Bool(b) => Value::Number(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => match parse_number(s) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(err(
                        "D3030",
                        pos,
                        format!("Unable to cast value to a number: {s}"),
                    ));
                }
            },
            _ => return Err(err("D3030", pos, "Unable to cast value to a number")),
        });
    }
    let Some(x) = a0.as_f64() else {
        return Ok(Value::Undefined);
    };
    let y = args.get(1).and_then(|v| v.as_f64());
    Ok(Value::Number(match name {
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        "abs" => x.abs(),
        "round" => round(x, y.unwrap_or(0.0) as i32),
        "sqrt" => {
            if x < 0.0 {
                return Err(err(
                    "D3060",
                    pos,
                    format!("The sqrt function cannot be applied to a negative number: {x}"),
                ));
            }
            x.sqrt()
        }
        "power" => {
            let r = x.powf(y.unwrap_or(1.0));
            if !r.is_finite() {
                return Err(err(
                    "D3061",
                    pos,
                    format!(
                        "The power function has resulted in a value that cannot be represented as a JSON number: base={x}, exponent={}",
                        y.unwrap_or(1.0)
                    ),
                ));
            }
            r
        }
        _ => return Ok(Value::Undefined),
    }))
}

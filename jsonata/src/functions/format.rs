//! Number formatting: `$formatBase`, `$formatNumber`, `$formatInteger`, `$parseInteger`.

use super::err;
use crate::error::Result;
use crate::value::Value;

/// The formatting functions.
pub fn call(name: &str, args: &[Value], pos: usize) -> Result<Value> {
    let Some(n) = args.first().and_then(|v| v.as_f64()) else { return Ok(Value::Undefined) };
    match name {
        "formatBase" => {
            let radix = args.get(1).and_then(|v| v.as_f64()).unwrap_or(10.0);
            if !(2.0..=36.0).contains(&radix) {
                return Err(err("D3100", pos, format!("The radix of the formatBase function must be between 2 and 36.  It was given {radix}")));
            }
            let v = super::numeric::round(n, 0);
            let neg = v < 0.0;
            let mut x = v.abs() as u128;
            let radix = radix as u128;
            let mut digits = Vec::new();
            loop {
                digits.push(std::char::from_digit((x % radix) as u32, radix as u32).unwrap_or('0'));
                x /= radix;
                if x == 0 {
                    break;
                }
            }
            if neg {
                digits.push('-');
            }
            Ok(Value::str(digits.into_iter().rev().collect::<String>()))
        }
        _ => Err(err("D3133", pos, "not supported yet")),
    }
}

//! The functions Step Functions adds to JSONata: `$partition(array, size)`,
//! `$range(start, end, step?)` (inclusive), `$hash(data, algorithm)` (MD5, SHA-1,
//! SHA-256, SHA-384, SHA-512; hex), `$random(seed?)`, `$uuid()` (v4) and `$parse(json)`.

use rand::{RngExt, SeedableRng};

use super::err;
use crate::error::Result;
use crate::eval::Evaluator;
use crate::value::Value;

/// `$random(seed?)`: a number in [0, 1); the same seed gives the same number.
pub fn random(ev: &mut Evaluator, seed: &Value) -> Result<Value> {
    Ok(Value::Number(match seed.as_f64() {
        Some(s) => rand::rngs::StdRng::seed_from_u64(s.floor() as i64 as u64).random::<f64>(),
        None => ev.rng.random::<f64>(),
    }))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Step Functions functions.
pub fn call(ev: &mut Evaluator, name: &str, args: &[Value], pos: usize) -> Result<Value> {
    let a0 = args.first().cloned().unwrap_or_default();
    let num = |i: usize| args.get(i).and_then(|v| v.as_f64());
    Ok(match name {
        "partition" => {
            // Step Functions rounds integer parameters down.
            let size = num(1).unwrap_or(0.0).floor();
            if size < 1.0 {
                return Err(err(
                    "D3200",
                    pos,
                    "The chunk size of $partition must be a positive integer",
                ));
            }
            let items = a0.members();
            Value::array(
                items
                    .chunks(size as usize)
                    .map(|c| Value::array(c.to_vec()))
                    .collect(),
            )
        }
        "range" => {
            let (Some(start), Some(end)) = (num(0).map(f64::floor), num(1).map(f64::floor)) else {
                return Ok(Value::Undefined);
            };
            let step = num(2).unwrap_or(1.0).floor();
            if step == 0.0 {
                return Err(err("D3201", pos, "The step of $range must not be zero"));
            }
            let count = ((end - start) / step).floor() + 1.0;
            if count <= 0.0 {
                return Ok(Value::array(vec![]));
            }
            ev.check_size(count as usize * 8, pos)?;
            Value::array(
                (0..count as usize)
                    .map(|i| Value::Number(start + step * i as f64))
                    .collect(),
            )
        }
        "hash" => {
            let Value::String(data) = &a0 else {
                return Ok(Value::Undefined);
            };
            let algo = match args.get(1) {
                Some(Value::String(a)) => a.to_string(),
                _ => return Ok(Value::Undefined),
            };
            use sha2::Digest;
            let out = match algo.as_str() {
                "MD5" => hex(&md5::Md5::digest(data.as_bytes())),
                "SHA-1" => hex(&sha1::Sha1::digest(data.as_bytes())),
                "SHA-256" => hex(&sha2::Sha256::digest(data.as_bytes())),
                "SHA-384" => hex(&sha2::Sha384::digest(data.as_bytes())),
                "SHA-512" => hex(&sha2::Sha512::digest(data.as_bytes())),
                other => {
                    return Err(err(
                        "D3202",
                        pos,
                        format!(
                            "Unsupported hash algorithm {other}: use MD5, SHA-1, SHA-256, SHA-384 or SHA-512"
                        ),
                    ));
                }
            };
            Value::str(out)
        }
        "uuid" => {
            let bytes: [u8; 16] = ev.rng.random();
            Value::str(
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .to_string(),
            )
        }
        "parse" => {
            let Value::String(s) = &a0 else {
                return Ok(Value::Undefined);
            };
            let j: serde_json::Value = serde_json::from_str(s).map_err(|e| {
                err(
                    "D3203",
                    pos,
                    format!("$parse: the string is not valid JSON: {e}"),
                )
            })?;
            Value::from_json(&j)
        }
        _ => Value::Undefined,
    })
}

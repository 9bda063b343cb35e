//! Date/time functions: `$now`, `$millis`, `$fromMillis`, `$toMillis` (ISO 8601 by
//! default; XPath picture strings through `picture`).

use super::err;
use crate::error::Result;
use crate::eval::Evaluator;
use crate::value::Value;

/// Formats milliseconds since the epoch as ISO 8601 with milliseconds, UTC (`toISOString`).
pub fn iso(ms: f64) -> Option<String> {
    let dt = chrono::DateTime::from_timestamp_millis(ms.floor() as i64)?;
    Some(dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// Parses an ISO 8601 timestamp (date, date-time, with or without offset) to milliseconds.
pub fn parse_iso(s: &str) -> Option<f64> {
    static ISO: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let iso = ISO.get_or_init(|| {
        regex::Regex::new(r"^\d{4}(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$").expect("valid ISO 8601 pattern")
    });
    if !iso.is_match(s) {
        return None;
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_millis() as f64);
    }
    let fmts = [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%#z",
        "%Y-%m-%dT%H:%M%#z",
    ];
    for f in fmts {
        if let Ok(dt) = chrono::DateTime::parse_from_str(s, f) {
            return Some(dt.timestamp_millis() as f64);
        }
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"];
    for f in naive {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(dt.and_utc().timestamp_millis() as f64);
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp_millis() as f64);
    }
    if s.len() == 7
        && let Ok(d) = chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
    {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|dt| dt.and_utc().timestamp_millis() as f64);
    }
    if s.len() == 4
        && let Ok(y) = s.parse::<i32>()
    {
        return chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|dt| dt.and_utc().timestamp_millis() as f64);
    }
    None
}

/// The date/time functions.
pub fn call(ev: &mut Evaluator, name: &str, args: &[Value], pos: usize) -> Result<Value> {
    let s = |i: usize| match args.get(i) {
        Some(Value::String(s)) => Some(s.to_string()),
        _ => None,
    };
    let now_ms = ev.now.timestamp_millis() as f64;
    match name {
        "millis" => Ok(Value::Number(now_ms)),
        "now" => format(now_ms, s(0), s(1), pos),
        "fromMillis" => match args.first().and_then(|v| v.as_f64()) {
            Some(ms) => format(ms, s(1), s(2), pos),
            None => Ok(Value::Undefined),
        },
        "toMillis" => {
            let Some(text) = s(0) else {
                return Ok(Value::Undefined);
            };
            match s(1) {
                Some(p) => crate::picture::parse_datetime(&text, &p, now_ms, pos),
                None => match parse_iso(&text) {
                    Some(ms) => Ok(Value::Number(ms)),
                    None => Err(err(
                        "D3110",
                        pos,
                        format!("Unable to parse the timestamp {text}: it is not ISO 8601"),
                    )),
                },
            }
        }
        _ => Ok(Value::Undefined),
    }
}

fn format(ms: f64, picture: Option<String>, tz: Option<String>, pos: usize) -> Result<Value> {
    match picture {
        None if tz.is_none() => Ok(iso(ms).map(Value::str).unwrap_or_default()),
        p => crate::picture::format_datetime(ms, p.as_deref(), tz.as_deref(), pos),
    }
}

//! String functions: `$string` (JSON.stringify with JSONata's number rounding),
//! `$substring`, `$pad`, `$trim`, `$split`, `$join`, `$match`, `$replace`, `$contains`,
//! base64 and URL encoding.

use std::rc::Rc;
use std::sync::Arc;

use base64::Engine;

use super::err;
use crate::error::Result;
use crate::eval::Evaluator;
use crate::value::{Func, Map, Value, js_number, precision15};

fn json_str(s: &str, out: &mut String) {
    out.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

fn stringify(v: &Value, pretty: bool, indent: usize, out: &mut String, pos: usize) -> Result<()> {
    match v {
        Value::Undefined => out.push_str("null"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if !n.is_finite() {
                return Err(err("D1001", pos, "Number out of range"));
            } else {
                out.push_str(&js_number(precision15(*n)));
            }
        }
        Value::String(s) => json_str(s, out),
        Value::Func(_) => out.push_str("\"\""),
        Value::Array(a, _) => {
            if a.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if pretty {
                    out.push('\n');
                    out.push_str(&"  ".repeat(indent + 1));
                }
                stringify(x, pretty, indent + 1, out, pos)?;
            }
            if pretty {
                out.push('\n');
                out.push_str(&"  ".repeat(indent));
            }
            out.push(']');
        }
        Value::Object(o) => {
            let fields: Vec<_> = o.iter().filter(|(_, v)| !v.is_undef()).collect();
            if fields.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if pretty {
                    out.push('\n');
                    out.push_str(&"  ".repeat(indent + 1));
                }
                json_str(k, out);
                out.push(':');
                if pretty {
                    out.push(' ');
                }
                stringify(x, pretty, indent + 1, out, pos)?;
            }
            if pretty {
                out.push('\n');
                out.push_str(&"  ".repeat(indent));
            }
            out.push('}');
        }
    }
    Ok(())
}

/// `$string(value, prettify)`.
pub fn string_of(v: &Value, pretty: bool, pos: usize) -> Result<String> {
    match v {
        Value::String(s) => Ok(s.to_string()),
        Value::Func(_) => Ok(String::new()),
        Value::Number(n) if !n.is_finite() => Err(err(
            "D3001",
            pos,
            "Attempting to invoke string function on Infinity or NaN",
        )),
        Value::Number(n) if n.fract() == 0.0 => Ok(js_number(*n)),
        Value::Number(n) => Ok(js_number(precision15(*n))),
        _ => {
            let mut out = String::new();
            stringify(v, pretty, 0, &mut out, pos)?;
            Ok(out)
        }
    }
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// JS `Array.prototype.slice` on code points.
fn slice(cs: &[char], start: f64, end: Option<f64>) -> String {
    let len = cs.len() as f64;
    let norm = |x: f64| {
        let x = x.trunc();
        if x < 0.0 {
            (len + x).max(0.0)
        } else {
            x.min(len)
        }
    };
    let s = norm(start);
    let e = end.map(norm).unwrap_or(len);
    if e <= s {
        return String::new();
    }
    cs[s as usize..e as usize].iter().collect()
}

fn utf16_index(s: &str, byte: usize) -> usize {
    s[..byte].encode_utf16().count()
}

/// The regex of a `(sf)` argument, when it is one.
fn regex_of(v: &Value) -> Option<Arc<regex::Regex>> {
    match v {
        Value::Func(f) => match f.as_ref() {
            Func::Regex(r) => Some(r.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The match object a regex returns for its first match at or after `start`.
pub fn regex_match_object(re: &regex::Regex, s: &Value, start: usize) -> Value {
    let Value::String(s) = s else {
        return Value::Undefined;
    };
    let Some(c) = re.captures_at(s, start.min(s.len())) else {
        return Value::Undefined;
    };
    let m = c.get(0).map(|m| (m.start(), m.as_str())).unwrap_or((0, ""));
    let mut o = Map::new();
    o.insert("match".into(), Value::str(m.1));
    o.insert("index".into(), Value::Number(utf16_index(s, m.0) as f64));
    o.insert("groups".into(), groups(&c));
    Value::Object(Rc::new(o))
}

fn groups(c: &regex::Captures) -> Value {
    Value::array(
        c.iter()
            .skip(1)
            .map(|g| Value::str(g.map(|g| g.as_str()).unwrap_or("")))
            .collect(),
    )
}

fn s_arg(args: &[Value], i: usize) -> Option<Arc<str>> {
    match args.get(i) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The plain string functions.
pub fn call(ev: &mut Evaluator, name: &str, args: &[Value], pos: usize) -> Result<Value> {
    let a0 = args.first().cloned().unwrap_or_default();
    if name == "string" {
        if a0.is_undef() {
            return Ok(Value::Undefined);
        }
        let pretty = matches!(args.get(1), Some(Value::Bool(true)));
        let s = string_of(&a0, pretty, pos)?;
        ev.check_size(s.len(), pos)?;
        return Ok(Value::str(s));
    }
    if name == "join" {
        let Value::Array(items, _) = &a0 else {
            return Ok(Value::Undefined);
        };
        let sep = s_arg(args, 1).map(|s| s.to_string()).unwrap_or_default();
        let parts: Vec<String> = items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.to_string(),
                _ => String::new(),
            })
            .collect();
        let s = parts.join(&sep);
        ev.check_size(s.len(), pos)?;
        return Ok(Value::str(s));
    }
    let Some(s) = s_arg(args, 0) else {
        return Ok(Value::Undefined);
    };
    let num = |i: usize| args.get(i).and_then(|v| v.as_f64());
    Ok(match name {
        "substring" => {
            let cs = chars(&s);
            let start = num(1).unwrap_or(0.0);
            let len = cs.len() as f64;
            let start = if len + start < 0.0 { 0.0 } else { start };
            match num(2) {
                Some(l) => {
                    if l <= 0.0 {
                        Value::str("")
                    } else {
                        let end = if start >= 0.0 {
                            start + l
                        } else {
                            len + start + l
                        };
                        Value::str(slice(&cs, start, Some(end)))
                    }
                }
                None => Value::str(slice(&cs, start, None)),
            }
        }
        "substringBefore" => {
            let c = s_arg(args, 1).unwrap_or_default();
            match s.find(&*c) {
                Some(i) => Value::str(&s[..i]),
                None => Value::String(s),
            }
        }
        "substringAfter" => {
            let c = s_arg(args, 1).unwrap_or_default();
            match s.find(&*c) {
                Some(i) => Value::str(&s[i + c.len()..]),
                None => Value::String(s),
            }
        }
        "lowercase" => Value::str(s.to_lowercase()),
        "uppercase" => Value::str(s.to_uppercase()),
        "length" => Value::Number(s.chars().count() as f64),
        "trim" => {
            let mut out = String::new();
            let mut ws = false;
            for c in s.chars() {
                if matches!(c, ' ' | '\t' | '\n' | '\r') {
                    ws = true;
                } else {
                    if ws && !out.is_empty() {
                        out.push(' ');
                    }
                    ws = false;
                    out.push(c);
                }
            }
            Value::str(out)
        }
        "pad" => {
            let width = num(1).unwrap_or(0.0);
            let pad_char = s_arg(args, 2)
                .filter(|c| !c.is_empty())
                .map(|c| c.to_string())
                .unwrap_or_else(|| " ".into());
            let len = s.chars().count() as f64;
            let pad_len = width.abs().trunc() - len;
            if pad_len > 0.0 {
                ev.check_size(pad_len as usize * pad_char.len(), pos)?;
                let padding: String = pad_char.chars().cycle().take(pad_len as usize).collect();
                if width > 0.0 {
                    Value::str(format!("{s}{padding}"))
                } else {
                    Value::str(format!("{padding}{s}"))
                }
            } else {
                Value::String(s)
            }
        }
        "contains" => match args.get(1) {
            Some(Value::String(t)) => Value::Bool(s.contains(&**t)),
            Some(v) => match regex_of(v) {
                Some(re) => Value::Bool(re.is_match(&s)),
                None => Value::Undefined,
            },
            None => Value::Undefined,
        },
        "split" => {
            let limit = num(2);
            if limit.is_some_and(|l| l < 0.0) {
                return Err(err(
                    "D3020",
                    pos,
                    "Third argument of split function must evaluate to a positive number",
                ));
            }
            let mut parts: Vec<Value> = match args.get(1) {
                Some(Value::String(sep)) => {
                    if sep.is_empty() {
                        s.chars().map(|c| Value::str(c.to_string())).collect()
                    } else {
                        s.split(&**sep).map(Value::str).collect()
                    }
                }
                Some(v) => match regex_of(v) {
                    Some(re) => re.split(&s).map(Value::str).collect(),
                    None => return Ok(Value::Undefined),
                },
                None => return Ok(Value::Undefined),
            };
            if let Some(l) = limit {
                parts.truncate(l.trunc() as usize);
            }
            Value::array(parts)
        }
        "base64encode" => {
            Value::str(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
        }
        "base64decode" => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s.trim().as_bytes())
                .map_err(|e| err("D3137", pos, format!("Invalid base64 string: {e}")))?;
            Value::str(String::from_utf8_lossy(&bytes).to_string())
        }
        "encodeUrlComponent" => Value::str(encode_uri(&s, "-_.!~*'()", pos)?),
        "encodeUrl" => Value::str(encode_uri(&s, "-_.!~*'();/?:@&=+$,#", pos)?),
        "decodeUrlComponent" => Value::str(decode_uri(&s, "", pos)?),
        "decodeUrl" => Value::str(decode_uri(&s, ";/?:@&=+$,#", pos)?),
        _ => Value::Undefined,
    })
}

fn encode_uri(s: &str, keep: &str, pos: usize) -> Result<String> {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || keep.contains(c) {
            out.push(c);
        } else {
            if (0xD800..0xE000).contains(&(c as u32)) || c == '\u{FFFD}' {
                return Err(err("D3140", pos, "Malformed URL passed to encode function"));
            }
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Ok(out)
}

fn decode_uri(s: &str, reserved: &str, pos: usize) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out: Vec<u8> = Vec::new();
    let mut i = 0;
    let bad = || err("D3140", pos, "Malformed URL passed to decode function");
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or_else(bad)?;
            let b = u8::from_str_radix(hex, 16).map_err(|_| bad())?;
            if b < 0x80 && reserved.contains(b as char) {
                out.extend_from_slice(&bytes[i..i + 3]);
            } else {
                out.push(b);
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

fn expand_replacement(rep: &str, c: &regex::Captures) -> String {
    let groups: Vec<String> = c
        .iter()
        .skip(1)
        .map(|g| g.map(|g| g.as_str().to_string()).unwrap_or_default())
        .collect();
    let whole = c.get(0).map(|m| m.as_str()).unwrap_or("");
    let rc: Vec<char> = rep.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < rc.len() {
        if rc[i] != '$' {
            out.push(rc[i]);
            i += 1;
            continue;
        }
        i += 1;
        match rc.get(i) {
            Some('$') => {
                out.push('$');
                i += 1;
            }
            Some('0') => {
                out.push_str(whole);
                i += 1;
            }
            _ => {
                let max_digits = if groups.is_empty() {
                    1
                } else {
                    (groups.len() as f64).log10().floor() as usize + 1
                };
                let digits: String = rc[i..]
                    .iter()
                    .take(max_digits)
                    .take_while(|c| c.is_ascii_digit())
                    .collect();
                let mut idx: Option<usize> = digits.parse().ok();
                let mut used = digits.len();
                if max_digits > 1 && idx.is_some_and(|x| x > groups.len()) {
                    let d2: String = digits.chars().take(max_digits - 1).collect();
                    idx = d2.parse().ok();
                    used = d2.len();
                }
                match idx {
                    Some(ix) => {
                        if ix > 0
                            && let Some(g) = groups.get(ix - 1)
                        {
                            out.push_str(g);
                        }
                        i += used;
                    }
                    None => out.push('$'),
                }
            }
        }
    }
    out
}

/// `$match` and `$replace` (string or regex patterns, string or function replacements).
pub fn call_regex(
    ev: &mut Evaluator,
    name: &str,
    args: &[Value],
    input: &Value,
    pos: usize,
) -> Result<Value> {
    let Some(s) = s_arg(args, 0) else {
        return Ok(Value::Undefined);
    };
    let pattern = args.get(1).cloned().unwrap_or_default();
    if name == "match" {
        let limit = args.get(2).and_then(|v| v.as_f64());
        if limit.is_some_and(|l| l < 0.0) {
            return Err(err(
                "D3040",
                pos,
                "Third argument of match function must evaluate to a positive number",
            ));
        }
        let Some(re) = regex_of(&pattern) else {
            return Err(err(
                "T0410",
                pos,
                "Argument 2 of function match does not match function signature",
            ));
        };
        let mut out = Vec::new();
        for c in re.captures_iter(&s) {
            if limit.is_some_and(|l| out.len() as f64 >= l) {
                break;
            }
            let m = c.get(0).map(|m| (m.start(), m.as_str())).unwrap_or((0, ""));
            let mut o = Map::new();
            o.insert("match".into(), Value::str(m.1));
            o.insert("index".into(), Value::Number(utf16_index(&s, m.0) as f64));
            o.insert("groups".into(), groups(&c));
            out.push(Value::Object(Rc::new(o)));
        }
        return Ok(Value::seq(out));
    }
    let replacement = args.get(2).cloned().unwrap_or_default();
    let limit = args.get(3).and_then(|v| v.as_f64());
    if limit.is_some_and(|l| l < 0.0) {
        return Err(err(
            "D3011",
            pos,
            "Fourth argument of replace function must evaluate to a positive number",
        ));
    }
    let max = limit.map(|l| l.trunc() as usize).unwrap_or(usize::MAX);
    if let Value::String(p) = &pattern {
        if p.is_empty() {
            return Err(err(
                "D3010",
                pos,
                "Second argument of replace function cannot be an empty string",
            ));
        }
        let Value::String(r) = &replacement else {
            return Err(err(
                "T0410",
                pos,
                "Argument 3 of function replace does not match function signature",
            ));
        };
        let out = s.replacen(&**p, r, max);
        ev.check_size(out.len(), pos)?;
        return Ok(Value::str(out));
    }
    let Some(re) = regex_of(&pattern) else {
        return Ok(Value::Undefined);
    };
    let mut out = String::new();
    let mut last = 0;
    for (n, c) in re.captures_iter(&s).enumerate() {
        if n >= max {
            break;
        }
        let Some(m) = c.get(0) else { continue };
        if m.as_str().is_empty() {
            return Err(err(
                "D1004",
                pos,
                "Regular expression matches zero length string",
            ));
        }
        out.push_str(&s[last..m.start()]);
        match &replacement {
            Value::String(r) => out.push_str(&expand_replacement(r, &c)),
            f @ Value::Func(_) => {
                let mut o = Map::new();
                o.insert("match".into(), Value::str(m.as_str()));
                o.insert(
                    "index".into(),
                    Value::Number(utf16_index(&s, m.start()) as f64),
                );
                o.insert("groups".into(), groups(&c));
                match ev.apply(f, vec![Value::Object(Rc::new(o))], input, pos)? {
                    Value::String(r) => out.push_str(&r),
                    _ => {
                        return Err(err(
                            "D3012",
                            pos,
                            "Attempted to replace a matched string with a non-string value",
                        ));
                    }
                }
            }
            _ => {
                return Err(err(
                    "T0410",
                    pos,
                    "Argument 3 of function replace does not match function signature",
                ));
            }
        }
        ev.check_size(out.len(), pos)?;
        last = m.end();
    }
    out.push_str(&s[last..]);
    ev.check_size(out.len(), pos)?;
    Ok(Value::str(out))
}

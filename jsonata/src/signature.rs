//! Function signatures (`<s-n?:s>`): parsed into a regex over the arguments' type letters,
//! validated and coerced as the reference implementation does (context substitution for
//! `-`, wrapping a single value where an array is expected), with `T0410`/`T0411`/`T0412`.

use crate::error::{JsonataError, Result};
use crate::value::Value;

#[derive(Debug, Clone)]
struct Param {
    regex: String,
    kind: char,
    context: bool,
    context_regex: Option<regex::Regex>,
    subtype: Option<String>,
}

/// A parsed signature.
#[derive(Debug, Clone)]
pub struct Signature {
    params: Vec<Param>,
    regex: regex::Regex,
}

fn closing(sig: &[char], start: usize, open: char, close: char) -> usize {
    let mut depth = 1;
    let mut pos = start;
    while pos + 1 < sig.len() {
        pos += 1;
        if sig[pos] == open {
            depth += 1;
        } else if sig[pos] == close {
            depth -= 1;
            if depth == 0 {
                break;
            }
        }
    }
    pos
}

impl Signature {
    /// Parses a signature string such as `<n-n?:n>`.
    pub fn parse(sig: &str, pos: usize) -> Result<Signature> {
        let chars: Vec<char> = sig.chars().collect();
        let mut params: Vec<Param> = Vec::new();
        let mut i = 1;
        let new = |regex: &str, kind: char| Param {
            regex: regex.to_string(),
            kind,
            context: false,
            context_regex: None,
            subtype: None,
        };
        while i < chars.len() {
            let c = chars[i];
            if c == ':' {
                break;
            }
            match c {
                's' | 'n' | 'b' | 'l' | 'o' => params.push(new(&format!("[{c}m]"), c)),
                'a' => params.push(new("[asnblfom]", 'a')),
                'f' => params.push(new("f", 'f')),
                'j' => params.push(new("[asnblom]", 'j')),
                'x' => params.push(new("[asnblfom]", 'x')),
                '-' => {
                    if let Some(p) = params.last_mut() {
                        p.context = true;
                        p.context_regex = regex::Regex::new(&format!("^{}$", p.regex)).ok();
                        p.regex.push('?');
                    }
                }
                '?' | '+' => {
                    if let Some(p) = params.last_mut() {
                        p.regex.push(c);
                    }
                }
                '(' => {
                    let end = closing(&chars, i, '(', ')');
                    let choice: String = chars[i + 1..end].iter().collect();
                    if choice.contains('<') {
                        return Err(JsonataError::new(
                            "S0402",
                            pos,
                            "Choice groups containing parameterized types are not supported",
                        ));
                    }
                    params.push(new(&format!("[{choice}m]"), '('));
                    i = end;
                }
                '<' => {
                    let Some(p) = params.last_mut().filter(|p| p.kind == 'a' || p.kind == 'f')
                    else {
                        return Err(JsonataError::new(
                            "S0401",
                            pos,
                            "Type parameters can only be applied to functions and arrays",
                        ));
                    };
                    let end = closing(&chars, i, '<', '>');
                    p.subtype = Some(chars[i + 1..end].iter().collect());
                    i = end;
                }
                _ => {}
            }
            i += 1;
        }
        let re: String = params.iter().map(|p| format!("({})", p.regex)).collect();
        let regex = regex::Regex::new(&format!("^{re}$"))
            .map_err(|e| JsonataError::new("S0401", pos, format!("Invalid signature: {e}")))?;
        Ok(Signature { params, regex })
    }

    /// The number of parameters before the first optional one (JavaScript's
    /// `Function.length`, which the higher-order functions use to decide what to pass).
    pub fn required(&self) -> usize {
        self.params
            .iter()
            .take_while(|p| p.context || !p.regex.ends_with('?'))
            .count()
    }

    /// Validates the arguments (substituting the context where allowed).
    pub fn validate(&self, args: &[Value], context: &Value) -> Result<Vec<Value>> {
        let supplied: String = args.iter().map(|a| a.sig_letter()).collect();
        let Some(caps) = self.regex.captures(&supplied) else {
            // Find the first argument that does not fit.
            let mut idx = 0;
            for n in 1..=supplied.len() {
                let partial: String = self
                    .params
                    .iter()
                    .map(|p| format!("({})", p.regex))
                    .collect();
                let re = regex::Regex::new(&format!("^{partial}")).ok();
                if re.is_some_and(|r| r.find(&supplied[..n]).is_some_and(|m| m.end() == n)) {
                    idx = n;
                } else {
                    break;
                }
            }
            return Err(JsonataError::new(
                "T0410",
                0,
                format!(
                    "Argument {} of function does not match function signature",
                    idx + 1
                ),
            ));
        };
        let mut out = Vec::new();
        let mut ai = 0;
        for (pi, p) in self.params.iter().enumerate() {
            let m = caps.get(pi + 1).map(|m| m.as_str()).unwrap_or("");
            if m.is_empty() {
                if p.context && p.context_regex.is_some() {
                    // The outermost input array is the context itself, not its wrapper.
                    let context = match context {
                        Value::Array(a, f) if f & crate::value::OUTER != 0 && a.len() == 1 => &a[0],
                        c => c,
                    };
                    let t = context.sig_letter().to_string();
                    if p.context_regex.as_ref().is_some_and(|r| r.is_match(&t)) {
                        out.push(context.clone());
                    } else {
                        return Err(JsonataError::new(
                            "T0411",
                            0,
                            format!(
                                "Context value is not a compatible type with argument {}",
                                ai + 1
                            ),
                        ));
                    }
                } else {
                    out.push(args.get(ai).cloned().unwrap_or_default());
                    ai += 1;
                }
                continue;
            }
            for single in m.chars() {
                let arg = args.get(ai).cloned().unwrap_or_default();
                if p.kind == 'a' {
                    if single == 'm' {
                        out.push(Value::Undefined);
                    } else {
                        let mut ok = true;
                        if let Some(sub) = &p.subtype {
                            if single != 'a' && m != sub {
                                ok = false;
                            } else if single == 'a'
                                && let Value::Array(items, _) = &arg
                                && let Some(first) = items.first()
                            {
                                let t = first.sig_letter();
                                ok =
                                    sub.starts_with(t) && items.iter().all(|v| v.sig_letter() == t);
                            }
                        }
                        if !ok {
                            return Err(JsonataError::new(
                                "T0412",
                                0,
                                format!(
                                    "Argument {} of function must be an array of {}",
                                    ai + 1,
                                    p.subtype.clone().unwrap_or_default()
                                ),
                            ));
                        }
                        out.push(if single == 'a' {
                            arg
                        } else {
                            Value::array(vec![arg])
                        });
                    }
                } else {
                    out.push(arg);
                }
                ai += 1;
            }
        }
        Ok(out)
    }
}

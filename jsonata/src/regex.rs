//! Regex literals: JSONata's JavaScript-style `/pattern/flags` compiled with the `regex`
//! crate. Differences from JavaScript: no look-around and no backreferences (the `regex`
//! crate guarantees linear time instead); such a pattern is a syntax error (`S0302`).

use crate::error::{JsonataError, Result};

/// Compiles a regex literal's pattern with its flags (`i`, `m`; `g` is implied).
pub fn compile(pattern: &str, flags: &str, pos: usize) -> Result<regex::Regex> {
    let mut prefix = String::new();
    for f in flags.chars() {
        match f {
            'i' => prefix.push_str("(?i)"),
            'm' => prefix.push_str("(?m)"),
            's' => prefix.push_str("(?s)"),
            'g' | 'u' => {}
            other => {
                return Err(JsonataError::new(
                    "S0302",
                    pos,
                    format!("Unsupported regular expression flag: {other}"),
                ));
            }
        }
    }
    regex::RegexBuilder::new(&format!("{prefix}{pattern}"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| JsonataError::new("S0302", pos, format!("Invalid regular expression: {e}")))
}

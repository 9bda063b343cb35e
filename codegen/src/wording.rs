//! serde's error messages in a user's words: no Rust type names (`expected i64`,
//! `expected struct RawConfig`), JSON's names for JSON's types.

/// `message` (a serde error's text) with every Rust type name after "expected" replaced
/// by what a JSON user would call it, and backticks turned into double quotes.
pub fn plain(message: &str) -> String {
    const RUST_TYPES: &[(&str, &str)] = &[
        ("i8", "an integer"),
        ("i16", "an integer"),
        ("i32", "an integer (at most 2147483647)"),
        ("i64", "an integer (at most 9223372036854775807)"),
        ("i128", "an integer"),
        ("isize", "an integer"),
        ("u8", "a non-negative integer"),
        ("u16", "a non-negative integer"),
        ("u32", "a non-negative integer (at most 4294967295)"),
        ("u64", "a non-negative integer"),
        ("u128", "a non-negative integer"),
        ("usize", "a non-negative integer"),
        ("f32", "a number"),
        ("f64", "a number"),
        ("a sequence", "an array"),
        ("a map", "an object"),
        ("a boolean", "true or false"),
        ("unit", "null"),
    ];
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find("expected ") {
        let (head, tail) = rest.split_at(at + "expected ".len());
        out.push_str(head);
        rest = tail;
        if let Some(after) = rest.strip_prefix("struct ") {
            // `struct Name` (serde's default for a struct): an object.
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            out.push_str("an object");
            rest = &after[end..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("enum ") {
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            out.push_str("one of the allowed values");
            rest = &after[end..];
            continue;
        }
        for (rust, json) in RUST_TYPES {
            if let Some(after) = rest.strip_prefix(rust)
                && !after.starts_with(|c: char| c.is_alphanumeric() || c == '_')
            {
                out.push_str(json);
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out.replace('`', "\"")
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn rust_type_names_become_json_words() {
        assert_eq!(
            plain("invalid type: string \"x\", expected i64 at line 1 column 5"),
            "invalid type: string \"x\", expected an integer (at most 9223372036854775807) at line 1 column 5"
        );
        assert_eq!(
            plain("invalid type: integer `3`, expected struct RawConfig"),
            "invalid type: integer \"3\", expected an object"
        );
        assert_eq!(
            plain("invalid value: integer `-1`, expected u64"),
            "invalid value: integer \"-1\", expected a non-negative integer"
        );
        assert_eq!(plain("expected a sequence"), "expected an array");
        assert_eq!(plain("expected i64s"), "expected i64s");
        assert_eq!(
            plain("expected f64, expected enum Mode or expected usize"),
            "expected a number, expected one of the allowed values or expected a non-negative integer"
        );
    }
}

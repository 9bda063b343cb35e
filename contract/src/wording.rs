//! Serde's decode messages in a user's words: the one place (used by the activity
//! runtime's decode and by the definition and mock-config parsers) that turns
//! `invalid type: string "x", expected u32` into
//! `expected a non-negative integer up to 4294967295, got "x"`.
//!
//! Serde words its errors for Rust programmers (`expected i64`, `expected struct
//! RawConfig`, `invalid type: map`); the people who read an activity's `InvalidInput`
//! cause or a configuration error write JSON. [`user_wording`] rewrites the messages
//! serde's data model produces (wrong type, out-of-range value, unknown variant, wrong
//! length) into what the field accepts and what it got, in JSON terms, and turns the
//! remaining backticks into double quotes. A message it does not recognise (a custom
//! `Deserialize` impl's own words) passes through with only that quoting change.

/// `message` (a serde error's `Display`) in a user's words. A trailing
/// `at line L column C` (from parsing text) is kept at the end.
pub fn user_wording(message: &str) -> String {
    match location_suffix(message) {
        Some(at) => format!("{}{}", reword(&message[..at]), &message[at..]),
        None => reword(message),
    }
}

/// Where a trailing ` at line L column C` starts, if `message` has one.
fn location_suffix(message: &str) -> Option<usize> {
    let at = message.rfind(" at line ")?;
    let rest = &message[at + " at line ".len()..];
    let (line, column) = rest.split_once(" column ")?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(line) && digits(column)).then_some(at)
}

fn reword(message: &str) -> String {
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        && let Some((got, expected)) = rest.rsplit_once(", expected ")
    {
        return format!("expected {}, got {}", accepts(expected), value(got));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {}, got {}", quoted(expected), quoted(got));
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((got, expected)) = rest.split_once(", expected ")
    {
        return format!("expected {}, got {got} items", accepts(expected));
    }
    if message.starts_with("data did not match any variant of untagged enum") {
        return "the value matches none of the forms this field accepts".to_string();
    }
    quoted(message)
}

/// What a field accepts, from serde's `expected` text (a Rust type or visitor wording).
fn accepts(expected: &str) -> String {
    let plain = match expected {
        "u8" => "an integer from 0 to 255",
        "u16" => "an integer from 0 to 65535",
        "u32" => "a non-negative integer up to 4294967295",
        "u64" | "u128" | "usize" => "a non-negative integer",
        "i8" => "an integer from -128 to 127",
        "i16" => "an integer from -32768 to 32767",
        "i32" => "an integer from -2147483648 to 2147483647",
        "i64" | "i128" | "isize" => "an integer",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" | "string" => "a string",
        "a character" | "char" => "a one-character string",
        "a sequence" | "a tuple" | "a vector" => "an array",
        "a map" | "map" => "an object",
        "unit" | "null" => "null",
        // An enum decoded from a JSON value (serde_json's word for "a variant").
        "string or map" => "one of the accepted values",
        _ => {
            if let Some(width) = expected.strip_prefix("a nonzero u")
                && (width.parse::<u32>().is_ok() || width == "size")
            {
                return "a positive integer".to_string();
            }
            if let Some(width) = expected.strip_prefix("a nonzero i")
                && (width.parse::<u32>().is_ok() || width == "size")
            {
                return "a non-zero integer".to_string();
            }
            if expected.starts_with("struct ") || expected.starts_with("struct variant ") {
                return "an object".to_string();
            }
            if expected.starts_with("tuple struct ") {
                return "an array".to_string();
            }
            if let Some(n) = expected
                .strip_prefix("a tuple of size ")
                .or_else(|| expected.strip_prefix("tuple of size "))
                .or_else(|| expected.strip_prefix("an array of length "))
            {
                return format!("an array of {n} items");
            }
            if expected.starts_with("enum ") || expected.starts_with("unit variant ") {
                return "one of the accepted values".to_string();
            }
            return quoted(expected);
        }
    };
    plain.to_string()
}

/// A value as serde's `Unexpected` shows it, as JSON.
fn value(got: &str) -> String {
    for prefix in ["integer ", "floating point ", "boolean "] {
        if let Some(literal) = got.strip_prefix(prefix) {
            return literal.trim_matches('`').to_string();
        }
    }
    if let Some(text) = got.strip_prefix("string ") {
        return text.to_string();
    }
    if let Some(c) = got.strip_prefix("character ") {
        return format!("\"{}\"", c.trim_matches('`'));
    }
    match got {
        "map" => "an object".to_string(),
        "sequence" => "an array".to_string(),
        "null" | "unit value" | "Option value" => "null".to_string(),
        other => quoted(other),
    }
}

/// Serde's backtick quoting as JSON's double quotes.
fn quoted(text: &str) -> String {
    text.replace('`', "\"")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::user_wording;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct RawConfig {
        max_bytes: u64,
        timeout_seconds: u32,
        offset: i64,
        ratio: f64,
        enabled: bool,
        name: String,
        tags: Vec<String>,
        limits: BTreeMap<String, u8>,
        mode: Mode,
        inner: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: i32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        Fast,
        Careful,
    }

    fn valid() -> Value {
        json!({"max_bytes": 1, "timeout_seconds": 2, "offset": -3, "ratio": 0.5,
               "enabled": true, "name": "n", "tags": ["a"], "limits": {"a": 1},
               "mode": "fast", "inner": {"n": 1}})
    }

    /// What a user sees when `field` is set to `bad`.
    fn said(field: &str, bad: Value) -> String {
        let mut doc = valid();
        doc[field] = bad;
        let err = serde_json::from_value::<RawConfig>(doc).unwrap_err();
        user_wording(&err.to_string())
    }

    #[test]
    fn the_valid_document_decodes() {
        serde_json::from_value::<RawConfig>(valid()).unwrap();
    }

    #[test]
    fn wrong_types_say_what_the_field_accepts_and_what_it_got() {
        assert_eq!(
            said("max_bytes", json!("x")),
            r#"expected a non-negative integer, got "x""#
        );
        assert_eq!(
            said("max_bytes", json!(-1)),
            "expected a non-negative integer, got -1"
        );
        assert_eq!(
            said("timeout_seconds", json!(5_000_000_000u64)),
            "expected a non-negative integer up to 4294967295, got 5000000000"
        );
        assert_eq!(
            said("timeout_seconds", json!(1.5)),
            "expected a non-negative integer up to 4294967295, got 1.5"
        );
        assert_eq!(
            said("offset", json!("soon")),
            r#"expected an integer, got "soon""#
        );
        assert_eq!(said("ratio", json!(null)), "expected a number, got null");
        assert_eq!(
            said("enabled", json!("yes")),
            r#"expected true or false, got "yes""#
        );
        assert_eq!(said("name", json!(7)), "expected a string, got 7");
        assert_eq!(
            said("tags", json!({"a": 1})),
            "expected an array, got an object"
        );
        assert_eq!(
            said("limits", json!([1])),
            "expected an object, got an array"
        );
        assert_eq!(said("inner", json!(true)), "expected an object, got true");
    }

    #[test]
    fn no_rust_words_reach_the_user() {
        for (field, bad) in [
            ("max_bytes", json!("x")),
            ("timeout_seconds", json!(-1)),
            ("offset", json!(1.5)),
            ("ratio", json!("x")),
            ("inner", json!([])),
            ("limits", json!({"a": 300})),
            ("mode", json!(1)),
        ] {
            let message = said(field, bad);
            for word in [
                "u8",
                "u32",
                "u64",
                "i32",
                "i64",
                "f64",
                "struct",
                "map",
                "sequence",
                "`",
                "RawConfig",
                "Inner",
                "Mode",
            ] {
                assert!(
                    !message.contains(word),
                    "{field}: {message:?} says {word:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_variants_list_the_accepted_values() {
        assert_eq!(
            said("mode", json!("slow")),
            r#"expected "fast" or "careful", got "slow""#
        );
    }

    #[test]
    fn small_integers_state_their_range() {
        assert_eq!(
            said("limits", json!({"a": 300})),
            "expected an integer from 0 to 255, got 300"
        );
    }

    #[test]
    fn field_messages_keep_their_meaning_with_json_quotes() {
        let mut doc = valid();
        doc.as_object_mut().unwrap().remove("name");
        let err = serde_json::from_value::<RawConfig>(doc).unwrap_err();
        assert_eq!(user_wording(&err.to_string()), r#"missing field "name""#);
        let mut doc = valid();
        doc["nmae"] = json!("x");
        let err = serde_json::from_value::<RawConfig>(doc).unwrap_err();
        assert!(
            user_wording(&err.to_string())
                .starts_with(r#"unknown field "nmae", expected one of "max_bytes""#),
            "{err}"
        );
    }

    #[test]
    fn a_text_location_stays_at_the_end() {
        let err = serde_json::from_str::<RawConfig>(r#"{"max_bytes": "x"}"#).unwrap_err();
        assert_eq!(
            user_wording(&err.to_string()),
            r#"expected a non-negative integer, got "x" at line 1 column 17"#
        );
    }

    #[test]
    fn custom_messages_pass_through() {
        assert_eq!(
            user_wording("premature end of input"),
            "premature end of input"
        );
    }
}

//! serde's error messages in a user's words: no Rust type names (`expected i64`,
//! `expected struct RawConfig`), JSON's names for JSON's types. The wording itself lives
//! in [`stepwise_contract::wording`], shared with the activity runtime's decode.

/// `message` (a serde error's text) in a user's words: what was expected and what was
/// found, as JSON calls them.
pub fn plain(message: &str) -> String {
    stepwise_contract::wording::user_wording(message)
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn rust_type_names_become_json_words() {
        assert_eq!(
            plain("invalid type: string \"x\", expected i64 at line 1 column 5"),
            "expected an integer, got \"x\" at line 1 column 5"
        );
        assert_eq!(
            plain("invalid type: integer `3`, expected struct RawConfig"),
            "expected an object, got 3"
        );
        assert_eq!(
            plain("invalid value: integer `-1`, expected u64"),
            "expected a non-negative integer, got -1"
        );
    }
}

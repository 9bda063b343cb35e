//! Pagination tokens for ListVectorBuckets, ListIndexes and ListVectors: opaque to the
//! client, here the base64 of the last name returned and the listing's scope (prefix,
//! or segment), so a token used with other parameters is refused instead of silently
//! skipping or repeating entries.

use base64::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::limits::MAX_TOKEN_LEN;

#[derive(Serialize, Deserialize)]
struct Token {
    /// The last name or key returned.
    after: String,
    /// What was listed (`prefix:...`, `segment:2/4`).
    scope: String,
}

/// The token that continues a listing of `scope` after `after`.
pub fn encode(after: &str, scope: &str) -> String {
    let json = serde_json::to_vec(&Token {
        after: after.to_string(),
        scope: scope.to_string(),
    })
    .unwrap_or_default();
    BASE64_URL_SAFE_NO_PAD.encode(json)
}

/// The name to continue after, from a token of a listing of `scope`; `None` starts at
/// the beginning.
pub fn decode(token: Option<&str>, scope: &str) -> Result<Option<String>, ApiError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::validation(
            "/nextToken",
            "the nextToken is not one this listing returned (it is malformed, or the request's other parameters changed)",
        )
    };
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(invalid());
    }
    let bytes = BASE64_URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| invalid())?;
    let parsed: Token = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if parsed.scope != scope {
        return Err(invalid());
    }
    Ok(Some(parsed.after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_within_their_scope_only() {
        let token = encode("key-17", "segment:1/4");
        assert_eq!(
            decode(Some(&token), "segment:1/4").unwrap().as_deref(),
            Some("key-17")
        );
        assert_eq!(decode(None, "segment:1/4").unwrap(), None);
        let err = decode(Some(&token), "segment:2/4").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("/nextToken"));
        assert!(decode(Some("not a token!"), "x").is_err());
        assert!(decode(Some(""), "x").is_err());
    }
}

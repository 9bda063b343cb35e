//! Pagination tokens: opaque to clients, a position (an index or a sequence number)
//! tagged with the listing it belongs to, so a token from one listing is refused by
//! another (`InvalidToken`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ApiError, ErrorType};

/// The token for `position` in the listing `scope` (e.g. the execution ARN of a history).
pub fn encode(scope: &str, position: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{position}:{scope}"))
}

/// The position a token from [`encode`] holds for `scope`.
pub fn decode(scope: &str, token: &str) -> Result<u64, ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorType::InvalidToken,
            format!("Invalid Token: '{token}' is not a token of this listing"),
        )
    };
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (position, rest) = text.split_once(':').ok_or_else(invalid)?;
    if rest != scope {
        return Err(invalid());
    }
    position.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_belong_to_their_listing() {
        let t = encode("arn:x", 42);
        assert_eq!(decode("arn:x", &t).unwrap(), 42);
        assert_eq!(
            decode("arn:y", &t).unwrap_err().kind,
            ErrorType::InvalidToken
        );
        assert_eq!(
            decode("arn:x", "%%%").unwrap_err().kind,
            ErrorType::InvalidToken
        );
    }
}

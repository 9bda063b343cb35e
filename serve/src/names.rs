//! Step Functions' rules for the names of state machines, executions and activities
//! (`InvalidName` otherwise).

use crate::error::{ApiError, ErrorType};

/// The characters Step Functions refuses in a name.
const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";

/// Checks `name` (of a `what`: "state machine", "execution", "activity"): 1 to 80
/// characters, no whitespace, brackets, wildcards, special or control characters.
pub fn check(name: &str, what: &str) -> Result<(), ApiError> {
    let len = name.chars().count();
    if len == 0 || len > 80 {
        return Err(ApiError::new(
            ErrorType::InvalidName,
            format!("Invalid Name: '{name}' ({what} names have 1 to 80 characters)"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || FORBIDDEN.contains(*c))
    {
        return Err(ApiError::new(
            ErrorType::InvalidName,
            format!("Invalid Name: '{name}' ({what} names may not contain {c:?})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_step_functions_rules() {
        assert!(check("Orders-2024_v1", "state machine").is_ok());
        for bad in ["", "a b", "a:b", "a#b", "x/y", &"n".repeat(81)] {
            assert_eq!(
                check(bad, "execution").unwrap_err().kind,
                ErrorType::InvalidName,
                "{bad}"
            );
        }
    }
}

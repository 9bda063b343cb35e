//! XPath picture strings for dates (`$fromMillis`/`$toMillis` with a picture).

use crate::error::{JsonataError, Result};
use crate::value::Value;

/// Formats milliseconds with a picture and timezone.
pub fn format_datetime(_ms: f64, _picture: Option<&str>, _tz: Option<&str>, pos: usize) -> Result<Value> {
    Err(JsonataError::new("D3133", pos, "picture strings are not supported yet"))
}

/// Parses a timestamp with a picture.
pub fn parse_datetime(_s: &str, _picture: &str, pos: usize) -> Result<Value> {
    Err(JsonataError::new("D3133", pos, "picture strings are not supported yet"))
}

//! Reading values that come from outside: JSON text in, typed values or an `invalid-input` error
//! naming the first bad field out. Every entry point (wasm, server, tests) reads through here, so
//! the limits below hold everywhere.
//!
//! Nesting is bounded before anything recurses: serde_json refuses input nested deeper than 128
//! levels on its own, and [`check_limits`](CheckInput::check_limits) then enforces the tighter
//! per-type limits (condition depth 32, counts, string lengths) by walking the typed value.

use serde::de::DeserializeOwned;

use crate::error::{HandoffError, Result};

/// Input text larger than this is refused before parsing.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;
/// Ids: non-empty, at most this many Unicode scalar values, no control characters (SPEC §2).
pub const MAX_ID_CHARS: usize = 128;
/// Names, reasons and string facts.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Steps in one workflow definition.
pub const MAX_STEPS: usize = 20_000;
/// Workflows (all versions) in one configuration.
pub const MAX_WORKFLOWS: usize = 2_000;
/// Members, and separately roles and teams, in a directory.
pub const MAX_PARTIES: usize = 50_000;
/// Conditions nest at most this deep (SPEC §2).
pub const MAX_CONDITION_DEPTH: usize = 32;
/// Condition nodes in one step's `when`.
pub const MAX_CONDITION_NODES: usize = 1_000;
/// Facts on one case, and entries of a role or `in` list.
pub const MAX_LIST: usize = 1_000;

/// Post-parse limits a value must meet. `path` is where the value sits in the document.
pub trait CheckInput {
    fn check_limits(&self, path: &str) -> Result<()>;
}

/// Parses JSON text into `T` and checks its limits; the error names the first bad field.
pub fn from_json<T: DeserializeOwned + CheckInput>(text: &str) -> Result<T> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(HandoffError::invalid_input(
            "",
            format!("The input is {} bytes; at most {MAX_INPUT_BYTES} are accepted.", text.len()),
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(shape_error)?;
    deserializer.end().map_err(|e| HandoffError::invalid_input("", format!("Invalid JSON: {e}")))?;
    value.check_limits("")?;
    Ok(value)
}

fn shape_error(error: serde_path_to_error::Error<serde_json::Error>) -> HandoffError {
    let mut path = error.path().to_string();
    if path == "." {
        path.clear();
    }
    let inner = error.into_inner();
    let text = inner.to_string();
    // serde reports a missing or unknown field at the object that holds it; name the field itself.
    for marker in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(field) = text.strip_prefix(marker).and_then(|rest| rest.split('`').next()) {
            if path.rsplit(['.', ']']).next() != Some(field) {
                path = join_path(&path, field);
            }
        }
    }
    let message = if text.starts_with("recursion limit exceeded") {
        "The input is nested too deeply.".to_owned()
    } else if path.is_empty() {
        format!("Invalid input: {text}.")
    } else {
        format!("Invalid input at {path}: {text}.")
    };
    HandoffError::invalid_input(path, message)
}

/// `join_path("steps[2]", "id")` is `steps[2].id`; indexes and empty parts join without a dot.
pub fn join_path(outer: &str, inner: &str) -> String {
    if outer.is_empty() {
        inner.to_owned()
    } else if inner.is_empty() {
        outer.to_owned()
    } else if inner.starts_with('[') {
        format!("{outer}{inner}")
    } else {
        format!("{outer}.{inner}")
    }
}

/// Why `id` is not a valid id, if it is not (SPEC §2).
pub fn id_problem(id: &str) -> Option<&'static str> {
    if id.is_empty() {
        Some("is empty")
    } else if id.chars().nth(MAX_ID_CHARS).is_some() {
        Some("is longer than 128 characters")
    } else if id.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

/// Checks an id strictly: for commands, context, case input and case state.
pub fn check_id(id: &str, path: &str) -> Result<()> {
    match id_problem(id) {
        Some(problem) => Err(HandoffError::invalid_input(path, format!("The id at {path} {problem}."))),
        None => Ok(()),
    }
}

/// Checks the length of a free text (a name or a reason).
pub fn check_text(text: &str, path: &str) -> Result<()> {
    if text.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(HandoffError::invalid_input(
            path,
            format!("The text at {path} is longer than {MAX_TEXT_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Checks the number of entries of a list.
pub fn check_count(count: usize, max: usize, path: &str) -> Result<()> {
    if count > max {
        return Err(HandoffError::invalid_input(
            path,
            format!("{path} has {count} entries; at most {max} are accepted."),
        ));
    }
    Ok(())
}

/// Checks an ISO-8601 timestamp such as `2026-11-25T09:30:00Z` or `2026-11-25T09:30:00.123+01:00`.
pub fn check_timestamp(at: &str, path: &str) -> Result<()> {
    if is_timestamp(at) {
        Ok(())
    } else {
        Err(HandoffError::invalid_input(
            path,
            format!("{path} must be an ISO-8601 timestamp with a time zone, like 2026-11-25T09:30:00Z."),
        ))
    }
}

fn is_timestamp(at: &str) -> bool {
    let bytes = at.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes.get(range).is_some_and(|part| !part.is_empty() && part.iter().all(u8::is_ascii_digit))
    };
    let byte_is = |index: usize, expected: u8| bytes.get(index) == Some(&expected);
    let date_time = digits(0..4)
        && byte_is(4, b'-')
        && digits(5..7)
        && byte_is(7, b'-')
        && digits(8..10)
        && (byte_is(10, b'T') || byte_is(10, b't'))
        && digits(11..13)
        && byte_is(13, b':')
        && digits(14..16)
        && byte_is(16, b':')
        && digits(17..19);
    if !date_time {
        return false;
    }
    let mut rest = bytes.get(19..).unwrap_or_default();
    if let Some(fraction) = rest.strip_prefix(b".") {
        let count = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 || count > 9 {
            return false;
        }
        rest = fraction.get(count..).unwrap_or_default();
    }
    match rest {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert!(is_timestamp("2026-11-25T09:30:00Z"));
        assert!(is_timestamp("2026-11-25T09:30:00.123+01:00"));
        assert!(!is_timestamp("2026-11-25"));
        assert!(!is_timestamp("2026-11-25T09:30:00"));
        assert!(!is_timestamp("yesterday"));
        assert!(!is_timestamp("2026-11-25T09:30:00.Z"));
    }

    #[test]
    fn ids() {
        assert_eq!(id_problem(""), Some("is empty"));
        assert_eq!(id_problem(&"é".repeat(128)), None);
        assert!(id_problem(&"é".repeat(129)).is_some());
        assert!(id_problem("a\nb").is_some());
    }
}

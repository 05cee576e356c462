//! Reading values that come from outside: JSON text in, typed values or an `invalid-input` error
//! naming the first bad field out. Every entry point (wasm, server, tests) reads through here, so
//! the limits below hold everywhere.
//!
//! Nesting is bounded as the readers recurse: the reader (`json`) refuses to enter a 129th level
//! of arrays and objects, and [`check_limits`](CheckInput::check_limits) then enforces the tighter
//! per-type limits (condition depth 32, counts, string lengths) by walking the typed value.
//!
//! The path of a bad field is found only when something is wrong, by scanning the text up to
//! the reader's error position: the happy path pays nothing for it.

use crate::error::{HandoffError, Result};
use crate::read::FromJson;

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

/// Post-parse limits a value must meet; `at` is where the value sits in the document.
pub trait CheckInput {
    fn check_limits(&self, at: &At) -> Result<()>;
}

/// Where a check stands in the document: a chain of keys and indexes kept on the stack and
/// rendered as a path (`steps[3].handoff.to`) only when something is wrong.
#[derive(Clone, Copy)]
pub struct At<'a> {
    parent: Option<&'a At<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> At<'a> {
    pub const ROOT: At<'static> = At { parent: None, segment: Segment::Root };

    pub fn key(&'a self, key: &'a str) -> At<'a> {
        At { parent: Some(self), segment: Segment::Key(key) }
    }

    pub fn index(&'a self, index: usize) -> At<'a> {
        At { parent: Some(self), segment: Segment::Index(index) }
    }

    pub fn path(&self) -> String {
        let mut segments = Vec::new();
        let mut here = Some(self);
        while let Some(at) = here {
            segments.push(at.segment);
            here = at.parent;
        }
        let mut path = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Segment::Root => {}
                Segment::Key(key) => path = join_path(&path, key),
                Segment::Index(index) => path.push_str(&format!("[{index}]")),
            }
        }
        path
    }

    /// An `invalid-input` error here: `problem` follows the path in the message.
    pub fn error(&self, problem: &str) -> HandoffError {
        let path = self.path();
        let message = if path.is_empty() { format!("The input {problem}.") } else { format!("{path} {problem}.") };
        HandoffError::invalid_input(path, message)
    }
}

/// Parses JSON text into `T` and checks its limits; the error names the first bad field.
pub fn from_json<'de, T: FromJson<'de> + CheckInput>(text: &'de str) -> Result<T> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(HandoffError::invalid_input(
            "",
            format!("The input is {} bytes; at most {MAX_INPUT_BYTES} are accepted.", text.len()),
        ));
    }
    let value = crate::json::read(text, |reader| T::read(reader, &At::ROOT))?;
    value.check_limits(&At::ROOT)?;
    Ok(value)
}

/// An `invalid-input` error for text that is not JSON, with the path of the value it concerns,
/// found by scanning the text up to the error.
pub(crate) fn shape_error(text: &str, error: &crate::json::Error) -> HandoffError {
    let reason = error.message.strip_suffix('.').unwrap_or(&error.message);
    let path = error.position.map(|at| path_at(text, at)).unwrap_or_default();
    let message = if reason.starts_with("recursion limit exceeded") {
        "The input is nested too deeply.".to_owned()
    } else if path.is_empty() {
        format!("Invalid input: {reason}.")
    } else {
        format!("Invalid input at {path}: {reason}.")
    };
    HandoffError::invalid_input(path, message)
}

enum Frame {
    /// An object and the key whose value is being read, if any.
    Object(Option<String>),
    /// An array and the index of the element being read.
    Array(usize),
}

/// The path of the value being read at byte `offset` of `text`: `steps[3].handoff.to`. The reader
/// places an error about a whole object or array (a missing field) just past its end, where the
/// scan has left it again and stands at its key. Iterative: any nesting is fine.
fn path_at(text: &str, offset: usize) -> String {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut expecting_key = false;
    let mut at = 0;
    while at < offset {
        let Some(&byte) = bytes.get(at) else { break };
        match byte {
            b'{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
            }
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object(key)) => {
                    *key = None;
                    expecting_key = true;
                }
                Some(Frame::Array(index)) => *index += 1,
                None => {}
            },
            b'"' => {
                let end = string_end(bytes, at + 1);
                if expecting_key {
                    if let Some(Frame::Object(key)) = stack.last_mut() {
                        let raw = text.get(at + 1..end.saturating_sub(1)).unwrap_or_default();
                        *key = Some(crate::json::unquote(raw).unwrap_or_else(|| raw.to_owned()));
                    }
                    expecting_key = false;
                }
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => path = join_path(&path, key),
            Frame::Object(None) => {}
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// The index just past the closing quote of the string whose contents start at `from`.
fn string_end(bytes: &[u8], from: usize) -> usize {
    let mut at = from;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
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
pub fn check_id(id: &str, at: &At) -> Result<()> {
    match id_problem(id) {
        Some(problem) => Err(at.error(&format!("is an id that {problem}"))),
        None => Ok(()),
    }
}

/// Checks the length of a free text (a name or a reason).
pub fn check_text(text: &str, at: &At) -> Result<()> {
    // No more bytes than the limit means no more characters: most texts stop here.
    if text.len() > MAX_TEXT_CHARS && text.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(at.error(&format!("is longer than {MAX_TEXT_CHARS} characters")));
    }
    Ok(())
}

/// Checks the number of entries of a list or map.
pub fn check_count(count: usize, max: usize, at: &At) -> Result<()> {
    if count > max {
        return Err(at.error(&format!("has {count} entries; at most {max} are accepted")));
    }
    Ok(())
}

/// Checks an ISO-8601 timestamp such as `2026-11-25T09:30:00Z` or `2026-11-25T09:30:00.123+01:00`:
/// a real instant (no month 13, no February 30, no offset of +23:99).
pub fn check_timestamp(timestamp: &str, at: &At) -> Result<()> {
    match crate::time::Instant::parse(timestamp) {
        Some(_) => Ok(()),
        None => Err(at.error("must be an ISO-8601 timestamp with a time zone, like 2026-11-25T09:30:00Z")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_found_by_scanning_to_the_error() {
        let text = r#"{"a": [1, {"b\"c": {"d": [true, false, "x"]}}]}"#;
        let offset = text.find("\"x\"").unwrap_or_default() + 3;
        assert_eq!(path_at(text, offset), "a[1].b\"c.d[2]");
        assert_eq!(path_at(text, 0), "");
        assert_eq!(path_at("[[[[", 4), "[0][0][0][0]");
        assert_eq!(path_at("{\"a\":\"unterminated", 99), "a");
    }

    #[test]
    fn paths_render_only_when_asked() {
        let steps = At::ROOT.key("steps");
        let third = steps.index(3);
        let to = third.key("handoff");
        assert_eq!(to.key("to").path(), "steps[3].handoff.to");
        assert_eq!(At::ROOT.index(0).path(), "[0]");
        assert_eq!(At::ROOT.path(), "");
    }

    #[test]
    fn ids() {
        assert_eq!(id_problem(""), Some("is empty"));
        assert_eq!(id_problem(&"é".repeat(128)), None);
        assert!(id_problem(&"é".repeat(129)).is_some());
        assert!(id_problem("a\nb").is_some());
    }
}

//! Reading values that come from outside: JSON text in, typed values or an `invalid-input` error
//! naming the first bad field out. Every entry point (wasm, server, tests) reads through here, so
//! the limits below hold everywhere.
//!
//! - `json`: the reader, one pass over the text, nesting bounded at 128 levels;
//! - `read`: [`FromJson`], the typed readers, which a type gets from `#[derive(FromJson)]`
//!   (its JSON names and defaults from its serde attributes, its limits from `#[json(…)]`);
//! - `path`: [`At`], where a value stands, rendered only when something is wrong.
//!
//! Limits are checked as each field is read, so the first bad field in the document is the
//! one reported, whatever is wrong with it; a syntax error anywhere still wins (`json::read`).

mod json;
pub mod path;
mod read;

pub use handoff_derive::{FromJson, IntoOwned};
pub(crate) use json::read as read_text;
pub use json::{Kind, Reader};
pub use path::{join_path, At};

pub(crate) use read::deserialize_with_reader;
pub use read::{
    checked, duplicate_field, expected, field, invalid, missing_field, object, unknown_field, variant, FromJson,
};

use std::collections::BTreeMap;

use crate::error::HandoffError;

/// What the readers return: a failure is the `invalid-input` error, boxed, so that a reader's
/// result is no larger than its value and passing a failure up copies a pointer (the error is
/// 64 bytes, copied at every `?` of every field when it is not boxed). Callers of `from_json`
/// get the error itself.
pub type Result<T> = std::result::Result<T, Box<HandoffError>>;

/// Input text larger than this is refused before parsing: room for `findStuckWork` over 10,000
/// open 50-step cases (39 MB of JSON).
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
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

/// Parses JSON text into `T`, its limits checked as it is read; the error names the first bad
/// field.
pub fn from_json<'de, T: FromJson<'de>>(text: &'de str) -> crate::Result<T> {
    from_json_at(text, &At::ROOT)
}

/// `from_json` for a value that stands at `at` (an argument of a call that takes several, named
/// in the paths of its errors: `command.stepId`).
pub fn from_json_at<'de, T: FromJson<'de>>(text: &'de str, at: &At) -> crate::Result<T> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(too_large(text.len(), at));
    }
    json::read(text, at, |reader| T::read(reader, at)).map_err(|error| *error)
}

/// Apart from `from_json_at`, so that each type's copy of it holds only the test.
#[cold]
#[inline(never)]
fn too_large(length: usize, at: &At) -> HandoffError {
    at.error(&format!("is {length} bytes; at most {MAX_INPUT_BYTES} are accepted"))
}

impl At<'_> {
    /// An `invalid-input` error here: `problem` follows the path in the message.
    pub fn error(&self, problem: &str) -> HandoffError {
        let path = self.path();
        let message = if path.is_empty() { format!("The input {problem}.") } else { format!("{path} {problem}.") };
        HandoffError::invalid_input(path, message)
    }
}

/// A value that may borrow from the text it was read from, and the same value owning all of it
/// (an engine keeps its configuration beyond the text). `#[derive(IntoOwned)]` on a type with a
/// lifetime converts it field by field.
pub trait IntoOwned {
    type Static;
    fn into_owned(self) -> Self::Static;
}

impl IntoOwned for std::borrow::Cow<'_, str> {
    type Static = std::borrow::Cow<'static, str>;
    fn into_owned(self) -> Self::Static {
        std::borrow::Cow::Owned(std::borrow::Cow::into_owned(self))
    }
}

impl<T: IntoOwned> IntoOwned for Option<T> {
    type Static = Option<T::Static>;
    fn into_owned(self) -> Self::Static {
        self.map(T::into_owned)
    }
}

impl<T: IntoOwned> IntoOwned for Vec<T> {
    type Static = Vec<T::Static>;
    fn into_owned(self) -> Self::Static {
        self.into_iter().map(T::into_owned).collect()
    }
}

/// Values that never borrow: already owned.
macro_rules! owned {
    ($($ty:ty),*) => {$(
        impl $crate::input::IntoOwned for $ty {
            type Static = $ty;
            fn into_owned(self) -> $ty {
                self
            }
        }
    )*};
}

pub(crate) use owned;

owned!(bool, u32, u64, String, std::sync::Arc<str>);

/// A list or a map, as its limits see it: how many entries, and each with its path.
pub trait Entries {
    type Item;
    fn count(&self) -> usize;
    fn each(&self, at: &At, check: impl FnMut(&Self::Item, &At) -> crate::Result<()>) -> crate::Result<()>;
}

/// A map's keys, each checked at the map's own path (a key has no path of its own).
pub trait Keys {
    fn keys(&self, at: &At, check: impl FnMut(&str, &At) -> crate::Result<()>) -> crate::Result<()>;
}

impl<T> Entries for Vec<T> {
    type Item = T;
    fn count(&self) -> usize {
        self.len()
    }
    fn each(&self, at: &At, mut check: impl FnMut(&T, &At) -> crate::Result<()>) -> crate::Result<()> {
        self.iter().enumerate().try_for_each(|(index, item)| check(item, &at.index(index)))
    }
}

/// An optional list or map: its entries when given, none when absent.
impl<E: Entries> Entries for Option<E> {
    type Item = E::Item;
    fn count(&self) -> usize {
        self.as_ref().map_or(0, Entries::count)
    }
    fn each(&self, at: &At, check: impl FnMut(&E::Item, &At) -> crate::Result<()>) -> crate::Result<()> {
        self.as_ref().map_or(Ok(()), |entries| entries.each(at, check))
    }
}

impl<T> Entries for BTreeMap<String, T> {
    type Item = T;
    fn count(&self) -> usize {
        self.len()
    }
    fn each(&self, at: &At, mut check: impl FnMut(&T, &At) -> crate::Result<()>) -> crate::Result<()> {
        self.iter().try_for_each(|(key, item)| check(item, &at.key(key)))
    }
}

impl<T> Keys for BTreeMap<String, T> {
    fn keys(&self, at: &At, mut check: impl FnMut(&str, &At) -> crate::Result<()>) -> crate::Result<()> {
        self.keys().try_for_each(|key| check(key, at))
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
pub fn check_id(id: &str, at: &At) -> crate::Result<()> {
    match id_problem(id) {
        Some(problem) => Err(at.error(&format!("is an id that {problem}"))),
        None => Ok(()),
    }
}

/// Checks the length of a free text (a name or a reason).
pub fn check_text(text: &str, at: &At) -> crate::Result<()> {
    // No more bytes than the limit means no more characters: most texts stop here.
    if text.len() > MAX_TEXT_CHARS && text.chars().nth(MAX_TEXT_CHARS).is_some() {
        return Err(at.error(&format!("is longer than {MAX_TEXT_CHARS} characters")));
    }
    Ok(())
}

/// Checks a reason given for a change: not blank, and not too long.
pub fn check_reason(text: &str, at: &At) -> crate::Result<()> {
    if text.trim().is_empty() {
        return Err(HandoffError::invalid_input(at.path(), "A reason must say something."));
    }
    check_text(text, at)
}

/// Checks the number of entries of a list or map.
pub fn check_count(count: usize, max: usize, at: &At) -> crate::Result<()> {
    if count > max {
        return Err(at.error(&format!("has {count} entries; at most {max} are accepted")));
    }
    Ok(())
}

/// Checks an ISO-8601 timestamp such as `2026-11-25T09:30:00Z` or `2026-11-25T09:30:00.123+01:00`:
/// a real instant (no month 13, no February 30, no offset of +23:99).
pub fn check_timestamp(timestamp: &str, at: &At) -> crate::Result<()> {
    match crate::time::Instant::parse(timestamp) {
        Some(_) => Ok(()),
        None => Err(at.error("must be an ISO-8601 timestamp with a time zone, like 2026-11-25T09:30:00Z")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(id_problem(""), Some("is empty"));
        assert_eq!(id_problem(&"é".repeat(128)), None);
        assert!(id_problem(&"é".repeat(129)).is_some());
        assert!(id_problem("a\nb").is_some());
    }
}

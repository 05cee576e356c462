//! Typed readers over the JSON reader (`json::Reader`): how every value from outside becomes a
//! Rust value, with the path of the first bad field in document order. Plain functions rather
//! than serde visitors: the same checks in a fraction of the WebAssembly. A wire type gets its
//! reader from `#[derive(FromJson)]` (the `handoff-derive` crate), which calls the helpers here.

use std::collections::BTreeMap;

use super::json::{Kind, Reader};
use super::path::At;
use super::Result;
use crate::error::HandoffError;

/// A type read from JSON text. `'de` is the text's lifetime: a type may borrow from it (a
/// workflow definition's step ids and names are read without a copy).
pub trait FromJson<'de>: Sized {
    /// Reads the next value of `reader`, which stands at `at` in the document.
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self>;
}

/// A string that borrows from the text it was read from unless it had escapes to decode.
type Text<'a> = std::borrow::Cow<'a, str>;

/// What a value is, in words, for "expected … found …".
fn kind(found: Kind) -> &'static str {
    match found {
        Kind::Null => "null",
        Kind::Bool => "a boolean",
        Kind::Number => "a number",
        Kind::String => "a string",
        Kind::Array => "an array",
        Kind::Object => "an object",
    }
}

fn fail(at: &At, reason: String) -> Box<HandoffError> {
    let path = at.path();
    let message = if path.is_empty() {
        format!("Invalid input: {reason}.")
    } else {
        format!("Invalid input at {path}: {reason}.")
    };
    Box::new(HandoffError::invalid_input(path, message))
}

#[cold]
pub fn expected(at: &At, what: &str, found: Kind) -> Box<HandoffError> {
    fail(at, format!("invalid type: {}, expected {what}", kind(found)))
}

#[cold]
pub fn invalid(at: &At, reason: impl Into<String>) -> Box<HandoffError> {
    fail(at, reason.into())
}

/// `at` is the unknown field itself.
#[cold]
pub fn unknown_field(at: &At, name: &str, fields: &[&str]) -> Box<HandoffError> {
    fail(at, format!("unknown field `{name}`, expected one of {}", fields.join(", ")))
}

/// `at` is the object that lacks the field.
#[cold]
pub fn missing_field(at: &At, name: &str) -> Box<HandoffError> {
    fail(&at.key(name), format!("missing field `{name}`"))
}

#[cold]
pub fn duplicate_field(at: &At, name: &str) -> Box<HandoffError> {
    fail(at, format!("duplicate field `{name}`"))
}

/// A check's result as a reader returns it: one copy of the boxing for every derived check.
#[inline(never)]
pub fn checked(result: crate::Result<()>) -> Result<()> {
    result.map_err(Box::new)
}

/// Reads a field's value (the next value of `reader`) into `slot`: `duplicate-field` when the
/// object had this field already. Out of line: one copy for each type of field, not each field.
#[inline(never)]
pub fn field<'de, T: FromJson<'de>>(slot: &mut Option<T>, reader: &mut Reader<'de>, at: &At, name: &str) -> Result<()> {
    if slot.is_some() {
        return Err(duplicate_field(at, name));
    }
    *slot = Some(T::read(reader, at)?);
    Ok(())
}

/// An object's fields, each read by `field` given its name, in document order.
pub fn object<'de>(
    reader: &mut Reader<'de>,
    at: &At,
    what: &str,
    field: impl FnMut(&mut Reader<'de>, &str) -> Result<()>,
) -> Result<()> {
    match reader.kind()? {
        Kind::Object => reader.object(field),
        found => Err(expected(at, what, found)),
    }
}

/// One of a closed set of strings.
pub fn variant<T: Copy>(reader: &mut Reader<'_>, at: &At, variants: &[(&str, T)]) -> Result<T> {
    let names = || variants.iter().map(|(name, _)| *name).collect::<Vec<&str>>().join(", ");
    let found = reader.kind()?;
    if found != Kind::String {
        return Err(expected(at, &format!("one of {}", names()), found));
    }
    let name = reader.text()?;
    variants
        .iter()
        .find(|(v, _)| *v == name)
        .map(|(_, value)| *value)
        .ok_or_else(|| invalid(at, format!("unknown variant `{name}`, expected one of {}", names())))
}

impl<'de> FromJson<'de> for String {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        Text::read(reader, at).map(Text::into_owned)
    }
}

impl<'de> FromJson<'de> for std::sync::Arc<str> {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        Text::read(reader, at).map(|text| text.as_ref().into())
    }
}

impl<'de> FromJson<'de> for Text<'de> {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        match reader.kind()? {
            Kind::String => reader.text(),
            found => Err(expected(at, "a string", found)),
        }
    }
}

impl<'de> FromJson<'de> for bool {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        match reader.kind()? {
            Kind::Bool => reader.boolean(),
            found => Err(expected(at, "a boolean", found)),
        }
    }
}

impl<'de> FromJson<'de> for u64 {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        match reader.kind()? {
            Kind::Number => {
                reader.number()?.as_u64().ok_or_else(|| invalid(at, "expected a whole number of 0 or more"))
            }
            found => Err(expected(at, "a whole number", found)),
        }
    }
}

impl<'de> FromJson<'de> for u32 {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        let wide = u64::read(reader, at)?;
        u32::try_from(wide).map_err(|_| invalid(at, "the number is too large"))
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for Option<T> {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        match null(reader)? {
            true => Ok(None),
            false => T::read(reader, at).map(Some),
        }
    }
}

/// Whether the next value is `null`, then read: the part of every `Option`'s reader that is
/// the same whatever the type, kept in one copy.
#[inline(never)]
fn null(reader: &mut Reader<'_>) -> Result<bool> {
    match reader.kind()? {
        Kind::Null => reader.null().map(|()| true),
        _ => Ok(false),
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for Box<T> {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        T::read(reader, at).map(Box::new)
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for Vec<T> {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        array(reader, at)?;
        let mut values = Vec::new();
        reader.array(|reader, index| T::read(reader, &at.index(index)).map(|value| values.push(value)))?;
        Ok(values)
    }
}

impl<'de, T: FromJson<'de>> FromJson<'de> for BTreeMap<String, T> {
    fn read(reader: &mut Reader<'de>, at: &At) -> Result<Self> {
        let mut map = BTreeMap::new();
        object(reader, at, "an object", |reader, name| {
            let here = at.key(name);
            if map.insert(name.to_owned(), T::read(reader, &here)?).is_some() {
                return Err(duplicate_field(&here, name));
            }
            Ok(())
        })?;
        Ok(map)
    }
}

/// That the next value is an array, for every `Vec`'s reader (in one copy).
#[inline(never)]
fn array(reader: &mut Reader<'_>, at: &At) -> Result<()> {
    match reader.kind()? {
        Kind::Array => Ok(()),
        found => Err(expected(at, "an array", found)),
    }
}

/// `serde::Deserialize` through these readers, for native code that reads these types with serde
/// (events in the tests); the WebAssembly never links it.
macro_rules! deserialize_with_reader {
    ($($ty:ty),*) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(deserializer)?;
                let text = value.to_string();
                $crate::input::from_json::<$ty>(&text)
                .map_err(|e| serde::de::Error::custom(e.into_parts().message))
            }
        }
    )*};
}

pub(crate) use deserialize_with_reader;

/// What `#[derive(FromJson)]` emits, on a type of its own: names and defaults from the serde
/// attributes, limits from `#[json(…)]`, and the errors of a careful hand reader.
#[cfg(test)]
mod derived {
    #![allow(clippy::unwrap_used)]
    use crate::input::{check_id, from_json, FromJson};

    #[derive(Debug, PartialEq, serde::Serialize, FromJson)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        #[json(check = check_id)]
        case_id: String,
        #[serde(default)]
        #[json(max = 2, each = check_id)]
        tags: Vec<String>,
        #[json(default = 7)]
        count: u32,
        #[serde(rename = "type")]
        kind: Kind,
        /// Required, but may be null.
        note: Option<String>,
        #[serde(default)]
        #[json(check = check_id)]
        owner: Option<String>,
    }

    #[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, FromJson)]
    #[serde(rename_all = "camelCase")]
    enum Kind {
        OneWay,
        Other,
    }

    fn read(text: &str) -> Result<Sample, (String, String)> {
        from_json::<Sample>(text).map_err(|e| (e.details.path.clone().unwrap_or_default(), e.into_parts().message))
    }

    #[test]
    fn names_and_defaults_come_from_the_serde_attributes() {
        let sample = read(r#"{ "caseId": "c1", "type": "oneWay", "note": null }"#).unwrap();
        let expected =
            Sample { case_id: "c1".into(), tags: vec![], count: 7, kind: Kind::OneWay, note: None, owner: None };
        assert_eq!(sample, expected);
        // What serde writes, the derived reader reads back.
        let full = Sample { tags: vec!["a".into()], owner: Some("dana".into()), note: Some("n".into()), ..expected };
        assert_eq!(read(&serde_json::to_string(&full).unwrap()).unwrap(), full);
    }

    #[test]
    fn a_wrong_field_is_named_with_its_path() {
        let (path, message) = read(r#"{ "caseId": "c1", "kind": "oneWay" }"#).unwrap_err();
        assert_eq!(path, "kind");
        assert!(message.contains("unknown field `kind`, expected one of caseId, tags, count, type, note, owner"));
        let (path, message) = read(r#"{ "caseId": "c1", "type": "oneWay" }"#).unwrap_err();
        assert_eq!((path.as_str(), message.as_str()), ("note", "Invalid input at note: missing field `note`."));
        let (path, message) = read(r#"{ "caseId": "c1", "caseId": "c2" }"#).unwrap_err();
        assert_eq!((path.as_str(), message.as_str()), ("caseId", "Invalid input at caseId: duplicate field `caseId`."));
        let (path, message) = read(r#"{ "caseId": "c1", "type": "sideways" }"#).unwrap_err();
        assert_eq!(path, "type");
        assert!(message.contains("unknown variant `sideways`, expected one of oneWay, other"), "{message}");
        let (_, message) = read("[]").unwrap_err();
        assert!(message.contains("expected a sample { caseId, tags?, count?, type, note, owner? }"), "{message}");
    }

    #[test]
    fn limits_are_checked_as_each_field_is_read() {
        let (path, message) = read(r#"{ "caseId": "", "type": 1 }"#).unwrap_err();
        assert_eq!((path.as_str(), message.as_str()), ("caseId", "caseId is an id that is empty."));
        assert_eq!(read(r#"{ "tags": ["a", "b", "c"] }"#).unwrap_err().0, "tags");
        assert_eq!(read(r#"{ "tags": ["a", "b\n"] }"#).unwrap_err().0, "tags[1]");
        assert_eq!(read(r#"{ "owner": "" }"#).unwrap_err().0, "owner");
        // Absent or null, an optional field is not checked.
        assert!(read(r#"{ "caseId": "c", "type": "other", "note": null, "owner": null }"#).is_ok());
        // A syntax error anywhere still wins.
        assert!(read(r#"{ "caseId": "", "type": 1 "#).unwrap_err().1.contains("EOF"));
    }
}

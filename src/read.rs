//! Typed readers over the JSON tree (`json::Json`): how every value from outside becomes a Rust
//! value, with the path of the first bad field in document order. Plain functions rather than
//! serde visitors: the same checks in a fraction of the WebAssembly.

use std::collections::BTreeMap;

use crate::error::{HandoffError, Result};
use crate::input::At;
use crate::json::{Fields, Json, Value};

pub trait FromJson: Sized {
    fn read(json: &Json, at: &At) -> Result<Self>;
}

/// What a value is, in words, for "expected … found …".
fn kind(json: &Json) -> &'static str {
    match json.get() {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn fail(at: &At, reason: String) -> HandoffError {
    let path = at.path();
    let message = if path.is_empty() {
        format!("Invalid input: {reason}.")
    } else {
        format!("Invalid input at {path}: {reason}.")
    };
    HandoffError::invalid_input(path, message)
}

pub fn expected(at: &At, what: &str, found: &Json) -> HandoffError {
    fail(at, format!("invalid type: {}, expected {what}", kind(found)))
}

pub fn invalid(at: &At, reason: impl Into<String>) -> HandoffError {
    fail(at, reason.into())
}

/// `at` is the unknown field itself.
pub fn unknown_field(at: &At, name: &str, fields: &[&str]) -> HandoffError {
    fail(at, format!("unknown field `{name}`, expected one of {}", fields.join(", ")))
}

/// `at` is the object that lacks the field.
pub fn missing_field(at: &At, name: &str) -> HandoffError {
    fail(&at.key(name), format!("missing field `{name}`"))
}

pub fn duplicate_field(at: &At, name: &str) -> HandoffError {
    fail(at, format!("duplicate field `{name}`"))
}

/// The fields of an object, in document order.
pub fn object<'d>(json: &Json<'d>, at: &At, what: &str) -> Result<Fields<'d>> {
    match json.get() {
        Value::Object(fields) => Ok(fields),
        _ => Err(expected(at, what, json)),
    }
}

/// One of a closed set of strings.
pub fn variant<T: Copy>(json: &Json, at: &At, variants: &[(&str, T)]) -> Result<T> {
    let Value::String(name) = json.get() else {
        let names: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
        return Err(expected(at, &format!("one of {}", names.join(", ")), json));
    };
    variants.iter().find(|(v, _)| *v == name).map(|(_, value)| *value).ok_or_else(|| {
        let names: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
        invalid(at, format!("unknown variant `{name}`, expected one of {}", names.join(", ")))
    })
}

impl FromJson for String {
    fn read(json: &Json, at: &At) -> Result<Self> {
        match json.get() {
            Value::String(text) => Ok(text.to_owned()),
            _ => Err(expected(at, "a string", json)),
        }
    }
}

impl FromJson for bool {
    fn read(json: &Json, at: &At) -> Result<Self> {
        match json.get() {
            Value::Bool(flag) => Ok(flag),
            _ => Err(expected(at, "a boolean", json)),
        }
    }
}

impl FromJson for u64 {
    fn read(json: &Json, at: &At) -> Result<Self> {
        match json.get() {
            Value::Number(number) => number.as_u64().ok_or_else(|| invalid(at, "expected a whole number of 0 or more")),
            _ => Err(expected(at, "a whole number", json)),
        }
    }
}

impl FromJson for u32 {
    fn read(json: &Json, at: &At) -> Result<Self> {
        let wide = u64::read(json, at)?;
        u32::try_from(wide).map_err(|_| invalid(at, "the number is too large"))
    }
}

impl<T: FromJson> FromJson for Option<T> {
    fn read(json: &Json, at: &At) -> Result<Self> {
        match json.get() {
            Value::Null => Ok(None),
            _ => T::read(json, at).map(Some),
        }
    }
}

impl<T: FromJson> FromJson for Box<T> {
    fn read(json: &Json, at: &At) -> Result<Self> {
        T::read(json, at).map(Box::new)
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn read(json: &Json, at: &At) -> Result<Self> {
        let Value::Array(items) = json.get() else { return Err(expected(at, "an array", json)) };
        let mut values = Vec::with_capacity(items.len());
        for (index, item) in items.enumerate() {
            values.push(T::read(&item, &at.index(index))?);
        }
        Ok(values)
    }
}

impl<T: FromJson> FromJson for BTreeMap<String, T> {
    fn read(json: &Json, at: &At) -> Result<Self> {
        let fields = object(json, at, "an object")?;
        let mut map = BTreeMap::new();
        for (name, value) in fields {
            let here = at.key(name);
            if map.insert(name.to_owned(), T::read(&value, &here)?).is_some() {
                return Err(duplicate_field(&here, name));
            }
        }
        Ok(map)
    }
}

/// `read_object!(Type "an object { … }" { field: "jsonName", other: "other" = default_expr })`:
/// fields with `= expr` may be absent; the others are required (an `Option` may still be null).
/// Fields are read in document order, so the first bad field in the document is reported.
macro_rules! read_object {
    ($ty:ident $what:literal { $($field:ident : $json:literal $(= $default:expr)?),* $(,)? }) => {
        impl $crate::read::FromJson for $ty {
            fn read(json: &$crate::json::Json, at: &$crate::input::At) -> $crate::Result<Self> {
                const FIELDS: &[&str] = &[$($json),*];
                $(let mut $field = None;)*
                for (name, value) in $crate::read::object(json, at, $what)? {
                    let here = at.key(name);
                    match name {
                        $($json => {
                            if $field.is_some() {
                                return Err($crate::read::duplicate_field(&here, name));
                            }
                            $field = Some($crate::read::FromJson::read(&value, &here)?);
                        })*
                        _ => return Err($crate::read::unknown_field(&here, name, FIELDS)),
                    }
                }
                Ok($ty { $($field: match $field {
                    Some(value) => value,
                    None => read_object!(@absent at $json $(, $default)?),
                },)* })
            }
        }
    };
    (@absent $at:ident $json:literal) => {
        return Err($crate::read::missing_field($at, $json))
    };
    (@absent $at:ident $json:literal, $default:expr) => {
        $default
    };
}

pub(crate) use read_object;

/// `serde::Deserialize` through the tree, for native code that reads these types with serde
/// (events in the tests); the WebAssembly never links it.
macro_rules! deserialize_with_reader {
    ($($ty:ty),*) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(deserializer)?;
                let text = value.to_string();
                let doc = $crate::json::parse(&text).map_err(serde::de::Error::custom)?;
                <$ty as $crate::read::FromJson>::read(&doc.root(), &$crate::input::At::ROOT)
                    .map_err(|e| serde::de::Error::custom(e.message))
            }
        }
    )*};
}

pub(crate) use deserialize_with_reader;

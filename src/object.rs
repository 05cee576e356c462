//! `Deserialize` for structs read from JSON objects only. serde's derive also accepts the array
//! form of every struct, which no caller sends and which costs a third of the deserialization
//! code in the `.wasm`; this reads objects only, with serde's own errors for unknown, duplicate
//! and missing fields. Serialization (and the TypeScript types) stay derived.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Visitor};

/// A map key, borrowed from the input when it has no escapes.
pub(crate) struct Key<'de>(pub Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// `read_object!(Type "Type" { field: "jsonName", other: "other" = default_expr })`: fields
/// with `= expr` may be absent; the others are required (an `Option` field may still be `null`).
macro_rules! read_object {
    ($ty:ident $expecting:literal { $($field:ident : $json:literal $(= $default:expr)?),* $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct ObjectVisitor;
                impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<$ty, A::Error> {
                        const FIELDS: &[&str] = &[$($json),*];
                        $(let mut $field = None;)*
                        while let Some(key) = map.next_key::<$crate::object::Key<'de>>()? {
                            match key.0.as_ref() {
                                $($json => {
                                    if $field.is_some() {
                                        return Err(serde::de::Error::duplicate_field($json));
                                    }
                                    $field = Some(map.next_value()?);
                                })*
                                other => return Err(serde::de::Error::unknown_field(other, FIELDS)),
                            }
                        }
                        Ok($ty { $($field: match $field {
                            Some(value) => value,
                            None => read_object!(@absent $json $(, $default)?),
                        },)* })
                    }
                }
                deserializer.deserialize_map(ObjectVisitor)
            }
        }
    };
    (@absent $json:literal) => {
        return Err(serde::de::Error::missing_field($json))
    };
    (@absent $json:literal, $default:expr) => {
        $default
    };
}

pub(crate) use read_object;

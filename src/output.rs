//! Values written as JSON text, as serde_json writes their `Serialize` (a test holds every type
//! to that, text for text). What the WebAssembly writes with: `#[derive(ToJson)]` (the
//! `handoff-derive` crate) reads the serde attributes a type already has and emits a plain walk
//! that pushes onto one `String`, a fraction of the code that serde's serializer
//! monomorphizes for every field type. The server keeps serde_json.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use handoff_derive::ToJson;

/// A value written as JSON text.
pub trait ToJson {
    /// Appends the value's JSON text to `out`.
    fn write_json(&self, out: &mut String);
}

/// A value written as an object, whose members a `#[serde(flatten)]` field writes into the
/// object around it. `first` says whether no member has been written yet.
pub trait Members {
    fn write_members(&self, out: &mut String, first: &mut bool);
}

/// The JSON text of `value`.
pub fn to_json<T: ToJson + ?Sized>(value: &T) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// `out.push(c)`, out of line: inlined, every `{`, `}` and `,` of every writer is a check of the
/// capacity and a call to grow it.
#[inline(never)]
pub fn push(out: &mut String, c: char) {
    out.push(c);
}

/// `out.push_str(text)`, out of line, for the words every writer of an `Option` or a `bool`
/// writes (`null`, `true`, `false`): inlined, each is a capacity check and a copy.
#[inline(never)]
pub fn word(out: &mut String, text: &'static str) {
    out.push_str(text);
}

/// A member's key, already written as `"name":`, after a comma unless it is the first.
#[inline(never)]
pub fn key(out: &mut String, first: &mut bool, key: &str) {
    if !*first {
        push(out, ',');
    }
    *first = false;
    out.push_str(key);
}

/// A string, escaped as serde_json escapes it: `"` and `\`, the control characters as `\b`,
/// `\f`, `\n`, `\r`, `\t` or `\u00xx`; everything else as it is.
#[inline(never)]
pub fn write_str(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(text.len() + 2);
    out.push('"');
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(text.get(start..at).unwrap_or_default());
        start = at + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            for nibble in [byte >> 4, byte & 0xf] {
                out.push(char::from(HEX.get(usize::from(nibble)).copied().unwrap_or(b'0')));
            }
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out.push('"');
}

/// A list of values.
fn write_list<T: ToJson>(out: &mut String, values: &[T]) {
    push(out, '[');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            push(out, ',');
        }
        value.write_json(out);
    }
    push(out, ']');
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for Cow<'_, str> {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for Arc<str> {
    fn write_json(&self, out: &mut String) {
        write_str(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        word(out, if *self { "true" } else { "false" });
    }
}

impl ToJson for u64 {
    fn write_json(&self, out: &mut String) {
        crate::digits::push_u64(out, *self);
    }
}

impl ToJson for u32 {
    fn write_json(&self, out: &mut String) {
        crate::digits::push_u64(out, u64::from(*self));
    }
}

impl ToJson for usize {
    fn write_json(&self, out: &mut String) {
        crate::digits::push_u64(out, *self as u64);
    }
}

impl ToJson for serde_json::Number {
    fn write_json(&self, out: &mut String) {
        if let Some(whole) = self.as_u64() {
            crate::digits::push_u64(out, whole);
        } else if let Some(negative) = self.as_i64() {
            push(out, '-');
            crate::digits::push_u64(out, negative.unsigned_abs());
        } else {
            crate::host::write_float(out, self.as_f64().unwrap_or_default());
        }
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => word(out, "null"),
        }
    }
}

impl<T: ToJson + ?Sized> ToJson for &T {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson + ?Sized> ToJson for Box<T> {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        write_list(out, self);
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        write_list(out, self);
    }
}

impl<K: AsRef<str>, V: ToJson> ToJson for BTreeMap<K, V> {
    fn write_json(&self, out: &mut String) {
        push(out, '{');
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                push(out, ',');
            }
            write_str(out, key.as_ref());
            push(out, ':');
            value.write_json(out);
        }
        push(out, '}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for text in ["", "plain", "a\"b\\c", "\n\r\t\u{8}\u{c}", "\u{0}\u{1f}\u{7f}", "é😀/</script>"] {
            assert_eq!(to_json(text), serde_json::to_string(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn numbers_are_written_as_serde_json_writes_them() {
        for n in [0u64, 9, 4_294_967_295, 4_294_967_296, 1_000_000_000_000, (1 << 53) - 1, u64::MAX] {
            assert_eq!(to_json(&n), n.to_string());
        }
        for text in ["0", "-7", "3.5", "1e300", "-0.000001", "12345678901234567890"] {
            let number: serde_json::Number = serde_json::from_str(text).unwrap();
            assert_eq!(to_json(&number), serde_json::to_string(&number).unwrap());
        }
    }

    #[test]
    fn lists_maps_and_options() {
        let map: BTreeMap<String, Vec<Option<bool>>> =
            [("b".to_owned(), vec![Some(true), None]), ("a\"".to_owned(), vec![])].into_iter().collect();
        assert_eq!(to_json(&map), serde_json::to_string(&map).unwrap());
    }
}

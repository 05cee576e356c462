//! A small JSON reader for serde, used for everything read from outside (`input::from_json`).
//!
//! serde_json's reader would do, but its errors describe unexpected values through serde's
//! `Unexpected`, which links float and string-escaping formatters into the `.wasm`: a fifth of
//! it. This reader knows exactly JSON (objects, arrays, strings with escapes, numbers, `true`,
//! `false`, `null`), nests at most 128 levels, and records where an error happened: at a bad
//! token, or just past the object or array whose contents a visitor refused.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Unexpected, Visitor};

const MAX_DEPTH: usize = 128;

#[derive(Debug)]
pub struct Error {
    pub message: String,
    /// Byte offset of the error, once known.
    pub position: Option<usize>,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A value in words, without formatting floats or escaping strings.
fn describe(unexpected: &Unexpected) -> String {
    match unexpected {
        Unexpected::Bool(b) => format!("boolean `{b}`"),
        Unexpected::Unsigned(n) => format!("integer `{n}`"),
        Unexpected::Signed(n) => format!("integer `{n}`"),
        Unexpected::Float(_) => "a number with a fraction or exponent".to_owned(),
        Unexpected::Char(_) | Unexpected::Str(_) => "a string".to_owned(),
        Unexpected::Bytes(_) => "bytes".to_owned(),
        Unexpected::Unit => "null".to_owned(),
        Unexpected::Option => "an optional value".to_owned(),
        Unexpected::NewtypeStruct => "a newtype struct".to_owned(),
        Unexpected::Seq => "an array".to_owned(),
        Unexpected::Map => "an object".to_owned(),
        Unexpected::Enum => "an enum".to_owned(),
        Unexpected::UnitVariant | Unexpected::NewtypeVariant | Unexpected::TupleVariant | Unexpected::StructVariant => {
            "an enum variant".to_owned()
        }
        Unexpected::Other(other) => (*other).to_owned(),
    }
}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Error { message: message.to_string(), position: None }
    }

    fn invalid_type(unexpected: Unexpected, expected: &dyn de::Expected) -> Self {
        Error::custom(format_args!("invalid type: {}, expected {expected}", describe(&unexpected)))
    }

    fn invalid_value(unexpected: Unexpected, expected: &dyn de::Expected) -> Self {
        Error::custom(format_args!("invalid value: {}, expected {expected}", describe(&unexpected)))
    }
}

pub struct Reader<'de> {
    text: &'de str,
    at: usize,
    depth: usize,
}

type Result<T> = std::result::Result<T, Error>;

impl<'de> Reader<'de> {
    pub fn new(text: &'de str) -> Self {
        Reader { text, at: 0, depth: 0 }
    }

    /// After the top-level value: only white space may follow.
    pub fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the JSON value")),
        }
    }

    fn error(&self, message: &str) -> Error {
        Error { message: message.to_owned(), position: Some(self.at) }
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The next byte that is not white space, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.byte() {
            self.at += 1;
        }
        self.byte()
    }

    fn expect(&mut self, wanted: u8, what: &str) -> Result<()> {
        if self.peek() == Some(wanted) {
            self.at += 1;
            Ok(())
        } else if self.peek().is_none() {
            Err(self.error(&format!("EOF while parsing: expected {what}")))
        } else {
            Err(self.error(&format!("expected {what}")))
        }
    }

    fn word(&mut self, word: &str) -> Result<()> {
        let end = self.at + word.len();
        if self.text.get(self.at..end) == Some(word) {
            self.at = end;
            Ok(())
        } else {
            Err(self.error("expected a JSON value"))
        }
    }

    /// A string's contents, borrowed when it has no escapes. The opening quote is next.
    fn string(&mut self) -> Result<Cow<'de, str>> {
        self.expect(b'"', "a string")?;
        let start = self.at;
        let bytes = self.text.as_bytes();
        let mut owned: Option<String> = None;
        let mut run = start;
        loop {
            let Some(&byte) = bytes.get(self.at) else {
                return Err(self.error("EOF while parsing a string"));
            };
            match byte {
                b'"' => {
                    let tail = self.text.get(run..self.at).unwrap_or_default();
                    self.at += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Cow::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(self.text.get(run..self.at).unwrap_or_default());
                    self.at += 1;
                    let escaped = self.escape()?;
                    owned.get_or_insert_with(String::new).push(escaped);
                    run = self.at;
                }
                0..=0x1f => return Err(self.error("a control character in a string")),
                _ => self.at += 1,
            }
        }
    }

    /// The character of an escape; the backslash is consumed.
    fn escape(&mut self) -> Result<char> {
        let Some(kind) = self.byte() else { return Err(self.error("EOF while parsing a string")) };
        self.at += 1;
        Ok(match kind {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if self.text.get(self.at..self.at + 2) != Some("\\u") {
                        return Err(self.error("a lone surrogate in a string"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("a lone surrogate in a string"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                char::from_u32(code).ok_or_else(|| self.error("a lone surrogate in a string"))?
            }
            _ => return Err(self.error("an invalid escape in a string")),
        })
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.text.get(self.at..self.at + 4).ok_or_else(|| self.error("EOF while parsing a string"))?;
        let value = u32::from_str_radix(digits, 16).map_err(|_| self.error("an invalid \\u escape in a string"))?;
        self.at += 4;
        Ok(value)
    }

    /// An error without a position gets the current one.
    fn placed(&self, mut error: Error) -> Error {
        error.position.get_or_insert(self.at);
        error
    }

    /// After a visitor refused a container's contents: move past the container (so that the
    /// error's path names it, not its last field) and place the error there.
    fn past_container(&mut self, mut error: Error, open: usize) -> Error {
        if error.position.is_none() {
            let bytes = self.text.as_bytes();
            let mut depth = open - 1;
            let mut at = self.at;
            let mut in_string = false;
            while let Some(&byte) = bytes.get(at) {
                at += 1;
                match (in_string, byte) {
                    (true, b'\\') => at += 1,
                    (true, b'"') | (false, b'"') => in_string = !in_string,
                    (false, b'{' | b'[') => depth += 1,
                    (false, b'}' | b']') => {
                        if depth == 0 {
                            break;
                        }
                        depth -= 1;
                    }
                    _ => {}
                }
            }
            error.position = Some(at);
        }
        error
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.at += 1;
        Ok(())
    }

    fn leave(&mut self, close: u8, what: &str) -> Result<()> {
        self.depth -= 1;
        self.expect(close, what)
    }
}

/// A number as read, before a visitor sees it.
enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

impl<'de> Reader<'de> {
    /// Parses a JSON number at the reader (not generic: one copy for all visitors).
    fn parse_number(&mut self) -> Result<Number> {
        let start = self.at;
        let bytes = self.text.as_bytes();
        let digits = |at: &mut usize| {
            let from = *at;
            while bytes.get(*at).is_some_and(u8::is_ascii_digit) {
                *at += 1;
            }
            *at - from
        };
        let mut at = start;
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let leading_zero = bytes.get(at) == Some(&b'0');
        let count = digits(&mut at);
        let mut integer = true;
        let mut valid = count > 0 && !(leading_zero && count > 1);
        if valid && bytes.get(at) == Some(&b'.') {
            at += 1;
            integer = false;
            valid = digits(&mut at) > 0;
        }
        if valid && matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            integer = false;
            if let Some(b'+' | b'-') = bytes.get(at) {
                at += 1;
            }
            valid = digits(&mut at) > 0;
        }
        self.at = at;
        if !valid {
            return Err(self.error("an invalid number"));
        }
        let text = self.text.get(start..at).unwrap_or_default();
        if integer {
            if let Ok(n) = text.parse::<u64>() {
                return Ok(Number::Unsigned(n));
            }
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Number::Signed(n));
            }
        }
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Number::Float(n)),
            _ => Err(self.error("a number out of range")),
        }
    }

    /// What the next value is, for an "invalid type" error placed at its start.
    fn unexpected(&mut self, expected: &dyn de::Expected) -> Error {
        let start = self.at;
        let found = match self.peek() {
            None => return self.error("EOF while parsing a value"),
            Some(b'n') => Unexpected::Unit,
            Some(b't') => Unexpected::Bool(true),
            Some(b'f') => Unexpected::Bool(false),
            Some(b'"') => Unexpected::Str(""),
            Some(b'[') => Unexpected::Seq,
            Some(b'{') => Unexpected::Map,
            Some(b'-' | b'0'..=b'9') => match self.parse_number() {
                Ok(Number::Unsigned(n)) => Unexpected::Unsigned(n),
                Ok(Number::Signed(n)) => Unexpected::Signed(n),
                Ok(Number::Float(n)) => Unexpected::Float(n),
                Err(error) => return error,
            },
            Some(_) => return self.error("expected a JSON value"),
        };
        let mut error: Error = de::Error::invalid_type(found, expected);
        error.position = Some(self.at.max(start));
        error
    }

    fn visit_number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        if !matches!(self.peek(), Some(b'-' | b'0'..=b'9')) {
            return Err(self.unexpected(&visitor));
        }
        let value = match self.parse_number()? {
            Number::Unsigned(n) => visitor.visit_u64(n),
            Number::Signed(n) => visitor.visit_i64(n),
            Number::Float(n) => visitor.visit_f64(n),
        };
        value.map_err(|e| self.placed(e))
    }

    fn visit_string<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected(&visitor));
        }
        let value = match self.string()? {
            Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
            Cow::Owned(text) => visitor.visit_string(text),
        };
        value.map_err(|e| self.placed(e))
    }

    fn visit_array<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        if self.peek() != Some(b'[') {
            return Err(self.unexpected(&visitor));
        }
        self.enter()?;
        let value = visitor.visit_seq(Elements { reader: self, first: true });
        let value = value.map_err(|e| self.past_container(e, 1))?;
        self.leave(b']', "`,` or `]`")?;
        Ok(value)
    }

    fn visit_object<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value> {
        if self.peek() != Some(b'{') {
            return Err(self.unexpected(&visitor));
        }
        self.enter()?;
        let value = visitor.visit_map(Entries { reader: self, first: true });
        let value = value.map_err(|e| self.past_container(e, 1))?;
        self.leave(b'}', "`,` or `}`")?;
        Ok(value)
    }

    /// Skips one value without building anything; nesting is still bounded.
    fn skip_value(&mut self) -> Result<()> {
        let open = self.depth;
        loop {
            match self.peek() {
                Some(b'[' | b'{') => self.enter()?,
                Some(b']' | b'}') if self.depth > open => {
                    self.depth -= 1;
                    self.at += 1;
                }
                Some(b',' | b':') if self.depth > open => self.at += 1,
                Some(b'"') => {
                    self.string()?;
                }
                Some(b'n') => self.word("null")?,
                Some(b't') => self.word("true")?,
                Some(b'f') => self.word("false")?,
                Some(b'-' | b'0'..=b'9') => {
                    self.parse_number()?;
                }
                None => return Err(self.error("EOF while parsing a value")),
                Some(_) => return Err(self.error("expected a JSON value")),
            }
            if self.depth == open {
                return Ok(());
            }
        }
    }
}

impl<'de> Deserializer<'de> for &mut Reader<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.peek() {
            Some(b'n') => {
                self.word("null")?;
                visitor.visit_unit().map_err(|e| self.placed(e))
            }
            Some(b't' | b'f') => self.deserialize_bool(visitor),
            Some(b'"') => self.visit_string(visitor),
            Some(b'[') => self.visit_array(visitor),
            Some(b'{') => self.visit_object(visitor),
            Some(_) => self.visit_number(visitor),
            None => Err(self.error("EOF while parsing a value")),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let value = match self.peek() {
            Some(b't') => self.word("true").map(|()| true),
            Some(b'f') => self.word("false").map(|()| false),
            _ => Err(self.unexpected(&visitor)),
        }?;
        visitor.visit_bool(value).map_err(|e| self.placed(e))
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_number(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_string(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_array(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.visit_object(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.visit_object(visitor)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek() != Some(b'n') {
            return Err(self.unexpected(&visitor));
        }
        self.word("null")?;
        visitor.visit_unit().map_err(|e| self.placed(e))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.skip_value()?;
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.peek() == Some(b'n') {
            self.word("null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected(&visitor));
        }
        let name = self.string()?;
        let access: de::value::CowStrDeserializer<'de, Error> = name.into_deserializer();
        visitor.visit_enum(access).map_err(|e| self.placed(e))
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u128 f32 f64 char string bytes byte_buf unit_struct tuple
        tuple_struct identifier
    }
}

struct Elements<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.reader.peek() == Some(b']') {
            return Ok(None);
        }
        if !std::mem::replace(&mut self.first, false) {
            self.reader.expect(b',', "`,` or `]`")?;
        }
        seed.deserialize(&mut *self.reader).map(Some).map_err(|e| self.reader.placed(e))
    }
}

struct Entries<'a, 'de> {
    reader: &'a mut Reader<'de>,
    first: bool,
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.reader.peek() == Some(b'}') {
            return Ok(None);
        }
        if !std::mem::replace(&mut self.first, false) {
            self.reader.expect(b',', "`,` or `}`")?;
        }
        if self.reader.peek() != Some(b'"') {
            return Err(self.reader.error("expected a field name in quotes"));
        }
        let key = seed.deserialize(&mut *self.reader).map_err(|e| self.reader.placed(e))?;
        self.reader.expect(b':', "`:`")?;
        Ok(Some(key))
    }

    /// A value's error without a position (a conversion after the value was read) is placed
    /// just after the value.
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.reader).map_err(|e| self.reader.placed(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;
    use serde_json::Value;

    fn read(text: &str) -> Result<Value> {
        let mut reader = Reader::new(text);
        let value = Value::deserialize(&mut reader)?;
        reader.end()?;
        Ok(value)
    }

    #[test]
    fn reads_what_json_allows() {
        assert_eq!(
            read(r#" { "a" : [1, -2, 3.5e2, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"] } "#).ok(),
            serde_json::from_str(r#"{"a":[1,-2,350.0,true,false,null,"x\"\\/\u0008\u000c\n\r\té😀"]}"#).ok()
        );
        assert_eq!(read("18446744073709551615").ok(), Some(Value::from(u64::MAX)));
        assert_eq!(read("-9223372036854775808").ok(), Some(Value::from(i64::MIN)));
        assert_eq!(read("0").ok(), Some(Value::from(0)));
        assert_eq!(read("-0.0").ok().and_then(|v| v.as_f64()), Some(-0.0));
    }

    #[test]
    fn refuses_what_json_does_not() {
        for bad in [
            "",
            " ",
            "[",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "NaN",
            "Infinity",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"tab\there\"",
            "[1] 2",
            "{\"a\" 1}",
            "1e999",
        ] {
            assert!(read(bad).is_err(), "{bad:?} was accepted");
            assert!(serde_json::from_str::<Value>(bad).is_err(), "serde_json accepts {bad:?}");
        }
    }

    #[test]
    fn nesting_is_bounded_without_recursing_through_it() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let error = read(&deep).err().map(|e| e.message);
        assert_eq!(error.as_deref(), Some("recursion limit exceeded"));
        assert!(read(&format!("{}{}", "[".repeat(128), "]".repeat(128))).is_ok());
    }

    #[test]
    fn errors_inside_a_container_are_placed_past_it() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Needs {
            x: u8,
        }
        let mut reader = Reader::new(r#"{"list": [{"y": 1}], "after": 2}"#);
        let error = <std::collections::BTreeMap<String, Vec<Needs>>>::deserialize(&mut reader).err();
        let error = error.map(|e| (e.message, e.position));
        assert_eq!(error, Some(("missing field `x`".to_owned(), Some(18))));
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever serde_json writes, this reader reads back to the same value.
        #[test]
        fn agrees_with_serde_json(value in json(), pretty in any::<bool>()) {
            let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) };
            let text = text.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(read(&text).map_err(|e| TestCaseError::fail(e.message))?, value);
        }

        /// On any text, the two readers agree on whether it is JSON (and this one never panics).
        #[test]
        fn accepts_exactly_what_serde_json_accepts(text in "[\\[\\]{}\":,0-9a-z.eE+\\\\ -]{0,24}") {
            prop_assert_eq!(read(&text).is_ok(), serde_json::from_str::<Value>(&text).is_ok(), "{:?}", text);
        }
    }
}

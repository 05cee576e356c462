//! The JSON reader for everything from outside (`input::from_json`): it walks the text once and
//! hands each value straight to the typed readers (`read`), which ask for what they expect
//! (`kind`, then `text`, `number`, `array`, `object` …). No tree is built: reading a 2,000-step
//! definition allocates only the typed values themselves.
//!
//! Not serde_json's reader: its errors describe values through serde's `Unexpected`, which links
//! float formatting into the `.wasm`, and serde's generic visitors cost far more code per type
//! than plain readers. This one knows exactly JSON (objects, arrays, strings with escapes,
//! numbers, `true`, `false`, `null`), nests at most 128 levels, and names a syntax error with
//! the path of the value it is in, found by walking the text with an `At` (only once something
//! is wrong).
//!
//! A syntax error anywhere in the text wins over a wrong type earlier in it (`read` checks the
//! whole text when a typed reader fails): a document that is not JSON is reported as such.

use std::borrow::Cow;
use std::fmt;

use super::path::At;

const MAX_DEPTH: usize = 128;

#[derive(Debug)]
pub struct Error {
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A position in JSON text, read forwards once.
pub struct Reader<'de> {
    text: &'de str,
    at: usize,
    depth: usize,
}

type Result<T> = std::result::Result<T, Error>;

impl<'de> Reader<'de> {
    fn new(text: &'de str) -> Self {
        Reader { text, at: 0, depth: 0 }
    }

    /// After the top-level value: only white space may follow.
    fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters after the JSON value")),
        }
    }

    #[cold]
    #[inline(never)]
    fn error(&self, message: &str) -> Error {
        Error { message: message.to_owned() }
    }

    fn byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// The next byte that is not white space, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.byte() {
            self.at += 1;
        }
        self.byte()
    }

    #[inline]
    fn expect(&mut self, wanted: u8, what: &str) -> Result<()> {
        if self.peek() == Some(wanted) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    #[cold]
    #[inline(never)]
    fn unexpected(&mut self, what: &str) -> Error {
        if self.peek().is_none() {
            self.error(&format!("EOF while parsing: expected {what}"))
        } else {
            self.error(&format!("expected {what}"))
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

/// What `array` calls for each item (given its index) and `object` for each field (given its
/// name). A trait of one method rather than `dyn FnMut`, whose table also holds a by-value
/// `call_once`: a second copy of every reader's closure in the module.
pub trait Visit<'de, K> {
    fn visit(&mut self, reader: &mut Reader<'de>, key: K) -> super::Result<()>;
}

impl<'de, K, F: FnMut(&mut Reader<'de>, K) -> super::Result<()>> Visit<'de, K> for F {
    fn visit(&mut self, reader: &mut Reader<'de>, key: K) -> super::Result<()> {
        self(reader, key)
    }
}

/// What the next value is, told by its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

/// Reads a whole text as `T`: the typed reader, then nothing but white space. When it fails, a
/// syntax error anywhere in the text is reported instead, as a reader that parses everything
/// first would (the check runs only on this cold path). `at` is where the text's value stands
/// (the root of a document, or an argument of a call that takes several).
pub fn read<'de, T>(
    text: &'de str,
    at: &At,
    typed: impl FnOnce(&mut Reader<'de>) -> super::Result<T>,
) -> super::Result<T> {
    let mut reader = Reader::new(text);
    let error = match typed(&mut reader) {
        Ok(value) => match reader.end() {
            Ok(()) => return Ok(value),
            Err(e) => unplaced(&e),
        },
        Err(error) => error,
    };
    Err(placed(text, at, error))
}

/// The error `read` reports once reading failed: a syntax error anywhere in the text, else
/// `error`. Apart from `read`, so that each type's copy of `read` holds none of it.
#[cold]
#[inline(never)]
fn placed(text: &str, at: &At, error: Box<crate::error::HandoffError>) -> Box<crate::error::HandoffError> {
    check(text, at).err().unwrap_or(error)
}

/// The first syntax error in `text`, if it is not one JSON value, with the path of the value
/// it is in; `at` is where the text's value stands.
fn check(text: &str, at: &At) -> super::Result<()> {
    let mut reader = Reader::new(text);
    reader.walk(at)?;
    reader.end().map_err(|e| syntax(at, &e))
}

/// A syntax error as the `invalid-input` error callers see, `at` the value it is in.
#[cold]
#[inline(never)]
fn syntax(at: &At, error: &Error) -> Box<crate::error::HandoffError> {
    let reason = error.message.strip_suffix('.').unwrap_or(&error.message);
    let path = at.path();
    let message = if reason.starts_with("recursion limit exceeded") {
        "The input is nested too deeply.".to_owned()
    } else if path.is_empty() {
        format!("Invalid input: {reason}.")
    } else {
        format!("Invalid input at {path}: {reason}.")
    };
    Box::new(crate::error::HandoffError::invalid_input(path, message))
}

/// A syntax error met by a typed reader, which knows where it wanted a value but not where in
/// the text's structure the error is: `read` replaces it with the one `check` finds, placed.
#[cold]
#[inline(never)]
fn unplaced(error: &Error) -> Box<crate::error::HandoffError> {
    syntax(&At::ROOT, error)
}

impl<'de> Reader<'de> {
    /// The kind of the next value, which stays unread; a syntax error when none starts here.
    pub fn kind(&mut self) -> super::Result<Kind> {
        Ok(match self.peek() {
            Some(b'n') => Kind::Null,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'"') => Kind::String,
            Some(b'[') => Kind::Array,
            Some(b'{') => Kind::Object,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(_) => return Err(self.fail("expected a JSON value")),
            None => return Err(self.fail("EOF while parsing a value")),
        })
    }

    #[cold]
    #[inline(never)]
    fn fail(&self, message: &str) -> Box<crate::error::HandoffError> {
        unplaced(&self.error(message))
    }

    /// `null`.
    pub fn null(&mut self) -> super::Result<()> {
        self.word("null").map_err(|e| unplaced(&e))
    }

    /// `true` or `false`.
    pub fn boolean(&mut self) -> super::Result<bool> {
        let flag = self.peek() == Some(b't');
        self.word(if flag { "true" } else { "false" }).map(|()| flag).map_err(|e| unplaced(&e))
    }

    /// A number, kept exact when it is an integer.
    pub fn number(&mut self) -> super::Result<serde_json::Number> {
        self.parse_number()
            .and_then(|number| match number {
                Number::Unsigned(n) => Ok(n.into()),
                Number::Signed(n) => Ok(n.into()),
                Number::Float(n) => serde_json::Number::from_f64(n).ok_or_else(|| self.error("a number out of range")),
            })
            .map_err(|e| unplaced(&e))
    }

    /// A string, borrowed from the text when it has no escapes.
    pub fn text(&mut self) -> super::Result<Cow<'de, str>> {
        self.string().map_err(|e| unplaced(&e))
    }

    /// An array (the next value; its kind was asked): `item` reads each item, given its index.
    /// The loop takes it as `dyn`, so that one copy of the loop serves every type (a generic
    /// loop is copied per type).
    pub fn array(&mut self, mut item: impl FnMut(&mut Self, usize) -> super::Result<()>) -> super::Result<()> {
        self.items(&mut item)
    }

    fn items(&mut self, item: &mut dyn Visit<'de, usize>) -> super::Result<()> {
        let fail = |e: Error| unplaced(&e);
        self.enter().map_err(fail)?;
        let mut index = 0;
        while self.peek() != Some(b']') {
            if index > 0 {
                self.expect(b',', "`,` or `]`").map_err(fail)?;
            }
            item.visit(self, index)?;
            index += 1;
        }
        self.leave(b']', "`]`").map_err(fail)
    }

    /// An object (the next value; its kind was asked): `field` reads each field's value, given
    /// its name, in document order. The loop takes it as `dyn`, as `array`'s does.
    pub fn object(&mut self, mut field: impl FnMut(&mut Self, &str) -> super::Result<()>) -> super::Result<()> {
        self.fields(&mut field)
    }

    fn fields(&mut self, field: &mut dyn for<'k> Visit<'de, &'k str>) -> super::Result<()> {
        let fail = |e: Error| unplaced(&e);
        self.enter().map_err(fail)?;
        let mut first = true;
        while self.peek() != Some(b'}') {
            if !first {
                self.expect(b',', "`,` or `}`").map_err(fail)?;
            }
            first = false;
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a field name in quotes"));
            }
            let name = self.string().map_err(fail)?;
            self.expect(b':', "`:`").map_err(fail)?;
            field.visit(self, &name)?;
        }
        self.leave(b'}', "`}`").map_err(fail)
    }

    /// One value of any kind, skipped, and its text: how an envelope keeps each item of a list
    /// to be read on its own (a push's mutations, where a bad one is that mutation's rejection,
    /// not the request's). Strings are checked for their shape only, so that a lone surrogate
    /// is left for the item's own reader to refuse.
    pub fn raw(&mut self) -> super::Result<&'de str> {
        let kind = self.kind()?;
        let start = self.at;
        match kind {
            Kind::String => self.loose_string().map_err(|e| unplaced(&e))?,
            Kind::Object => self.loose_object(&mut |reader, _| reader.raw().map(drop))?,
            Kind::Array => {
                self.enter().map_err(|e| unplaced(&e))?;
                let mut first = true;
                while self.peek() != Some(b']') {
                    if !first {
                        self.expect(b',', "`,` or `]`").map_err(|e| unplaced(&e))?;
                    }
                    first = false;
                    self.raw()?;
                }
                self.leave(b']', "`]`").map_err(|e| unplaced(&e))?;
            }
            Kind::Null | Kind::Bool | Kind::Number => self.skip()?,
        }
        Ok(self.text.get(start..self.at).unwrap_or_default())
    }

    /// An object read as `raw` reads it: `field` gets each field's name as written between its
    /// quotes (escapes not decoded), and reads or skips its value. The loop of `object` once
    /// more, on purpose: only the server reads loosely, so the module links none of it, and
    /// `object`, on every input's path, stays without a branch for it.
    pub fn loose_object(
        &mut self,
        field: &mut dyn FnMut(&mut Self, &'de str) -> super::Result<()>,
    ) -> super::Result<()> {
        let fail = |e: Error| unplaced(&e);
        if self.kind()? != Kind::Object {
            return Err(self.fail("expected an object"));
        }
        self.enter().map_err(fail)?;
        let mut first = true;
        while self.peek() != Some(b'}') {
            if !first {
                self.expect(b',', "`,` or `}`").map_err(fail)?;
            }
            first = false;
            if self.peek() != Some(b'"') {
                return Err(self.fail("expected a field name in quotes"));
            }
            let start = self.at + 1;
            self.loose_string().map_err(fail)?;
            let name = self.text.get(start..self.at - 1).unwrap_or_default();
            self.expect(b':', "`:`").map_err(fail)?;
            field(self, name)?;
        }
        self.leave(b'}', "`}`").map_err(fail)
    }

    /// A string, skipped: escapes are stepped over, not decoded.
    fn loose_string(&mut self) -> Result<()> {
        self.expect(b'"', "a string")?;
        loop {
            match self.byte() {
                None => return Err(self.error("EOF while parsing a string")),
                Some(b'"') => break,
                // Its own check of an escape, not `escape`'s or `hex4`'s: a second caller would keep
                // those out of line in `string`, which every input's reading goes through.
                Some(b'\\') => match self.text.as_bytes().get(self.at + 1) {
                    Some(b'u') => {
                        let digits = self.text.as_bytes().get(self.at + 2..self.at + 6);
                        if !digits.is_some_and(|d| d.iter().all(u8::is_ascii_hexdigit)) {
                            return Err(self.error("an invalid \\u escape in a string"));
                        }
                        self.at += 6;
                    }
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 2,
                    _ => return Err(self.error("an invalid escape in a string")),
                },
                Some(0..=0x1f) => return Err(self.error("a control character in a string")),
                Some(_) => self.at += 1,
            }
        }
        self.at += 1;
        Ok(())
    }

    /// One value of any kind, only checked, `at` being where it stands: what `check` walks, so
    /// that a syntax error is named with the path of the value it is in (after a key, that
    /// key's value; between two items, the one before).
    fn walk(&mut self, at: &At) -> super::Result<()> {
        let fail = |e: Error| syntax(at, &e);
        match self.peek() {
            Some(b'n') => self.word("null").map_err(fail),
            Some(b't') => self.word("true").map_err(fail),
            Some(b'f') => self.word("false").map_err(fail),
            Some(b'"') => self.string().map(drop).map_err(fail),
            Some(b'-' | b'0'..=b'9') => self.parse_number().map(drop).map_err(fail),
            Some(b'[') => {
                self.enter().map_err(fail)?;
                let mut index = 0;
                while self.peek() != Some(b']') {
                    if index > 0 {
                        self.expect(b',', "`,` or `]`").map_err(|e| syntax(&at.index(index - 1), &e))?;
                    }
                    self.walk(&at.index(index))?;
                    index += 1;
                }
                self.leave(b']', "`]`").map_err(fail)
            }
            Some(b'{') => {
                self.enter().map_err(fail)?;
                let mut last: Option<Cow<'de, str>> = None;
                while self.peek() != Some(b'}') {
                    if let Some(key) = &last {
                        self.expect(b',', "`,` or `}`").map_err(|e| syntax(&at.key(key), &e))?;
                    }
                    if self.peek() != Some(b'"') {
                        return Err(fail(self.error("expected a field name in quotes")));
                    }
                    let key = self.string().map_err(fail)?;
                    self.expect(b':', "`:`").map_err(|e| syntax(&at.key(&key), &e))?;
                    self.walk(&at.key(&key))?;
                    last = Some(key);
                }
                self.leave(b'}', "`}`").map_err(fail)
            }
            Some(_) => Err(fail(self.error("expected a JSON value"))),
            None => Err(fail(self.error("EOF while parsing a value"))),
        }
    }

    /// One value of any kind, only checked.
    fn skip(&mut self) -> super::Result<()> {
        match self.kind()? {
            Kind::Null => self.null(),
            Kind::Bool => self.boolean().map(drop),
            Kind::Number => self.number().map(drop),
            Kind::String => self.text().map(drop),
            Kind::Array => self.array(|reader, _| reader.skip()),
            Kind::Object => self.object(|reader, _| reader.skip()),
        }
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
        match crate::host::parse_float(text) {
            Some(n) if n.is_finite() => Ok(Number::Float(n)),
            _ => Err(self.error("a number out of range")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Any value, as a typed reader that accepts everything would read it.
    fn value(reader: &mut Reader) -> crate::input::Result<Value> {
        Ok(match reader.kind()? {
            Kind::Null => reader.null().map(|()| Value::Null)?,
            Kind::Bool => Value::Bool(reader.boolean()?),
            Kind::Number => Value::Number(reader.number()?),
            Kind::String => Value::String(reader.text()?.into_owned()),
            Kind::Array => {
                let mut items = Vec::new();
                reader.array(|reader, _| value(reader).map(|item| items.push(item)))?;
                Value::Array(items)
            }
            Kind::Object => {
                let mut fields = serde_json::Map::new();
                reader.object(|reader, name| value(reader).map(|item| drop(fields.insert(name.to_owned(), item))))?;
                Value::Object(fields)
            }
        })
    }

    fn read_value(text: &str) -> std::result::Result<Value, String> {
        read(text, &At::ROOT, value).map_err(|e| e.into_parts().message)
    }

    /// The path of a syntax error is that of the value it is in: after a key, that key's value;
    /// between two items, the one before; in a key, the object.
    #[test]
    fn a_syntax_error_is_named_with_the_path_of_its_value() {
        let path = |text: &str| check(text, &At::ROOT).err().and_then(|e| e.into_parts().details.path);
        assert_eq!(path(r#"{"a": [1, {"b\"c": {"d": [true, false, x]}}]}"#).as_deref(), Some("a[1].b\"c.d[2]"));
        assert_eq!(path("[1 2]").as_deref(), Some("[0]"));
        assert_eq!(path("[1, 2").as_deref(), Some("[1]"));
        assert_eq!(path("[1,]").as_deref(), Some("[1]"));
        assert_eq!(path(r#"{"a" 1}"#).as_deref(), Some("a"));
        assert_eq!(path(r#"{"a": 1 "b": 2}"#).as_deref(), Some("a"));
        assert_eq!(path(r#"{"a": 1, }"#).as_deref(), Some(""));
        assert_eq!(path(r#"{"a": {"b\x": 1}}"#).as_deref(), Some("a"));
        assert_eq!(path("{\"a\":\"unterminated").as_deref(), Some("a"));
        assert_eq!(path("[[[[").as_deref(), Some("[0][0][0][0]"));
        assert_eq!(path("[1] 2").as_deref(), Some(""));
        let message = check(r#"{"steps": [{"id": 01}]}"#, &At::ROOT).err().map(|e| e.into_parts().message);
        assert_eq!(message.as_deref(), Some("Invalid input at steps[0].id: an invalid number."));
    }

    #[test]
    fn reads_what_json_allows() {
        assert_eq!(
            read_value(r#" { "a" : [1, -2, 3.5e2, true, false, null, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"] } "#).ok(),
            serde_json::from_str(r#"{"a":[1,-2,350.0,true,false,null,"x\"\\/\u0008\u000c\n\r\té😀"]}"#).ok()
        );
        assert_eq!(read_value("18446744073709551615").ok(), Some(Value::from(u64::MAX)));
        assert_eq!(read_value("-9223372036854775808").ok(), Some(Value::from(i64::MIN)));
        assert_eq!(read_value("0").ok(), Some(Value::from(0)));
        assert_eq!(read_value("-0.0").ok().and_then(|v| v.as_f64()), Some(-0.0));
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
            assert!(read_value(bad).is_err(), "{bad:?} was accepted");
            assert!(check(bad, &At::ROOT).is_err(), "{bad:?} passed the syntax check");
            assert!(serde_json::from_str::<Value>(bad).is_err(), "serde_json accepts {bad:?}");
        }
    }

    #[test]
    fn nesting_is_bounded_without_recursing_through_it() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            check(&deep, &At::ROOT).err().map(|e| e.into_parts().message).as_deref(),
            Some("The input is nested too deeply.")
        );
        assert_eq!(read_value(&deep).err().as_deref(), Some("The input is nested too deeply."));
        assert!(read_value(&format!("{}{}", "[".repeat(128), "]".repeat(128))).is_ok());
    }

    #[test]
    fn a_syntax_error_later_wins_over_a_wrong_type_earlier() {
        let strings = |reader: &mut Reader| {
            let mut items = Vec::new();
            reader.array(|reader, _| match reader.kind()? {
                Kind::String => reader.text().map(|text| items.push(text.into_owned())),
                _ => Err(Box::new(crate::error::HandoffError::invalid_input("[0]", "not a string"))),
            })?;
            Ok(items)
        };
        assert_eq!(
            read("[1, \"a\"]", &At::ROOT, strings).map_err(|e| e.into_parts().message),
            Err("not a string".to_owned())
        );
        assert!(read("[1, \"a\"", &At::ROOT, strings).is_err_and(|e| e.message.contains("EOF")));
        assert_eq!(read("[\"a\", \"b\"]", &At::ROOT, strings).ok(), Some(vec!["a".to_owned(), "b".to_owned()]));
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
            prop_assert_eq!(read_value(&text).map_err(TestCaseError::fail)?, value);
        }

        /// On any text, the reader, the syntax check and serde_json agree on whether it is JSON
        /// (and neither of ours panics).
        #[test]
        fn accepts_exactly_what_serde_json_accepts(text in "[\\[\\]{}\":,0-9a-z.eE+\\\\ -]{0,24}") {
            let json = serde_json::from_str::<Value>(&text).is_ok();
            prop_assert_eq!(read_value(&text).is_ok(), json, "{:?}", text);
            prop_assert_eq!(check(&text, &At::ROOT).is_ok(), json, "{:?}", text);
        }
    }
}

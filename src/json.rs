//! The JSON reader for everything from outside (`input::from_json`): text to a flat document
//! (`Doc`) whose values (`Json`) the typed readers (`read`) walk.
//!
//! Not serde_json's reader: its errors describe values through serde's `Unexpected`, which links
//! float formatting into the `.wasm`, and serde's generic visitors cost far more code per type
//! than plain readers over a tree. This one knows exactly JSON (objects, arrays, strings with
//! escapes, numbers, `true`, `false`, `null`), nests at most 128 levels, and records the byte
//! offset of a syntax error.

use std::borrow::Cow;
use std::fmt;

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

struct Reader<'de> {
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
        Error { message: message.to_owned(), position: Some(self.at) }
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

/// A JSON document as read: every value in one flat list in document order (a container is
/// followed by its contents; an object's contents alternate keys and values), so that reading
/// a document allocates one list rather than one per object and array. Objects keep their
/// fields in document order, so the first bad field in the document is the one reported.
#[derive(Debug)]
pub struct Doc<'a> {
    nodes: Vec<Node<'a>>,
}

#[derive(Debug)]
enum Node<'a> {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    /// Borrowed from the text unless it has escapes: most strings and keys cost no allocation.
    String(Cow<'a, str>),
    /// `end` is the index just past the container's last node; `len` counts its items or fields.
    Array {
        end: usize,
        len: usize,
    },
    Object {
        end: usize,
        len: usize,
    },
}

impl<'a> Doc<'a> {
    pub fn root(&self) -> Json<'_> {
        Json { nodes: &self.nodes, at: 0 }
    }
}

/// A value in a `Doc`: what the typed readers (`read`) walk.
#[derive(Clone, Copy, Debug)]
pub struct Json<'d> {
    nodes: &'d [Node<'d>],
    at: usize,
}

/// What a `Json` is, to match on.
pub enum Value<'d> {
    Null,
    Bool(bool),
    Number(&'d serde_json::Number),
    String(&'d str),
    Array(Items<'d>),
    Object(Fields<'d>),
}

impl<'d> Json<'d> {
    pub fn get(&self) -> Value<'d> {
        let nodes = self.nodes;
        match nodes.get(self.at) {
            None | Some(Node::Null) => Value::Null,
            Some(Node::Bool(flag)) => Value::Bool(*flag),
            Some(Node::Number(number)) => Value::Number(number),
            Some(Node::String(text)) => Value::String(text),
            Some(Node::Array { end, len }) => Value::Array(Items(Contents::new(nodes, self.at, *end, *len))),
            Some(Node::Object { end, len }) => Value::Object(Fields(Contents::new(nodes, self.at, *end, *len))),
        }
    }

    /// The index just past this value and everything in it.
    fn end(nodes: &[Node<'_>], at: usize) -> usize {
        match nodes.get(at) {
            Some(Node::Array { end, .. } | Node::Object { end, .. }) => *end,
            _ => at + 1,
        }
    }
}

/// The values inside a container, one after another: what `Items` and `Fields` walk.
#[derive(Clone, Copy)]
struct Contents<'d> {
    nodes: &'d [Node<'d>],
    next: usize,
    end: usize,
    /// Items, or fields (a name and a value each).
    len: usize,
}

impl<'d> Contents<'d> {
    fn new(nodes: &'d [Node<'d>], at: usize, end: usize, len: usize) -> Self {
        Contents { nodes, next: at + 1, end, len }
    }

    /// The next value, skipping everything inside it.
    fn take(&mut self) -> Option<Json<'d>> {
        if self.next >= self.end {
            return None;
        }
        let value = Json { nodes: self.nodes, at: self.next };
        self.next = Json::end(self.nodes, self.next);
        Some(value)
    }
}

/// The items of an array, in order.
#[derive(Clone, Copy)]
pub struct Items<'d>(Contents<'d>);

impl Items<'_> {
    pub fn len(&self) -> usize {
        self.0.len
    }
}

impl<'d> Iterator for Items<'d> {
    type Item = Json<'d>;
    fn next(&mut self) -> Option<Json<'d>> {
        self.0.take()
    }
}

/// The fields of an object, in document order.
#[derive(Clone, Copy)]
pub struct Fields<'d>(Contents<'d>);

impl Fields<'_> {
    pub fn len(&self) -> usize {
        self.0.len
    }
}

impl<'d> Iterator for Fields<'d> {
    type Item = (&'d str, Json<'d>);
    fn next(&mut self) -> Option<(&'d str, Json<'d>)> {
        let Value::String(name) = self.0.take()?.get() else { return None };
        Some((name, self.0.take()?))
    }
}

/// Reads one JSON document.
pub fn parse(text: &str) -> Result<Doc<'_>> {
    let mut reader = Reader::new(text);
    let mut nodes = Vec::with_capacity(text.len() / 8);
    reader.tree(&mut nodes)?;
    reader.end()?;
    Ok(Doc { nodes })
}

impl<'de> Reader<'de> {
    /// One value and everything in it, appended to `nodes`; nesting is bounded by `enter`.
    fn tree(&mut self, nodes: &mut Vec<Node<'de>>) -> Result<()> {
        let node = match self.peek() {
            Some(b'n') => self.word("null").map(|()| Node::Null)?,
            Some(b't') => self.word("true").map(|()| Node::Bool(true))?,
            Some(b'f') => self.word("false").map(|()| Node::Bool(false))?,
            Some(b'"') => self.string().map(Node::String)?,
            Some(b'[') => {
                return self.container(
                    nodes,
                    (b']', "`,` or `]`", "`]`"),
                    |end, len| Node::Array { end, len },
                    Self::tree,
                )
            }
            Some(b'{') => {
                return self.container(
                    nodes,
                    (b'}', "`,` or `}`", "`}`"),
                    |end, len| Node::Object { end, len },
                    Self::field,
                )
            }
            Some(b'-' | b'0'..=b'9') => Node::Number(match self.parse_number()? {
                Number::Unsigned(n) => n.into(),
                Number::Signed(n) => n.into(),
                Number::Float(n) => {
                    serde_json::Number::from_f64(n).ok_or_else(|| self.error("a number out of range"))?
                }
            }),
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("EOF while parsing a value")),
        };
        nodes.push(node);
        Ok(())
    }
}

impl<'de> Reader<'de> {
    /// An array's or object's contents, the opening bracket next: items separated by commas
    /// until `close`, each read by `item`; the container's node goes before them, made by
    /// `node` once their end and count are known.
    fn container(
        &mut self,
        nodes: &mut Vec<Node<'de>>,
        (close, between, last): (u8, &str, &str),
        node: fn(usize, usize) -> Node<'de>,
        item: fn(&mut Self, &mut Vec<Node<'de>>) -> Result<()>,
    ) -> Result<()> {
        self.enter()?;
        let start = nodes.len();
        nodes.push(Node::Null);
        let mut len = 0;
        while self.peek() != Some(close) {
            if len > 0 {
                self.expect(b',', between)?;
            }
            item(self, nodes)?;
            len += 1;
        }
        self.leave(close, last)?;
        let end = nodes.len();
        if let Some(slot) = nodes.get_mut(start) {
            *slot = node(end, len);
        }
        Ok(())
    }

    /// One `"name": value` of an object: the name's node, then the value's.
    fn field(&mut self, nodes: &mut Vec<Node<'de>>) -> Result<()> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected a field name in quotes"));
        }
        let name = self.string()?;
        nodes.push(Node::String(name));
        self.expect(b':', "`:`")?;
        self.tree(nodes)
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
        match parse_float(text) {
            Ok(n) if n.is_finite() => Ok(Number::Float(n)),
            _ => Err(self.error("a number out of range")),
        }
    }
}

/// The value of a JSON number's text (already checked to be one). In WebAssembly it is the
/// host's correctly rounded `parseFloat`: the same value as Rust's parser (tests/wasm_bindings.rs
/// compares them), without the float tables that parser links into the `.wasm` (14 KB gzipped).
#[cfg(target_arch = "wasm32")]
fn parse_float(text: &str) -> std::result::Result<f64, ()> {
    Ok(js_sys::parse_float(text))
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_float(text: &str) -> std::result::Result<f64, std::num::ParseFloatError> {
    text.parse::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn value(json: Json) -> Value {
        match json.get() {
            super::Value::Null => Value::Null,
            super::Value::Bool(b) => Value::Bool(b),
            super::Value::Number(n) => Value::Number(n.clone()),
            super::Value::String(s) => Value::String(s.to_owned()),
            super::Value::Array(items) => Value::Array(items.map(value).collect()),
            super::Value::Object(fields) => Value::Object(fields.map(|(k, v)| (k.to_owned(), value(v))).collect()),
        }
    }

    fn read(text: &str) -> Result<Value> {
        parse(text).map(|doc| value(doc.root()))
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
